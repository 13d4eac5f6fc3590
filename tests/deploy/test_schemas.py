"""Every manifest validates against the Kubernetes OpenAPI schemas, offline and strict
(``kubernetes-validate``: unknown fields are errors), for the oldest Kubernetes release we
support and the newest one the installed schemas know."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from tests.deploy.manifests import (
    KUBERNETES,
    KUSTOMIZATIONS,
    Doc,
    kubectl,
    kustomization,
    load_docs,
    render,
    resource_files,
)

OLDEST = "1.30"  # docs/deployment.md: "Kubernetes 1.30 or newer"
VERSIONS = [OLDEST, kubernetes_validate.latest_version()]
RESOURCE_FILES = [p for folder in KUSTOMIZATIONS for p in resource_files(folder)]


def _validate(doc: Doc, version: str, where: str) -> None:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        path = "/".join(str(p) for p in err.path)
        pytest.fail(
            f"{where}: {doc.get('kind')} {doc.get('metadata', {}).get('name')!r} is not a valid "
            f"Kubernetes {version} object at {path or 'the top level'}: {err.message}. Fix the "
            "field (the API reference of that kind lists the allowed ones)."
        )


def test_there_is_a_base_and_an_overlay() -> None:
    names = {p.relative_to(KUBERNETES).as_posix() for p in KUSTOMIZATIONS}
    assert {"base", "overlays/example"} <= names


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", RESOURCE_FILES, ids=lambda p: p.relative_to(KUBERNETES).as_posix())
def test_each_file_validates(path: Path, version: str) -> None:
    docs = load_docs(path)
    assert docs, f"{path} holds no Kubernetes object"
    for doc in docs:
        _validate(doc, version, str(path.relative_to(KUBERNETES)))


@pytest.mark.parametrize(
    "folder", KUSTOMIZATIONS, ids=lambda p: p.relative_to(KUBERNETES).as_posix()
)
def test_kustomization_lists_every_file_and_only_existing_ones(folder: Path) -> None:
    """``kubectl apply -k`` sends only what kustomization.yaml lists: a YAML file left out
    would never reach the cluster, and a listed file that is gone breaks the build."""
    spec = kustomization(folder)
    listed = {(folder / r).resolve() for r in spec.get("resources", [])}
    listed |= {(folder / p["path"]).resolve() for p in spec.get("patches", []) if "path" in p}
    for target in listed:
        assert target.exists(), f"{folder}/kustomization.yaml lists {target}, which is missing"
    on_disk = {p.resolve() for p in folder.glob("*.yaml") if p.name != "kustomization.yaml"}
    unlisted = sorted(p.name for p in on_disk - listed)
    assert not unlisted, (
        f"{folder.relative_to(KUBERNETES)}: {unlisted} not listed in kustomization.yaml "
        "(add them under resources: or patches:, or delete them)"
    )


@pytest.mark.skipif(
    kubectl() is None,
    reason="kubectl is not installed, so the Kustomize output is not rendered here; the files "
    "themselves are validated above (install kubectl to check the rendered output too)",
)
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "folder", KUSTOMIZATIONS, ids=lambda p: p.relative_to(KUBERNETES).as_posix()
)
def test_rendered_output_validates(folder: Path, version: str) -> None:
    docs = render(folder)
    namespace = kustomization(folder)["namespace"]
    assert len(docs) == len(resource_files(KUBERNETES / "base"))
    for doc in docs:
        _validate(doc, version, f"kubectl kustomize {folder.relative_to(KUBERNETES)}")
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]
