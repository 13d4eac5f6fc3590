"""What the Kubernetes runtime creates and reads: the names and labels of an instance's
objects, its Pod, Service and Secret (as the API's JSON, camelCase), and how a pod's
status maps to an instance state.

Every object of an instance carries the labels ``app.kubernetes.io/name=graph-olap-instance``,
``graph-olap/platform=<platform name>``, ``graph-olap/instance-id=<id>`` and
``graph-olap/owner=<owner, label-safe>``; the reconciliation job finds them by the first two.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from graph_olap_server import db
from graph_olap_server.settings import Settings

__all__ = [
    "APP",
    "APP_LABEL",
    "CONTAINER",
    "INSTANCE_LABEL",
    "OWNER_LABEL",
    "PLATFORM_LABEL",
    "TOKEN_KEY",
    "WRAPPER_PORT",
    "PodState",
    "buffer_pool_mb",
    "label_value",
    "labels",
    "object_name",
    "pod_manifest",
    "pod_state",
    "secret_manifest",
    "selector",
    "service_manifest",
]

APP_LABEL = "app.kubernetes.io/name"
APP = "graph-olap-instance"
PLATFORM_LABEL = "graph-olap/platform"
INSTANCE_LABEL = "graph-olap/instance-id"
OWNER_LABEL = "graph-olap/owner"
CONTAINER = "wrapper"
WRAPPER_PORT = 8080
"""The port the wrapper listens on inside its pod (the service maps the instance's port
to it, so a NetworkPolicy can name one port)."""
TOKEN_KEY = "token"
TOKEN_ENV = "GRAPH_OLAP_WRAPPER_TOKEN"
RUN_AS = 10001
"""The image's non-root user and group."""
DATA_DIR = "/data"

FAILED_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
"""Reasons a container waits for ever: the instance is failed, not starting."""

_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def label_value(text: str) -> str:
    """``text`` as a label value: ``[A-Za-z0-9._-]``, at most 63, alphanumeric at both ends.

    Example:
        >>> label_value("ann.lee@example.com")
        'ann.lee-example.com'
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "-", text)[:63].strip("._-")
    return cleaned or "unknown"


def object_name(settings: Settings, instance_id: int) -> str:
    """The name of the pod, service and secret of an instance.

    Example:
        >>> object_name(Settings(data_dir=Path("/tmp/go")), 7)
        'graph-olap-instance-7'
    """
    return f"{settings.k8s_platform_name}-instance-{instance_id}"


def selector(settings: Settings, instance_id: int | None = None) -> str:
    """The label selector of the platform's instance objects (of one instance if given).

    Example:
        >>> selector(Settings(data_dir=Path("/tmp/go")), 7)
        'app.kubernetes.io/name=graph-olap-instance,graph-olap/platform=graph-olap,graph-olap/instance-id=7'
    """
    parts = [f"{APP_LABEL}={APP}", f"{PLATFORM_LABEL}={settings.k8s_platform_name}"]
    if instance_id is not None:
        parts.append(f"{INSTANCE_LABEL}={instance_id}")
    return ",".join(parts)


def labels(settings: Settings, instance: db.Instance) -> dict[str, str]:
    """The labels of every object of ``instance``."""
    return {
        APP_LABEL: APP,
        PLATFORM_LABEL: settings.k8s_platform_name,
        INSTANCE_LABEL: str(instance.id),
        OWNER_LABEL: label_value(instance.owner_username or ""),
    }


def buffer_pool_mb(memory: str) -> int:
    """The engine's buffer pool for a pod with ``memory`` (a quantity): half of it, at
    least 256 MiB, so the pool and the query results fit under the limit.

    Example:
        >>> buffer_pool_mb("4Gi")
        2048
    """
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", memory)
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(f"{memory!r} is not a memory quantity such as '4Gi'")
    total = float(match.group(1)) * _UNITS[match.group(2)]
    return max(256, int(total / 2**20 / 2))


def _metadata(settings: Settings, instance: db.Instance, namespace: str) -> dict[str, Any]:
    return {
        "name": object_name(settings, instance.id),
        "namespace": namespace,
        "labels": labels(settings, instance),
    }


def secret_manifest(settings: Settings, instance: db.Instance, namespace: str) -> dict[str, Any]:
    """The Secret holding the instance's wrapper token (the pod reads it as an env var)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(settings, instance, namespace),
        "type": "Opaque",
        "stringData": {TOKEN_KEY: instance.wrapper_token or ""},
    }


