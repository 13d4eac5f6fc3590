"""The Kubernetes instance runtime: a Pod, a Service and a Secret per instance.

Chosen with ``GRAPH_OLAP_RUNTIME=kubernetes`` (settings ``GRAPH_OLAP_K8S_*``). It talks to
the API through the official client's ``CoreV1Api`` (the ``kubernetes`` extra, imported
only when this runtime is used), inside the cluster with the pod's service account, else
with ``KUBECONFIG``. The objects are described in :mod:`.k8s_objects`.

* ``start`` creates the Secret (the wrapper token), the Pod (``python -m
  graph_olap_server.wrapper`` reading the snapshot from object storage) and the Service;
* ``alive`` maps the pod's phase and container states (:func:`.k8s_objects.pod_state`);
  readiness is the monitor's ``/ready`` check through :meth:`wrapper_url`;
* ``stop`` deletes all three; ``adopt`` finds the pod by its labels after a restart;
* ``set_cpu`` resizes the pod in place (``pods/resize``, Kubernetes 1.33+; the pod itself
  on clusters with the ``InPlacePodVerticalScaling`` gate) then sets the engine threads;
* ``remove_orphans`` (the reconciliation job) deletes the objects of ended or unknown
  instances.

The API calls it makes (what the control plane's Role must allow): pods create, get,
list, delete, patch; pods/resize patch; pods/log get; services and secrets create, list,
delete.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from graph_olap_server import db
from graph_olap_server.runtime import k8s_objects as objects
from graph_olap_server.runtime.base import (
    InstanceAddresses,
    InstanceRuntime,
    InstanceRuntimeError,
)
from graph_olap_server.runtime.local import default_engine
from graph_olap_server.runtime.wrapper_client import WrapperClient
from graph_olap_server.settings import Settings

__all__ = ["POD_PID", "KubernetesRuntime", "load_core_api"]

log = logging.getLogger("graph_olap_server")

POD_PID = 1
"""The "pid" recorded for an instance in a pod: its wrapper is the container's process 1."""
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_KINDS = ("pod", "service", "secret")


def load_core_api() -> Any:
    """A ``CoreV1Api`` configured in the cluster (service account), else from KUBECONFIG.

    Example:
        >>> api = load_core_api()
    """
    try:
        from kubernetes import client, config
    except ImportError as err:  # the optional extra
        raise InstanceRuntimeError(
            "GRAPH_OLAP_RUNTIME=kubernetes needs the Kubernetes client: "
            "pip install 'graph-olap[kubernetes]'"
        ) from err
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        try:
            config.load_kube_config()  # type: ignore[no-untyped-call]
        except (config.ConfigException, OSError) as err:
            raise InstanceRuntimeError(
                "GRAPH_OLAP_RUNTIME=kubernetes but no cluster is configured: run the control "
                "plane in the cluster (with its service account) or set KUBECONFIG "
                f"({err})"
            ) from err
    return client.CoreV1Api()


