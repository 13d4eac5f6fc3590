"""KubernetesRuntime at its API boundary: what it creates, how it reads pods, stops,
adopts, resizes and sweeps orphans (the in-memory CoreV1Api of ``fake_api``)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import kubernetes_validate
import pytest
import urllib3

from graph_olap_server.runtime import InstanceRuntimeError
from graph_olap_server.runtime import k8s_objects as objects
from graph_olap_server.runtime.kubernetes import POD_PID, KubernetesRuntime
from graph_olap_server.settings import Settings
from graph_olap_server.wrapper.config import parse_args
from tests.k8s.conftest import CONTROL_PLANE, IMAGE, NAMESPACE, TOKEN, instance, k8s_settings
from tests.k8s.fake_api import FakeCoreV1Api

NAME = "graph-olap-instance-7"
K8S_VERSION = "1.33"


def _start(runtime: KubernetesRuntime, row: Any = None, cores: int = 2) -> Any:
    row = row if row is not None else instance()
    assert runtime.start(row, snapshot_path=None, port=41234, cpu_cores=cores) == POD_PID  # type: ignore[arg-type]
    return row


# -- what start creates --------------------------------------------------------------------


def test_start_creates_schema_valid_secret_pod_and_service(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    _start(runtime)
    assert api.names("pod") == api.names("service") == api.names("secret") == {NAME}
    for kind in ("pod", "service", "secret"):
        obj = api.raw(kind, NAMESPACE, NAME)
        obj.pop("status", None)
        for key in ("uid", "namespace"):
            obj["metadata"].pop(key, None)
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        assert obj["metadata"]["labels"] == {
            "app.kubernetes.io/name": "graph-olap-instance",
            "graph-olap/platform": "graph-olap",
            "graph-olap/instance-id": "7",
            "graph-olap/owner": "ann.lee-example.com",
        }


def test_the_pod_runs_the_wrapper_from_the_image_with_its_arguments(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    _start(runtime, cores=3)
    pod = api.raw("pod", NAMESPACE, NAME)
    (container,) = pod["spec"]["containers"]
    assert container["image"] == IMAGE
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["command"] == ["python", "-m", "graph_olap_server.wrapper"]
    args = container["args"]
    assert args[args.index("--snapshot") + 1] == "s3://snapshots/platform-a/3"
    config = parse_args(args, environ={})  # the wrapper's own parser accepts them
    assert (config.instance_id, config.port, config.host) == (7, objects.WRAPPER_PORT, "0.0.0.0")
    assert (config.threads, config.control_plane) == (3, CONTROL_PLANE)
    assert config.buffer_pool_mb == 1024  # half of the 2Gi limit
    assert container["ports"] == [
        {"name": "http", "containerPort": objects.WRAPPER_PORT, "protocol": "TCP"}
    ]
    assert container["resources"] == {
        "requests": {"cpu": "3", "memory": "2Gi"},
        "limits": {"cpu": "3", "memory": "2Gi"},
    }
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert pod["spec"]["restartPolicy"] == "Never"


def test_the_pod_is_non_root_and_holds_no_secret_in_plain_text(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    _start(runtime)
    pod = api.raw("pod", NAMESPACE, NAME)
    spec, container = pod["spec"], pod["spec"]["containers"][0]
    assert TOKEN not in json.dumps(pod)
    assert TOKEN not in json.dumps(api.raw("service", NAMESPACE, NAME))
    token_env = next(e for e in container["env"] if e["name"] == "GRAPH_OLAP_WRAPPER_TOKEN")
    assert token_env == {
        "name": "GRAPH_OLAP_WRAPPER_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": NAME, "key": "token"}},
    }
    secret = api.raw("secret", NAMESPACE, NAME)
    assert base64.b64decode(secret["data"]["token"]).decode() == TOKEN
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] != 0
    assert spec["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {v["mountPath"] for v in container["volumeMounts"]} == {"/data", "/tmp"}


def test_the_service_selects_the_pod_on_the_instance_port(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    _start(runtime)
    service = api.raw("service", NAMESPACE, NAME)
    pod_labels = api.raw("pod", NAMESPACE, NAME)["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 41234, "targetPort": "http", "protocol": "TCP"}
    ]


def test_settings_shape_the_pod(tmp_path: Any, api: FakeCoreV1Api) -> None:
    settings = k8s_settings(
        tmp_path,
        k8s_platform_name="team-b",
        k8s_memory_request="6Gi",
        k8s_memory_limit="8Gi",
        k8s_service_account="graph-olap-wrapper",
        k8s_wrapper_env_secret="graph-olap-storage",
        k8s_image_pull_policy="Always",
    )
    _start(KubernetesRuntime(settings, api=api))
    pod = api.raw("pod", NAMESPACE, "team-b-instance-7")
    container = pod["spec"]["containers"][0]
    assert pod["metadata"]["labels"]["graph-olap/platform"] == "team-b"
    assert pod["spec"]["serviceAccountName"] == "graph-olap-wrapper"
    assert container["envFrom"] == [{"secretRef": {"name": "graph-olap-storage"}}]
    assert container["imagePullPolicy"] == "Always"
    assert container["resources"]["limits"]["memory"] == "8Gi"
    assert container["resources"]["requests"]["memory"] == "6Gi"
    assert container["args"][container["args"].index("--buffer-pool-mb") + 1] == "4096"


@pytest.mark.parametrize(
    ("owner", "label"),
    [
        ("ann", "ann"),
        ("ann.lee@example.com", "ann.lee-example.com"),
        ("_x y_", "x-y"),
        ("@@@", "unknown"),
        ("a" * 80, "a" * 63),
    ],
)
def test_owner_labels_are_label_safe(owner: str, label: str) -> None:
    assert objects.label_value(owner) == label


def test_a_refused_create_leaves_nothing_behind(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    api.refuse("create", "pod", 403, 'pods is forbidden: User "x" cannot create pods')
    with pytest.raises(InstanceRuntimeError) as err:
        _start(runtime)
    assert "pod of instance 7" in str(err.value)
    assert "403" in str(err.value) and "cannot create pods" in str(err.value)
    assert f"namespace {NAMESPACE!r}" in str(err.value)
    assert api.names("secret") == api.names("pod") == set()


def test_a_local_snapshot_folder_is_refused(tmp_path: Any, api: FakeCoreV1Api) -> None:
    settings = k8s_settings(tmp_path, snapshot_storage=str(tmp_path / "snaps"))
    with pytest.raises(InstanceRuntimeError, match="GRAPH_OLAP_SNAPSHOT_STORAGE") as err:
        KubernetesRuntime(settings, api=api)
    assert "s3://" in str(err.value)
    assert api.calls == []


# -- addresses -----------------------------------------------------------------------------


def test_addresses_are_the_service_dns_and_the_ingress_pattern(
    tmp_path: Any, runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    service = f"http://{NAME}.{NAMESPACE}.svc.cluster.local:41234"
    assert runtime.addresses(7, 41234).in_cluster == service
    assert runtime.addresses(7, 41234).external == service  # no ingress configured
    assert runtime.wrapper_url(7, 41234) == service
    ingress = k8s_settings(
        tmp_path, k8s_ingress_url_template="https://graph.example.com/instances/{instance_id}/"
    )
    addresses = KubernetesRuntime(ingress, api=api).addresses(7, 41234)
    assert addresses.external == "https://graph.example.com/instances/7"
    assert addresses.in_cluster == service


# -- pod phases -> instance states ---------------------------------------------------------


def _waiting(reason: str, message: str = "") -> dict[str, Any]:
    return {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "wrapper",
                "image": IMAGE,
                "imageID": "",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": reason, "message": message}},
            }
        ],
    }


def _terminated(reason: str, code: int) -> dict[str, Any]:
    status = _waiting("x")
    status["phase"] = "Failed"
    status["containerStatuses"][0]["state"] = {"terminated": {"reason": reason, "exitCode": code}}
    return status


UNSCHEDULABLE = {
    "phase": "Pending",
    "conditions": [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory.",
        }
    ],
}


@pytest.mark.parametrize(
    ("status", "state", "detail"),
    [
        ({"phase": "Pending"}, "starting", ""),
        (UNSCHEDULABLE, "starting", "Unschedulable: 0/3 nodes are available"),
        (_waiting("ContainerCreating"), "starting", ""),
        (_waiting("ErrImagePull", "pull failed"), "starting", ""),
        ({"phase": "Running"}, "running", ""),
        (_waiting("ImagePullBackOff", "Back-off pulling image"), "failed", "GRAPH_OLAP_K8S_IMAGE"),
        (_waiting("CrashLoopBackOff", "back-off 5m0s"), "failed", "CrashLoopBackOff: back-off"),
        (_waiting("CreateContainerConfigError", 'secret "s" not found'), "failed", "Secrets"),
        (_terminated("OOMKilled", 137), "failed", "OOMKilled: the wrapper exited with code 137"),
        (_terminated("Error", 3), "failed", "Error: the wrapper exited with code 3"),
        ({"phase": "Failed", "reason": "Evicted", "message": "low on memory"}, "failed",
         "Evicted: low on memory"),
        ({"phase": "Unknown"}, "failed", "Unknown: the pod's node stopped reporting"),
        ({"phase": "Succeeded"}, "failed", "Completed"),
    ],
)  # fmt: skip
def test_pod_status_maps_to_an_instance_state(
    runtime: KubernetesRuntime,
    api: FakeCoreV1Api,
    status: dict[str, Any],
    state: str,
    detail: str,
) -> None:
    row = _start(runtime)
    api.set_pod_status(NAMESPACE, NAME, status)
    seen = runtime.pod_state(7)
    assert seen.state == state
    assert detail in seen.detail
    assert runtime.alive(row) is (state in ("starting", "running"))


def test_a_vanished_pod_is_gone_and_says_so(runtime: KubernetesRuntime, api: FakeCoreV1Api) -> None:
    row = _start(runtime)
    api.delete_namespaced_pod(NAME, NAMESPACE)  # e.g. kubectl delete pod, node drained
    assert runtime.pod_state(7).state == "gone"
    assert not runtime.alive(row)
    assert runtime.log_tail(row) == f"pod {NAME}: its pod no longer exists"


def test_an_unreachable_api_does_not_fail_instances(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = _start(runtime)
    api.refuse("read", "pod", 503, "etcdserver: request timed out")
    assert runtime.alive(row)


def test_log_tail_names_the_reason_and_the_wrapper_log(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = _start(runtime)
    api.logs[NAME] = "loading\nstep 1\nstep 2\nMemoryError: out of memory\n"
    api.set_pod_status(NAMESPACE, NAME, _terminated("OOMKilled", 137))
    tail = runtime.log_tail(row, lines=2)
    assert tail.splitlines() == [
        f"pod {NAME}: OOMKilled: the wrapper exited with code 137 (raise "
        "GRAPH_OLAP_K8S_MEMORY_LIMIT or use a smaller mapping)",
        "step 2",
        "MemoryError: out of memory",
    ]


# -- stop, adopt ---------------------------------------------------------------------------


def test_stop_deletes_pod_service_and_secret(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = _start(runtime)
    runtime.stop(row)
    assert api.objects == {}
    assert api.grace[NAME] == int(runtime.settings.instance_stop_timeout)
    assert runtime.was_stopped(row)
    runtime.stop(row)  # nothing left: not an error
    _start(runtime, row)
    assert not runtime.was_stopped(row)


def test_a_refused_delete_says_how_to_finish_by_hand(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = _start(runtime)
    api.refuse("delete", "service", 403, "services is forbidden")
    with pytest.raises(InstanceRuntimeError) as err:
        runtime.stop(row)
    assert f"kubectl -n {NAMESPACE} delete service {NAME}" in str(err.value)


def test_stop_strays_removes_a_lost_launch(runtime: KubernetesRuntime, api: FakeCoreV1Api) -> None:
    row = _start(runtime)
    assert runtime.stop_strays(row) == 3
    assert api.objects == {}
    _start(runtime, row)  # the name is free again


def test_adopt_after_restart_finds_the_live_pod_by_labels(
    settings: Settings, runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = _start(runtime)
    api.set_pod_status(NAMESPACE, NAME, {"phase": "Running"})
    restarted = KubernetesRuntime(settings, api=api)
    assert restarted.adopt(row)
    assert restarted.addresses(7, 41234) == runtime.addresses(7, 41234)
    other_platform = KubernetesRuntime(
        k8s_settings(settings.data_dir, k8s_platform_name="team-b"), api=api
    )
    assert not other_platform.adopt(row)  # same id, not its pod
    api.set_pod_status(NAMESPACE, NAME, _terminated("Error", 1))
    assert not restarted.adopt(row)
    api.delete_namespaced_pod(NAME, NAMESPACE)
    assert not restarted.adopt(row)


# -- set_cpu -------------------------------------------------------------------------------


class _StandInWrapper(ThreadingHTTPServer):
    """What the instance's service answers in these tests: PUT /threads, recorded."""

    def __init__(self) -> None:
        self.threads: list[tuple[int, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.threads.append((body["threads"], self.headers.get("X-Wrapper-Token", "")))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"data": {}}')

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def wrapper() -> Iterator[_StandInWrapper]:
    server = _StandInWrapper()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


class _ResolvedRuntime(KubernetesRuntime):
    """The service name resolved to the stand-in wrapper (cluster DNS, here)."""

    port = 0

    def wrapper_url(self, instance_id: int, port: int) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.mark.parametrize("resize", ["subresource", "gate"])
def test_set_cpu_resizes_the_pod_in_place_then_the_engine(
    settings: Settings, wrapper: _StandInWrapper, resize: str
) -> None:
    api = FakeCoreV1Api(resize=resize)
    runtime = _ResolvedRuntime(settings, api=api)
    runtime.port = wrapper.server_address[1]
    row = _start(runtime)
    runtime.set_cpu(row, 4)
    container = api.raw("pod", NAMESPACE, NAME)["spec"]["containers"][0]
    assert container["resources"]["requests"]["cpu"] == "4"
    assert container["resources"]["limits"]["cpu"] == "4"
    assert container["resources"]["limits"]["memory"] == "2Gi"  # untouched
    assert wrapper.threads == [(4, TOKEN)]


def test_set_cpu_without_in_place_resize_changes_nothing(
    settings: Settings, wrapper: _StandInWrapper
) -> None:
    api = FakeCoreV1Api(resize="none")
    runtime = _ResolvedRuntime(settings, api=api)
    runtime.port = wrapper.server_address[1]
    row = _start(runtime)
    with pytest.raises(InstanceRuntimeError) as err:
        runtime.set_cpu(row, 4)
    assert "1.33" in str(err.value) and "nothing was changed" in str(err.value)
    assert "422" in str(err.value)
    assert (
        api.raw("pod", NAMESPACE, NAME)["spec"]["containers"][0]["resources"]["limits"]["cpu"]
        == "2"
    )
    assert wrapper.threads == []


# -- orphans -------------------------------------------------------------------------------


def test_remove_orphans_deletes_the_objects_of_ended_or_unknown_instances(
    settings: Settings, runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    for instance_id in (1, 2, 3):
        _start(runtime, instance(instance_id))
    other = KubernetesRuntime(k8s_settings(settings.data_dir, k8s_platform_name="team-b"), api=api)
    _start(other, instance(1))
    api.delete_namespaced_pod("graph-olap-instance-3", NAMESPACE)  # its service/secret remain
    asked: list[set[int]] = []

    def live(ids: Any) -> set[int]:
        asked.append(set(ids))
        return {2}

    assert runtime.remove_orphans(live) == 2
    assert asked == [{1, 2, 3}]
    assert {name for (_, _, name) in api.objects} == {
        "graph-olap-instance-2",
        "team-b-instance-1",  # another platform's: never touched
    }
    assert runtime.remove_orphans(lambda ids: set(ids)) == 0


def test_remove_orphans_says_when_it_may_not_list(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    _start(runtime)
    api.refuse("list", "secret", 403, 'secrets is forbidden: cannot list resource "secrets"')
    with pytest.raises(InstanceRuntimeError, match="cannot list the secrets") as err:
        runtime.remove_orphans(lambda ids: set())
    assert "Role" in str(err.value)
    assert api.names("pod") == {NAME}  # nothing deleted on a partial view


def test_an_api_server_that_does_not_answer_is_a_runtime_error(
    runtime: KubernetesRuntime, api: FakeCoreV1Api
) -> None:
    row = instance()

    def unreachable(namespace: str, body: Any) -> Any:  # the fault: no connection at all
        raise urllib3.exceptions.MaxRetryError(None, "/api/v1/namespaces/analytics/secrets")  # type: ignore[arg-type]

    api.create_namespaced_secret = unreachable  # type: ignore[method-assign]
    with pytest.raises(InstanceRuntimeError, match="MaxRetryError") as err:
        _start(runtime, row)
    assert "secret of instance 7" in str(err.value)
    assert api.objects == {}
