"""GRAPH_OLAP_RUNTIME and the Kubernetes settings: parsed, validated with errors that
name the variable, and the factory that picks the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_olap_server.runtime import (
    InstanceRuntimeError,
    LocalProcessRuntime,
    make_runtime,
)
from graph_olap_server.settings import Settings
from tests.k8s.conftest import CONTROL_PLANE, IMAGE, k8s_settings


def test_the_local_runtime_stays_the_default(tmp_path: Path) -> None:
    settings = Settings.from_env({"GRAPH_OLAP_DATA_DIR": str(tmp_path)})
    assert settings.runtime == "local"
    runtime = make_runtime(settings)
    assert isinstance(runtime, LocalProcessRuntime)
    runtime.close()


def test_from_env_reads_the_kubernetes_settings(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GRAPH_OLAP_DATA_DIR": str(tmp_path),
            "GRAPH_OLAP_RUNTIME": "kubernetes",
            "GRAPH_OLAP_CONTROL_PLANE_URL": CONTROL_PLANE,
            "GRAPH_OLAP_K8S_NAMESPACE": "analytics",
            "GRAPH_OLAP_K8S_IMAGE": IMAGE,
            "GRAPH_OLAP_K8S_IMAGE_PULL_POLICY": "Always",
            "GRAPH_OLAP_K8S_SERVICE_ACCOUNT": "graph-olap-wrapper",
            "GRAPH_OLAP_K8S_PLATFORM_NAME": "team-b",
            "GRAPH_OLAP_K8S_MEMORY_REQUEST": "4Gi",
            "GRAPH_OLAP_K8S_MEMORY_LIMIT": "6Gi",
            "GRAPH_OLAP_K8S_INGRESS_URL_TEMPLATE": "https://g.example.com/i/{instance_id}",
            "GRAPH_OLAP_K8S_WRAPPER_ENV_SECRET": "graph-olap-storage",
        }
    )
    assert (settings.runtime, settings.k8s_namespace, settings.k8s_image) == (
        "kubernetes",
        "analytics",
        IMAGE,
    )
    assert settings.k8s_image_pull_policy == "Always"
    assert settings.k8s_service_account == "graph-olap-wrapper"
    assert settings.k8s_platform_name == "team-b"
    assert (settings.k8s_memory_request, settings.k8s_memory_limit) == ("4Gi", "6Gi")
    assert settings.k8s_ingress_url_template == "https://g.example.com/i/{instance_id}"
    assert settings.k8s_wrapper_env_secret == "graph-olap-storage"


def test_an_unknown_runtime_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="GRAPH_OLAP_RUNTIME='docker' is not a runtime"):
        Settings(data_dir=tmp_path, runtime="docker")


def test_kubernetes_settings_are_ignored_by_the_local_runtime(tmp_path: Path) -> None:
    Settings(data_dir=tmp_path, k8s_memory_request="lots", k8s_platform_name="Bad Name")


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"k8s_image": ""}, "GRAPH_OLAP_K8S_IMAGE is required"),
        ({"control_plane_url": None}, "GRAPH_OLAP_CONTROL_PLANE_URL is required"),
        ({"k8s_image_pull_policy": "always"}, "GRAPH_OLAP_K8S_IMAGE_PULL_POLICY"),
        ({"k8s_namespace": "Analytics"}, "GRAPH_OLAP_K8S_NAMESPACE"),
        ({"k8s_namespace": "a.b"}, "GRAPH_OLAP_K8S_NAMESPACE"),
        ({"k8s_platform_name": "1team"}, "GRAPH_OLAP_K8S_PLATFORM_NAME"),
        ({"k8s_platform_name": "t" * 31}, "GRAPH_OLAP_K8S_PLATFORM_NAME"),
        ({"k8s_service_account": "Wrapper_SA"}, "GRAPH_OLAP_K8S_SERVICE_ACCOUNT"),
        ({"k8s_wrapper_env_secret": "-x"}, "GRAPH_OLAP_K8S_WRAPPER_ENV_SECRET"),
        ({"k8s_memory_request": "4GB"}, "GRAPH_OLAP_K8S_MEMORY_REQUEST '4GB'"),
        ({"k8s_memory_request": ""}, "GRAPH_OLAP_K8S_MEMORY_REQUEST"),
        ({"k8s_memory_limit": "lots"}, "GRAPH_OLAP_K8S_MEMORY_LIMIT"),
        ({"k8s_ingress_url_template": "https://g.example.com/i"}, "no {port} or {instance_id}"),
        ({"k8s_ingress_url_template": "g.example.com/{instance_id}"}, "not an http"),
        ({"k8s_ingress_url_template": "https://g/{name}"}, "unknown placeholder"),
    ],
)
def test_kubernetes_settings_are_validated(
    tmp_path: Path, overrides: dict[str, object], variable: str
) -> None:
    with pytest.raises(ValueError, match="The Kubernetes runtime is misconfigured") as err:
        k8s_settings(tmp_path, **overrides)
    assert variable in str(err.value)


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        k8s_settings(tmp_path, k8s_image="", k8s_memory_request="x")
    assert "GRAPH_OLAP_K8S_IMAGE" in str(err.value)
    assert "GRAPH_OLAP_K8S_MEMORY_REQUEST" in str(err.value)


def test_make_runtime_refuses_local_snapshot_storage_before_asking_a_cluster(
    tmp_path: Path,
) -> None:
    settings = k8s_settings(tmp_path, snapshot_storage=None)
    with pytest.raises(InstanceRuntimeError) as err:
        make_runtime(settings)
    assert "GRAPH_OLAP_SNAPSHOT_STORAGE is a local folder" in str(err.value)


def test_make_runtime_without_a_cluster_says_how_to_configure_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    with pytest.raises(InstanceRuntimeError, match="set KUBECONFIG"):
        make_runtime(k8s_settings(tmp_path))


@pytest.mark.parametrize(
    "template",
    ["https://graph.example.com/instances/{instance_id}", "http://127.0.0.1:{port}"],
)
def test_ingress_templates_with_an_instance_id_or_a_port_are_accepted(
    tmp_path: Path, template: str
) -> None:
    settings = k8s_settings(tmp_path, k8s_ingress_url_template=template)
    assert settings.k8s_ingress_url_template == template
