"""The manifests and the image agree with the platform's code: the ConfigMap and Secrets
make valid settings, probes hit real routes, the image's user and port are the ones the
pods use, the NetworkPolicies select the pods the Kubernetes runtime creates, and those
pods are admitted by the namespace's Pod Security level."""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency there
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

from graph_olap import Config
from graph_olap_server import db
from graph_olap_server.api.routes.health import router as health_router
from graph_olap_server.runtime import k8s_objects
from graph_olap_server.settings import Settings
from graph_olap_server.storage.location import ObjectLocation
from tests.deploy.manifests import (
    CONTAINERFILE,
    DEPLOY,
    KUBERNETES,
    ROOT,
    Doc,
    base_objects,
    find,
)

SOURCE = ROOT / "src" / "graph_olap_server"
CONTROL_PLANE = "graph-olap-control-plane"


@pytest.fixture(scope="module")
def objects() -> list[Doc]:
    return base_objects()


def _pod_spec(objects: list[Doc]) -> Doc:
    spec: Doc = find(objects, "Deployment", CONTROL_PLANE)["spec"]["template"]["spec"]
    return spec


def _container(objects: list[Doc]) -> Doc:
    containers: list[Doc] = _pod_spec(objects)["containers"]
    assert len(containers) == 1
    return containers[0]


def _instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", CONTAINERFILE.read_text(encoding="utf-8"))
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in lines]


def _image_user() -> tuple[int, int]:
    users = [value for op, value in _instructions() if op == "USER"]
    assert users, "the Containerfile has no USER: the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and gid.isdigit(), "USER must be numeric uid:gid (runAsNonRoot checks it)"
    return int(uid), int(gid)


def _environment(objects: list[Doc], tmp_path: Path) -> dict[str, str]:
    """What the control plane's process sees: the ConfigMap, the Secrets' keys (fake
    values), the namespace from the downward API."""
    config = find(objects, "ConfigMap", "graph-olap-config")["data"]
    env = dict(config)
    env["GRAPH_OLAP_DATA_DIR"] = str(tmp_path)  # the emptyDir's path, here
    for var in _container(objects)["env"]:
        source = var.get("valueFrom", {})
        if "secretKeyRef" in source and not source["secretKeyRef"].get("optional"):
            env[var["name"]] = {
                "database-url": "postgresql+psycopg://graph:pw@postgres:5432/graph_olap",
                "internal-api-key": "internal-key-from-the-secret",
            }[source["secretKeyRef"]["key"]]
        elif "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"] == "metadata.namespace"
            env[var["name"]] = find(objects, "Namespace", "graph-olap")["metadata"]["name"]
    return env


def test_the_configmap_and_secrets_make_valid_settings(objects: list[Doc], tmp_path: Path) -> None:
    settings = Settings.from_env(_environment(objects, tmp_path))
    assert settings.runtime == "kubernetes"
    assert settings.dev_mode is False, "dev mode must be off: API keys only"
    assert settings.internal_api_key and settings.database_url.startswith("postgresql")
    # the wrapper pods run the control plane's image
    assert settings.k8s_image == _container(objects)["image"]
    # their service account exists, never gets a token, and is bound to no Role
    account = find(objects, "ServiceAccount", settings.k8s_service_account)
    assert account["automountServiceAccountToken"] is False
    bound = [s["name"] for o in objects if o["kind"] == "RoleBinding" for s in o["subjects"]]
    assert settings.k8s_service_account not in bound
    # the wrappers reach the control plane through its Service
    url = urllib.parse.urlsplit(settings.control_plane_url or "")
    service = find(objects, "Service", "control-plane")
    assert url.hostname == service["metadata"]["name"]
    assert url.port in [p["port"] for p in service["spec"]["ports"]]
    # wrappers and control plane read the same object-storage credentials Secret
    refs = [e["secretRef"]["name"] for e in _container(objects)["envFrom"] if "secretRef" in e]
    assert settings.k8s_wrapper_env_secret in refs
    assert isinstance(settings.snapshot_storage, ObjectLocation), (
        "wrapper pods cannot read a folder on the control plane's disk: snapshots must be in "
        "object storage"
    )


