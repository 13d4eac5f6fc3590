"""An in-memory stand-in for the few ``kubernetes.client.CoreV1Api`` methods the runtime
calls, behaving as the API does at that boundary: bodies go through the client's own
serialisation (camelCase JSON, as on the wire), answers are the client's models
(``V1Pod``...), a missing object is ``ApiException(status=404)``, a duplicate 409, and
list calls filter by equality label selectors. Tests play the kubelet by setting a pod's
``status``. ``refuse`` injects API errors.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

_MODELS = {"pod": "V1Pod", "service": "V1Service", "secret": "V1Secret"}
_LISTS = {"pod": "V1PodList", "service": "V1ServiceList", "secret": "V1SecretList"}


def _error(status: int, reason: str, message: str) -> ApiException:
    err = ApiException(status=status, reason=reason)
    err.body = json.dumps({"kind": "Status", "status": "Failure", "message": message})
    return err


def _matches(labels: dict[str, str], selector: str | None) -> bool:
    for part in (selector or "").split(","):
        if part:
            key, _, value = part.partition("=")
            if labels.get(key) != value:
                return False
    return True


class FakeCoreV1Api:
    """Pods, services and secrets per namespace, as JSON objects."""

    def __init__(self, *, resize: str = "subresource") -> None:
        self._client = ApiClient()
        self._lock = threading.Lock()
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (kind, ns, name)
        self.calls: list[tuple[str, str, str]] = []  # (verb, kind, name)
        self.logs: dict[str, str] = {}
        self.grace: dict[str, int | None] = {}
        self.resize = resize  # "subresource" (1.33+), "gate" (pod patch) or "none"
        self.refusals: dict[tuple[str, str], ApiException] = {}

    # -- test controls -------------------------------------------------------------------

    def refuse(self, verb: str, kind: str, status: int = 403, message: str = "forbidden") -> None:
        """The next ``verb`` on ``kind`` fails with ``status``."""
        self.refusals[(verb, kind)] = _error(status, "Forbidden", message)

    def set_pod_status(self, namespace: str, name: str, status: dict[str, Any]) -> None:
        """Play the kubelet: the pod's ``status`` (API JSON)."""
        with self._lock:
            self.objects[("pod", namespace, name)]["status"] = status

    def raw(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.objects[(kind, namespace, name)])

    def names(self, kind: str) -> set[str]:
        return {name for (k, _, name) in self.objects if k == kind}

    # -- plumbing ------------------------------------------------------------------------

    def _model(self, kind: str, obj: dict[str, Any], *, list_of: bool = False) -> Any:
        kind_name = _LISTS[kind] if list_of else _MODELS[kind]
        return self._client.deserialize(json.dumps(obj), kind_name, "application/json")

    def _check(self, verb: str, kind: str, name: str) -> None:
        self.calls.append((verb, kind, name))
        refusal = self.refusals.pop((verb, kind), None)
        if refusal is not None:
            raise refusal

    def _create(self, kind: str, namespace: str, body: Any) -> Any:
        obj = self._client.sanitize_for_serialization(body)
        obj = json.loads(json.dumps(obj))
        name = obj["metadata"]["name"]
        self._check("create", kind, name)
        with self._lock:
            key = (kind, namespace, name)
            if key in self.objects:
                raise _error(409, "Conflict", f'{kind}s "{name}" already exists')
            obj["metadata"].setdefault("namespace", namespace)
            obj["metadata"]["uid"] = f"uid-{kind}-{name}"
            if kind == "pod":
                obj["status"] = {"phase": "Pending"}
            if kind == "secret" and "stringData" in obj:  # the API stores data, base64
                import base64

                obj["data"] = {
                    k: base64.b64encode(v.encode()).decode()
                    for k, v in obj.pop("stringData").items()
                }
            self.objects[key] = obj
            return self._model(kind, obj)

    def _read(self, kind: str, namespace: str, name: str) -> Any:
        self._check("read", kind, name)
        with self._lock:
            obj = self.objects.get((kind, namespace, name))
            if obj is None:
                raise _error(404, "Not Found", f'{kind}s "{name}" not found')
            return self._model(kind, obj)

    def _list(self, kind: str, namespace: str, label_selector: str | None = None) -> Any:
        self._check("list", kind, "")
        with self._lock:
            items = [
                obj
                for (k, ns, _), obj in sorted(self.objects.items())
                if k == kind
                and ns == namespace
                and _matches(obj["metadata"].get("labels") or {}, label_selector)
            ]
            return self._model(kind, {"items": items, "metadata": {}}, list_of=True)

    def _delete(self, kind: str, namespace: str, name: str) -> Any:
        self._check("delete", kind, name)
        with self._lock:
            if self.objects.pop((kind, namespace, name), None) is None:
                raise _error(404, "Not Found", f'{kind}s "{name}" not found')
        return None

    # -- the CoreV1Api methods -----------------------------------------------------------

    def create_namespaced_pod(self, namespace: str, body: Any) -> Any:
        return self._create("pod", namespace, body)

    def create_namespaced_service(self, namespace: str, body: Any) -> Any:
        return self._create("service", namespace, body)

    def create_namespaced_secret(self, namespace: str, body: Any) -> Any:
        return self._create("secret", namespace, body)

    def read_namespaced_pod(self, name: str, namespace: str) -> Any:
        return self._read("pod", namespace, name)

    def list_namespaced_pod(self, namespace: str, label_selector: str | None = None) -> Any:
        return self._list("pod", namespace, label_selector)

    def list_namespaced_service(self, namespace: str, label_selector: str | None = None) -> Any:
        return self._list("service", namespace, label_selector)

    def list_namespaced_secret(self, namespace: str, label_selector: str | None = None) -> Any:
        return self._list("secret", namespace, label_selector)

    def delete_namespaced_pod(
        self, name: str, namespace: str, grace_period_seconds: int | None = None
    ) -> Any:
        self.grace[name] = grace_period_seconds
        return self._delete("pod", namespace, name)

    def delete_namespaced_service(self, name: str, namespace: str) -> Any:
        return self._delete("service", namespace, name)

    def delete_namespaced_secret(self, name: str, namespace: str) -> Any:
        return self._delete("secret", namespace, name)

    def read_namespaced_pod_log(
        self, name: str, namespace: str, tail_lines: int | None = None
    ) -> str:
        self._read("pod", namespace, name)
        lines = self.logs.get(name, "").splitlines()
        return "\n".join(lines[-tail_lines:] if tail_lines else lines)

    def _patch_resources(self, verb: str, namespace: str, name: str, body: Any) -> Any:
        self._check(verb, "pod", name)
        with self._lock:
            pod = self.objects.get(("pod", namespace, name))
            if pod is None:
                raise _error(404, "Not Found", f'pods "{name}" not found')
            patch = self._client.sanitize_for_serialization(body)
            for change in patch["spec"]["containers"]:
                for container in pod["spec"]["containers"]:
                    if container["name"] == change["name"]:
                        for part, values in change["resources"].items():
                            container["resources"].setdefault(part, {}).update(values)
            return self._model("pod", pod)

    def patch_namespaced_pod_resize(self, name: str, namespace: str, body: Any) -> Any:
        if self.resize != "subresource":  # before 1.33: no such subresource
            self.calls.append(("patch_resize", "pod", name))
            raise _error(404, "Not Found", "the server could not find the requested resource")
        return self._patch_resources("patch_resize", namespace, name, body)

    def patch_namespaced_pod(self, name: str, namespace: str, body: Any) -> Any:
        if self.resize != "gate":
            self.calls.append(("patch", "pod", name))
            raise _error(
                422,
                "Unprocessable Entity",
                f'Pod "{name}" is invalid: spec: Forbidden: pod updates may not change '
                "fields other than `spec.containers[*].image`...",
            )
        return self._patch_resources("patch", namespace, name, body)
