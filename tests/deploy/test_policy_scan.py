"""checkov, a policy scanner, passes on the Kubernetes manifests and the Containerfile.

checkov lives in its own virtualenv (``make checkov``, run by ``make test``): it pins
``packaging<24``, which would break pytest in the project's. A failed check fails the test
unless it is in ``SKIPPED`` below with the reason we accept it; a skip that no longer fails
fails the test too, so the list cannot go stale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.manifests import CONTAINERFILE, KUBERNETES, ROOT

CHECKOV = ROOT / ".venv" / "tools" / "checkov" / "bin" / "checkov"
TIMEOUT = 110  # seconds; a scan takes about 2 s on an idle machine

_CONTROL_PLANE = "Deployment.graph-olap.graph-olap-control-plane"
SKIPPED: dict[tuple[str, str], str] = {
    # (check, resource): why the manifests do it anyway
    ("CKV_K8S_43", _CONTROL_PLANE): (
        "image by digest: the base names graph-olap:<version> because the digest exists only "
        "once the image is built; an overlay pins it (`images: digest:`, overlays/example)"
    ),
    ("CKV_K8S_15", _CONTROL_PLANE): (
        "imagePullPolicy Always: tags are versioned and never reused, and kind/k3d clusters "
        "run images loaded onto the node, which Always would try to pull and fail"
    ),
    ("CKV_K8S_38", _CONTROL_PLANE): (
        "service account token mounted: the control plane is the one pod that needs it, to "
        "create and delete instance pods and services (role.yaml); wrapper pods never get one"
    ),
    ("CKV_K8S_35", _CONTROL_PLANE): (
        "secrets as environment variables: the platform reads its settings from GRAPH_OLAP_* "
        "variables only (settings.py), and object-storage clients read credentials from "
        "AWS_*/GOOGLE_*/AZURE_* variables"
    ),
}


def _checkov(target: Path, framework: str) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(
            f"checkov is not installed at {CHECKOV.relative_to(ROOT)}: run `make checkov` "
            "(`make test` does), which installs it in a virtualenv of its own"
        )
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-d",
            str(target),
            "--framework",
            framework,
            "--compact",
            "--skip-download",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        cwd=target,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov exited {proc.returncode} without a JSON report:\n{proc.stderr}")
    assert isinstance(report, dict), f"expected one {framework} report, got {report!r:.300}"
    summary = report.get("summary", {})
    assert summary.get("parsing_errors") == 0, f"checkov could not parse a file: {report!r:.500}"
    assert summary.get("resource_count", 0) > 0 and summary.get("passed", 0) > 0, (
        f"checkov scanned nothing in {target} with --framework {framework}: {summary}"
    )
    return report


def _failures(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]}


def _describe(report: dict[str, Any], keys: set[tuple[str, str]]) -> str:
    return "\n".join(
        f"  {c['check_id']} {c['check_name']!r} on {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
        if (c["check_id"], c["resource"]) in keys
    )


def test_kubernetes_manifests_pass_the_policy_scan() -> None:
    report = _checkov(KUBERNETES, "kubernetes")
    failures = _failures(report)
    unexpected = failures - SKIPPED.keys()
    assert not unexpected, (
        "checkov fails these checks on deploy/kubernetes; fix the manifest, or add the check "
        "to SKIPPED in this file with the reason it is acceptable:\n"
        + _describe(report, unexpected)
    )
    stale = sorted(SKIPPED.keys() - failures)
    assert not stale, f"these skipped checks pass now; remove them from SKIPPED: {stale}"


def test_containerfile_passes_the_policy_scan(tmp_path: Path) -> None:
    # checkov's dockerfile scanner recognises files named Dockerfile only
    shutil.copy(CONTAINERFILE, tmp_path / "Dockerfile")
    report = _checkov(tmp_path, "dockerfile")
    failures = _failures(report)
    assert not failures, (
        "checkov fails these checks on deploy/Containerfile; fix it:\n"
        + _describe(report, failures)
    )