class KubernetesRuntime(InstanceRuntime):
    """Instances as pods in one namespace, found again by their labels.

    Args:
        settings: The platform's settings (``runtime="kubernetes"``, ``k8s_*``).
        api: A ``kubernetes.client.CoreV1Api`` (default: :func:`load_core_api`).
        snapshot_uri: Where a wrapper reads snapshot N (default: the snapshot store's
            ``uri``); it must be object storage, which pods can reach.

    Example:
        >>> runtime = KubernetesRuntime(Settings.from_env(), api=CoreV1Api())
    """

    description = "Kubernetes pods"

    def __init__(
        self,
        settings: Settings,
        api: Any = None,
        snapshot_uri: Callable[[int], str] | None = None,
    ) -> None:
        self.settings = settings
        self.snapshot_uri = snapshot_uri or _store_uri(settings)  # refuses a local folder
        self.api = api if api is not None else load_core_api()
        import urllib3
        from kubernetes.client.exceptions import ApiException

        # what a call can raise: the API's answer, or no answer (connection, TLS, timeout)
        self._api_error: tuple[type[Exception], ...] = (
            ApiException,
            urllib3.exceptions.HTTPError,
            OSError,
        )
        self.namespace = settings.k8s_namespace or _own_namespace()
        self._lock = threading.Lock()
        self._stopped: set[int] = set()
        self._engine: str | None = None

    # -- addresses -----------------------------------------------------------------------

    def name(self, instance_id: int) -> str:
        return objects.object_name(self.settings, instance_id)

    def addresses(self, instance_id: int, port: int) -> InstanceAddresses:
        """The service DNS name inside the cluster; outside, the ingress URL pattern
        (``GRAPH_OLAP_K8S_INGRESS_URL_TEMPLATE``), else the service URL too.

        Example:
            >>> runtime.addresses(7, 41234).in_cluster
            'http://graph-olap-instance-7.analytics.svc.cluster.local:41234'
        """
        in_cluster = self.service_url(instance_id, port)
        template = self.settings.k8s_ingress_url_template
        external = (
            template.format(instance_id=instance_id, port=port).rstrip("/")
            if template
            else in_cluster
        )
        return InstanceAddresses(external=external, in_cluster=in_cluster)

    def service_url(self, instance_id: int, port: int) -> str:
        """``http://<name>.<namespace>.svc.cluster.local:<port>``: the instance's service."""
        return f"http://{self.name(instance_id)}.{self.namespace}.svc.cluster.local:{port}"

    def wrapper_url(self, instance_id: int, port: int) -> str:
        """The control plane reaches the wrapper through its service too."""
        return self.service_url(instance_id, port)

    # -- the interface -------------------------------------------------------------------

    def start(
        self,
        instance: db.Instance,
        snapshot_path: Path,
        port: int,
        cpu_cores: int,
        *,
        await_snapshot: bool = False,
    ) -> int:
        """Create the instance's Secret, Pod and Service (``snapshot_path``, a folder on the
        control plane's disk, is not used: the pod reads the snapshot's object-storage
        URI). Answers :data:`POD_PID`."""
        del snapshot_path
        if not instance.wrapper_token:
            raise InstanceRuntimeError(f"instance {instance.id} has no wrapper token")
        if instance.snapshot_id is None:
            raise InstanceRuntimeError(f"instance {instance.id} has no snapshot")
        pod = objects.pod_manifest(
            self.settings,
            instance,
            self.namespace,
            snapshot_uri=self.snapshot_uri(instance.snapshot_id),
            engine=self.engine,
            cpu_cores=cpu_cores,
        )
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("secret", lambda: self.api.create_namespaced_secret(
                self.namespace, objects.secret_manifest(self.settings, instance, self.namespace)
            )),
            ("pod", lambda: self.api.create_namespaced_pod(self.namespace, pod)),
            ("service", lambda: self.api.create_namespaced_service(
                self.namespace,
                objects.service_manifest(self.settings, instance, self.namespace, port),
            )),
        ]  # fmt: skip
        for kind, create in steps:
            try:
                create()
            except self._api_error as err:
                try:
                    self._delete_all(instance.id)
                except InstanceRuntimeError:
                    log.exception("instance %s: cleaning up a failed start", instance.id)
                raise InstanceRuntimeError(
                    f"the {kind} of instance {instance.id} could not be created in namespace "
                    f"{self.namespace!r}: {_api_message(err)}"
                ) from err
        with self._lock:
            self._stopped.discard(instance.id)
        log.info("instance %s: pod %s created", instance.id, self.name(instance.id))
        return POD_PID

    def stop(self, instance: db.Instance) -> None:
        """Delete the pod (its grace period is ``instance_stop_timeout``), service and secret."""
        with self._lock:
            self._stopped.add(instance.id)
        self._delete_all(instance.id)

    def alive(self, instance: db.Instance) -> bool:
        """Whether its pod is starting or running. When the API cannot be asked, the
        instance is assumed alive (an API hiccup must not fail instances)."""
        try:
            return self.pod_state(instance.id).alive
        except InstanceRuntimeError:
            log.warning("instance %s: cannot read its pod; assuming it alive", instance.id)
            return True

    def pod_state(self, instance_id: int) -> objects.PodState:
        """The state of the instance's pod (``gone`` when there is none)."""
        try:
            pod = self.api.read_namespaced_pod(self.name(instance_id), self.namespace)
        except self._api_error as err:
            if getattr(err, "status", None) == 404:
                return objects.pod_state(None)
            raise InstanceRuntimeError(
                f"cannot read pod {self.name(instance_id)}: {_api_message(err)}"
            ) from err
        return objects.pod_state(pod)

    def set_cpu(self, instance: db.Instance, cores: int) -> None:
        """Resize the pod's CPU in place, then give the engine ``cores`` threads.

        Clusters without in-place resize refuse the patch: nothing changes and the error
        says so (the instance keeps its cores; start a new one with more).
        """
        name, cpu = self.name(instance.id), str(cores)
        patch = {
            "spec": {
                "containers": [
                    {
                        "name": objects.CONTAINER,
                        "resources": {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}},
                    }
                ]
            }
        }
        try:
            self.api.patch_namespaced_pod_resize(name, self.namespace, patch)
        except self._api_error as err:
            if getattr(err, "status", None) not in (404, 405):
                raise _resize_refused(instance.id, cores, err) from err
            try:  # before Kubernetes 1.33: the pod itself, with the feature gate on
                self.api.patch_namespaced_pod(name, self.namespace, patch)
            except self._api_error as older:
                raise _resize_refused(instance.id, cores, older) from older
        client = WrapperClient(timeout=10.0)
        base = self.wrapper_url(instance.id, instance.port or 0)
        try:
            client.set_threads(base, instance.wrapper_token or "", cores)
        except RuntimeError as err:
            raise InstanceRuntimeError(f"instance {instance.id}: {err}") from err
        finally:
            client.close()

    def adopt(self, instance: db.Instance) -> bool:
        """Keep the instance when a live pod labelled with its id and this platform exists."""
        try:
            pods = self.api.list_namespaced_pod(
                self.namespace, label_selector=objects.selector(self.settings, instance.id)
            ).items
        except self._api_error as err:
            log.warning("instance %s: cannot list pods (%s)", instance.id, _api_message(err))
            return False
        if not any(objects.pod_state(pod).alive for pod in pods):
            return False
        with self._lock:
            self._stopped.discard(instance.id)
        log.info("instance %s: adopted its pod %s", instance.id, self.name(instance.id))
        return True

    def remove_files(self, instance: db.Instance, *, keep_log: bool = False) -> None:
        """Nothing to remove: the pod's working files are an ``emptyDir`` it takes along."""
        del instance, keep_log

    def log_tail(self, instance: db.Instance, lines: int = 15) -> str:
        """Why the pod is not running (when it says) and the last lines of its log."""
        parts = []
        try:
            state = self.pod_state(instance.id)
        except InstanceRuntimeError:
            state = None
        if state is not None and state.detail:
            parts.append(f"pod {self.name(instance.id)}: {state.detail}")
        try:
            text = self.api.read_namespaced_pod_log(
                self.name(instance.id), self.namespace, tail_lines=lines
            )
        except self._api_error:
            text = ""
        if text:
            parts.append(str(text).rstrip())
        return "\n".join(parts)

    def was_stopped(self, instance: db.Instance) -> bool:
        with self._lock:
            return instance.id in self._stopped

    def stop_strays(self, instance: db.Instance) -> int:
        """Delete objects left by a launch whose record a killed control plane lost."""
        return self._delete_all(instance.id)

    def remove_orphans(self, live: Callable[[Collection[int]], Collection[int]]) -> int | None:
        """Delete the pods, services and secrets of this platform whose instance is ended
        or unknown (objects without a readable instance id too)."""
        found: dict[str, set[int | None]] = {}
        for kind in _KINDS:
            lister = getattr(self.api, f"list_namespaced_{kind}")
            try:
                items = lister(self.namespace, label_selector=objects.selector(self.settings))
            except self._api_error as err:
                raise InstanceRuntimeError(
                    f"cannot list the {kind}s of namespace {self.namespace!r} to find orphans: "
                    f"{_api_message(err)}; check the control plane's Role"
                ) from err
            found[kind] = {_instance_id(item) for item in items.items}
        ids = {i for group in found.values() for i in group if i is not None}
        keep = set(live(ids))
        removed = 0
        for instance_id in sorted(ids - keep):
            log.warning("instance %s: removing its orphaned pod/service/secret", instance_id)
            removed += bool(self._delete_all(instance_id))
        if any(None in group for group in found.values()):
            log.warning(
                "objects labelled for platform %s without an instance id were left",
                self.settings.k8s_platform_name,
            )
        return removed

    # -- helpers -------------------------------------------------------------------------

    @property
    def engine(self) -> str:
        if self._engine is None:
            self._engine = default_engine(self.settings)
        return self._engine

    def _delete_all(self, instance_id: int) -> int:
        """Delete the instance's pod, service and secret; answers how many existed."""
        name, deleted = self.name(instance_id), 0
        for kind in _KINDS:
            delete = getattr(self.api, f"delete_namespaced_{kind}")
            try:
                if kind == "pod":
                    grace = max(1, int(self.settings.instance_stop_timeout))
                    delete(name, self.namespace, grace_period_seconds=grace)
                else:
                    delete(name, self.namespace)
                deleted += 1
            except self._api_error as err:
                if getattr(err, "status", None) != 404:
                    raise InstanceRuntimeError(
                        f"the {kind} {name} of instance {instance_id} could not be deleted: "
                        f"{_api_message(err)}; delete it with kubectl -n {self.namespace} "
                        f"delete {kind} {name}"
                    ) from err
        return deleted