def test_every_setting_named_in_the_manifests_is_read_by_the_platform(objects: list[Doc]) -> None:
    names = set(find(objects, "ConfigMap", "graph-olap-config")["data"])
    names |= {v["name"] for v in _container(objects)["env"]}
    for path in KUBERNETES.rglob("*.yaml"):  # overlays and comments too
        names |= set(re.findall(r"GRAPH_OLAP_\w+", path.read_text(encoding="utf-8")))
    # the platform's settings, and the SDK's (comments tell notebooks what to set)
    files = [*SOURCE.rglob("*.py"), *(ROOT / "src" / "graph_olap").rglob("*.py")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in files)
    unknown = sorted(n for n in names if f'"{n}"' not in source)
    assert not unknown, f"neither platform nor SDK reads {unknown}: a typo in the manifests?"


def test_probes_use_the_platforms_health_routes(objects: list[Doc]) -> None:
    container = _container(objects)
    routes = {route.path for route in health_router.routes}  # type: ignore[attr-defined]
    assert container["livenessProbe"]["httpGet"]["path"] in routes
    assert container["startupProbe"]["httpGet"]["path"] in routes
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert "/ready" in routes


def test_the_image_runs_the_control_plane_as_the_pods_user(objects: list[Doc]) -> None:
    uid, gid = _image_user()
    assert uid != 0 and gid != 0
    pod = _pod_spec(objects)
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (uid, gid)
    assert uid == k8s_objects.RUN_AS, "wrapper pods must run as the image's user"
    # the command of the Deployment is the image's default command, on the Service's port
    cmd = json.loads(next(v for op, v in _instructions() if op == "CMD"))
    container = _container(objects)
    assert container["command"] == cmd
    port = int(cmd[cmd.index("--port") + 1])
    assert [p["containerPort"] for p in container["ports"] if p["name"] == "http"] == [port]
    assert f"EXPOSE {port}" in [f"{op} {v}" for op, v in _instructions()]