def service_manifest(
    settings: Settings, instance: db.Instance, namespace: str, port: int
) -> dict[str, Any]:
    """A ClusterIP service: ``<name>.<namespace>.svc.cluster.local:<port>`` → the wrapper."""
    meta = _metadata(settings, instance, namespace)
    pod_labels = {k: v for k, v in meta["labels"].items() if k != OWNER_LABEL}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "ClusterIP",
            "selector": pod_labels,
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def pod_manifest(
    settings: Settings,
    instance: db.Instance,
    namespace: str,
    *,
    snapshot_uri: str,
    engine: str,
    cpu_cores: int,
) -> dict[str, Any]:
    """The wrapper's pod: ``python -m graph_olap_server.wrapper`` from the platform's image,
    non-root with a read-only root filesystem, the token from the instance's Secret,
    ready when ``/ready`` answers, never restarted (a new instance is started instead)."""
    name = object_name(settings, instance.id)
    memory_limit = settings.k8s_memory_limit or settings.k8s_memory_request
    cpu = str(cpu_cores)
    args = [
        "--instance-id", str(instance.id),
        "--snapshot", snapshot_uri,
        "--port", str(WRAPPER_PORT),
        "--host", "0.0.0.0",  # the pod's own network namespace
        "--data-dir", f"{DATA_DIR}/instance",
        "--engine", engine,
        "--threads", str(cpu_cores),
        "--control-plane", (settings.control_plane_url or "").rstrip("/"),
        "--buffer-pool-mb", str(buffer_pool_mb(memory_limit)),
    ]  # fmt: skip
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": settings.k8s_image,
        "imagePullPolicy": settings.k8s_image_pull_policy,
        "command": ["python", "-m", "graph_olap_server.wrapper"],
        "args": args,
        "ports": [{"name": "http", "containerPort": WRAPPER_PORT, "protocol": "TCP"}],
        "env": [
            {
                "name": TOKEN_ENV,
                "valueFrom": {"secretKeyRef": {"name": name, "key": TOKEN_KEY}},
            },
            {"name": "HOME", "value": "/tmp"},
        ],
        "resources": {
            "requests": {"cpu": cpu, "memory": settings.k8s_memory_request},
            "limits": {"cpu": cpu, "memory": memory_limit},
        },
        "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
        "readinessProbe": {
            "httpGet": {"path": "/ready", "port": "http"},
            "periodSeconds": 2,
            "failureThreshold": 1,
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_DIR},
            {"name": "tmp", "mountPath": "/tmp"},  # an emptyDir of its own
        ],
    }
    if settings.k8s_wrapper_env_secret:
        container["envFrom"] = [{"secretRef": {"name": settings.k8s_wrapper_env_secret}}]
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": max(1, int(settings.instance_stop_timeout)),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
    }
    if settings.k8s_service_account:
        spec["serviceAccountName"] = settings.k8s_service_account
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _metadata(settings, instance, namespace),
        "spec": spec,
    }


@dataclasses.dataclass(frozen=True)
class PodState:
    """What a pod says about its instance.

    Attributes:
        state: ``starting`` (scheduled or pulling: wait), ``running`` (its container
            runs; the monitor's ``/ready`` check says when it is ready), ``failed`` (it
            will never serve) or ``gone`` (no pod, or being deleted).
        detail: Why, for error messages ("" when there is nothing to say).
    """

    state: str
    detail: str = ""

    @property
    def alive(self) -> bool:
        return self.state in ("starting", "running")


def pod_state(pod: Any) -> PodState:
    """Map a ``V1Pod`` (None: no such pod) to an instance state.

    Example:
        >>> pod_state(None)
        PodState(state='gone', detail='its pod no longer exists')
    """
    if pod is None:
        return PodState("gone", "its pod no longer exists")
    if pod.metadata is not None and pod.metadata.deletion_timestamp is not None:
        return PodState("gone", "its pod is being deleted")
    status = pod.status
    phase = (status.phase if status is not None else None) or "Pending"
    containers = (status.container_statuses if status is not None else None) or []
    for container in containers:
        state = container.state
        waiting = state.waiting if state is not None else None
        if waiting is not None and waiting.reason in FAILED_WAITING:
            return PodState("failed", _reason(waiting.reason, waiting.message))
        terminated = state.terminated if state is not None else None
        if terminated is not None:
            why = terminated.reason or "Error"
            text = f"the wrapper exited with code {terminated.exit_code}"
            if terminated.message:
                text += f": {terminated.message}"
            return PodState("failed", _reason(why, text))
    if phase in ("Failed", "Succeeded"):
        why = status.reason or ("Completed" if phase == "Succeeded" else "Failed")
        return PodState("failed", _reason(why, status.message or "the pod stopped"))
    if phase == "Unknown":
        return PodState("failed", _reason("Unknown", "the pod's node stopped reporting"))
    if phase == "Running":
        return PodState("running")
    for condition in (status.conditions if status is not None else None) or []:
        if condition.type == "PodScheduled" and condition.status == "False":
            return PodState("starting", _reason(condition.reason or "Pending", condition.message))
    return PodState("starting")


def _reason(reason: str, message: str | None) -> str:
    """``"ImagePullBackOff: <message>"`` with a hint of what to do for the usual reasons."""
    hints = {
        "ImagePullBackOff": "check GRAPH_OLAP_K8S_IMAGE and the pull secret",
        "InvalidImageName": "check GRAPH_OLAP_K8S_IMAGE",
        "CreateContainerConfigError": "check the Secrets the pod reads",
        "OOMKilled": "raise GRAPH_OLAP_K8S_MEMORY_LIMIT or use a smaller mapping",
        "Unschedulable": "the cluster has no room: free instances or ask ops for capacity",
    }
    text = f"{reason}: {message}" if message else reason
    return f"{text} ({hints[reason]})" if reason in hints else text