def _instance_id(item: Any) -> int | None:
    value = ((item.metadata.labels if item.metadata else None) or {}).get(objects.INSTANCE_LABEL)
    return int(value) if value and str(value).isdigit() else None


def _api_message(err: Exception) -> str:
    """The API's own message (``status`` and ``reason``, plus the Status body's message)."""
    import json

    status, reason = getattr(err, "status", None), getattr(err, "reason", None)
    message = ""
    body = getattr(err, "body", None)
    if body:
        try:
            message = str(json.loads(body).get("message") or "")
        except (ValueError, AttributeError):
            message = ""
    if not status and not reason:  # no answer from the API server
        return f"{type(err).__name__}: {err}"
    text = f"{status} {reason}".strip()
    return f"{text}: {message}" if message else text


def _resize_refused(instance_id: int, cores: int, err: Exception) -> InstanceRuntimeError:
    return InstanceRuntimeError(
        f"the cluster refused to resize the pod of instance {instance_id} to {cores} CPU "
        f"cores ({_api_message(err)}); nothing was changed. In-place resize needs "
        "Kubernetes 1.33+ (or the InPlacePodVerticalScaling feature gate); otherwise start "
        "a new instance with the cores you need"
    )


def _own_namespace() -> str:
    """The control plane's namespace inside a cluster, else ``default``."""
    try:
        return NAMESPACE_FILE.read_text().strip() or "default"
    except OSError:
        return "default"


def _store_uri(settings: Settings) -> Callable[[int], str]:
    """The snapshot store's ``uri``; refuses a local folder, which pods cannot read."""
    from graph_olap_server.storage import is_object_uri, snapshot_store

    uri: Callable[[int], str] = snapshot_store(settings).uri
    if not is_object_uri(uri(0)):
        raise InstanceRuntimeError(
            "GRAPH_OLAP_RUNTIME=kubernetes needs snapshots in object storage, which the "
            f"instance pods can read, but GRAPH_OLAP_SNAPSHOT_STORAGE is a local folder "
            f"({uri(0)}). Set GRAPH_OLAP_SNAPSHOT_STORAGE to s3://bucket/prefix (or gs://, "
            "az://)."
        )
    return uri
