"""Reading the deployment files: the Kustomize folders, their YAML documents, and their
output rendered by ``kubectl kustomize`` when that command is on this machine."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
BASE = KUBERNETES / "base"
CONTAINERFILE = DEPLOY / "Containerfile"
KUSTOMIZATIONS = sorted(p.parent for p in KUBERNETES.rglob("kustomization.yaml"))

Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    """Every YAML document of ``path`` (a file may hold several, separated by ``---``)."""
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def kustomization(folder: Path) -> Doc:
    docs = load_docs(folder / "kustomization.yaml")
    assert len(docs) == 1, f"{folder / 'kustomization.yaml'} must hold one document"
    return docs[0]


def resource_files(folder: Path) -> list[Path]:
    """The files a kustomization lists as ``resources`` (not folders such as ``../../base``)."""
    listed = [folder / r for r in kustomization(folder).get("resources", [])]
    return [p for p in listed if p.is_file()]


def base_objects() -> list[Doc]:
    """Every Kubernetes object of the base, read from its files."""
    return [doc for path in resource_files(BASE) for doc in load_docs(path)]


def find(objects: list[Doc], kind: str, name: str) -> Doc:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(folder: Path) -> list[Doc]:
    """``kubectl kustomize folder``: what ``kubectl apply -k`` would send, offline."""
    command = kubectl()
    assert command is not None
    proc = subprocess.run(
        [command, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"`kubectl kustomize {folder}` failed:\n{proc.stderr}"
    return [d for d in yaml.safe_load_all(proc.stdout) if d is not None]
