"""Fixtures of the Kubernetes runtime tests: settings for a cluster, the in-memory
``CoreV1Api`` stand-in, and the ``k8s`` marker of the live tier."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_olap_server import db
from graph_olap_server.runtime.kubernetes import KubernetesRuntime
from graph_olap_server.settings import Settings
from tests.k8s.fake_api import FakeCoreV1Api
from tests.security.canary import SecretCanary

NAMESPACE = "analytics"
IMAGE = "registry.example.com/graph-olap:0.1.0"
CONTROL_PLANE = "http://graph-olap.analytics.svc.cluster.local:8000"
TOKEN = "wrapper-token-CANARY-k8s-41"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "k8s: needs a real Kubernetes cluster (KUBECONFIG); skipped otherwise"
    )


def k8s_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "runtime": "kubernetes",
        "k8s_namespace": NAMESPACE,
        "k8s_image": IMAGE,
        "control_plane_url": CONTROL_PLANE,
        "snapshot_storage": "s3://snapshots/platform-a",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return k8s_settings(tmp_path)


@pytest.fixture
def api(secret_canary: SecretCanary) -> FakeCoreV1Api:
    secret_canary.add(TOKEN, "the wrapper token of the Kubernetes tests")  # never logged
    return FakeCoreV1Api()


@pytest.fixture
def runtime(settings: Settings, api: FakeCoreV1Api) -> KubernetesRuntime:
    return KubernetesRuntime(settings, api=api)


def instance(instance_id: int = 7, **values: object) -> db.Instance:
    """An instance row (not in a database) as the monitor hands it to the runtime."""
    fields: dict[str, object] = {
        "id": instance_id,
        "snapshot_id": 3,
        "name": "fraud",
        "owner_username": "ann.lee@example.com",
        "status": "starting",
        "wrapper_token": TOKEN,
        "cpu_cores": 2,
        "port": 41234,
    }
    fields.update(values)
    return db.Instance(**fields)