def test_the_image_installs_the_extras_and_both_entry_points_exist() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = next(v for op, v in _instructions() if op == "ARG" and v.startswith("EXTRAS="))
    wanted = set(extras.split("=", 1)[1].split(","))
    known = set(project["optional-dependencies"])
    assert wanted <= known, f"the Containerfile installs unknown extras {wanted - known}"
    assert {"server", "kubernetes", "object-storage", "postgres", "trino"} <= wanted
    assert project["scripts"]["graph-olap"] == "graph_olap_server.cli:main"
    assert (SOURCE / "wrapper" / "__main__.py").is_file()
    # the build context keeps what the wheel build reads
    ignore = (DEPLOY / "Containerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert {"!pyproject.toml", f"!{project['readme']}", "!src"} <= set(ignore)


def test_the_root_filesystem_is_read_only_with_writable_mounts(objects: list[Doc]) -> None:
    container = _container(objects)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    data_dir = find(objects, "ConfigMap", "graph-olap-config")["data"]["GRAPH_OLAP_DATA_DIR"]
    assert {data_dir, "/tmp"} <= mounts
    pairs = [pair for op, value in _instructions() if op == "ENV" for pair in value.split()]
    env = dict(pair.split("=", 1) for pair in pairs)
    assert env.get("GRAPH_OLAP_DATA_DIR") == data_dir
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"


def _instance_objects(tmp_path: Path, objects: list[Doc]) -> dict[str, dict[str, Any]]:
    settings = Settings.from_env(_environment(objects, tmp_path))
    instance = db.Instance(id=7, owner_username="ann.lee@example.com", wrapper_token="t0ken")
    namespace = settings.k8s_namespace
    return {
        "Pod": k8s_objects.pod_manifest(
            settings,
            instance,
            namespace,
            snapshot_uri="s3://b/snapshots/3",
            engine="ryugraph",
            cpu_cores=2,
        ),
        "Service": k8s_objects.service_manifest(settings, instance, namespace, 41234),
        "Secret": k8s_objects.secret_manifest(settings, instance, namespace),
    }


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_network_policies_select_the_pods_they_protect(objects: list[Doc], tmp_path: Path) -> None:
    pod = _instance_objects(tmp_path, objects)["Pod"]
    control_plane = find(objects, "Deployment", CONTROL_PLANE)["spec"]["template"]["metadata"]
    instances = find(objects, "NetworkPolicy", "graph-olap-instances")["spec"]
    assert _selects(instances["podSelector"]["matchLabels"], pod["metadata"]["labels"])
    assert not _selects(instances["podSelector"]["matchLabels"], control_plane["labels"])
    (rule,) = instances["ingress"]
    peers = rule["from"]
    pod_peers = [p["podSelector"]["matchLabels"] for p in peers if "podSelector" in p]
    assert pod_peers and all(_selects(s, control_plane["labels"]) for s in pod_peers)
    assert all("namespaceSelector" not in p or "podSelector" not in p for p in peers)
    assert [p for p in peers if "namespaceSelector" in p], "the notebook namespace is missing"
    wrapper_ports = {p["name"] for c in pod["spec"]["containers"] for p in c["ports"]}
    assert {p["port"] for p in rule["ports"]} <= wrapper_ports
    # the control plane's own policy: its pods, reached by wrappers and notebooks
    own = find(objects, "NetworkPolicy", CONTROL_PLANE)["spec"]
    assert _selects(own["podSelector"]["matchLabels"], control_plane["labels"])
    (rule,) = own["ingress"]
    assert any(
        _selects(p.get("podSelector", {}).get("matchLabels", {"-": "-"}), pod["metadata"]["labels"])
        for p in rule["from"]
    )


def test_instance_objects_are_valid_and_admitted_by_the_namespace(
    objects: list[Doc], tmp_path: Path
) -> None:
    """The runtime's Pod, Service and Secret validate against the schemas, and the Pod
    meets the Pod Security level the namespace enforces (``restricted``)."""
    for kind, manifest in _instance_objects(tmp_path, objects).items():
        try:
            kubernetes_validate.validate(manifest, "1.30", strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"the runtime's {kind} is invalid at {list(err.path)}: {err.message}")
    level = find(objects, "Namespace", "graph-olap")["metadata"]["labels"]
    assert level["pod-security.kubernetes.io/enforce"] == "restricted"
    for spec in (_instance_objects(tmp_path, objects)["Pod"]["spec"], _pod_spec(objects)):
        assert _restricted_problems(spec) == []


def _restricted_problems(spec: Doc) -> list[str]:
    """What the Pod Security Standards' ``restricted`` profile would refuse in ``spec``."""
    problems = []
    pod_ctx = spec.get("securityContext", {})
    allowed_volumes = {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= allowed_volumes:
            problems.append(f"volume {volume['name']} is {kinds}")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            problems.append(key)
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        ctx = c.get("securityContext", {})
        if ctx.get("privileged"):
            problems.append(f"{c['name']}: privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{c['name']}: allowPrivilegeEscalation must be false")
        if "ALL" not in ctx.get("capabilities", {}).get("drop", []):
            problems.append(f"{c['name']}: capabilities must drop ALL")
        if set(ctx.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{c['name']}: adds capabilities")
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            problems.append(f"{c['name']}: runAsNonRoot must be true")
        if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
            problems.append(f"{c['name']}: runs as uid 0")
        seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{c['name']}: seccompProfile must be RuntimeDefault")
        for p in c.get("ports", []):
            if "hostPort" in p:
                problems.append(f"{c['name']}: hostPort")
    return problems


def test_the_sdks_in_cluster_mode_finds_the_control_plane(objects: list[Doc]) -> None:
    """A notebook in the cluster sets GRAPH_OLAP_IN_CLUSTER_MODE=true and the platform's
    namespace; the SDK's URL must name this Service and port."""
    namespace = find(objects, "Namespace", "graph-olap")["metadata"]["name"]
    config = Config.from_env(
        environ={
            "GRAPH_OLAP_IN_CLUSTER_MODE": "true",
            "GRAPH_OLAP_NAMESPACE": namespace,
            "GRAPH_OLAP_API_KEY": "sk-test",
        }
    )
    url = urllib.parse.urlsplit(config.api_url)
    service = find(objects, "Service", "control-plane")
    assert url.hostname == f"{service['metadata']['name']}.{namespace}.svc"
    assert url.port in [p["port"] for p in service["spec"]["ports"]]
