"""The control plane's Role grants exactly what the Kubernetes runtime calls, nothing more.

The calls are read from the platform's source (every ``*_namespaced_*`` method of the
official client it names, ``{kind}`` placeholders expanded over the runtime's ``_KINDS``);
each is then made with the real ``kubernetes`` client against a recorder instead of a
cluster, and the HTTP request it would send is turned into the RBAC resource and verb the
API server checks (the rules of "Kubernetes API request attributes").
"""

from __future__ import annotations

import inspect
import re
import urllib.parse
from typing import Any

import pytest
from kubernetes import client

from graph_olap_server.runtime import kubernetes as k8s_runtime
from tests.deploy.manifests import BASE, ROOT, base_objects, find

SOURCE = ROOT / "src" / "graph_olap_server"
_CALL = re.compile(
    r"\b((?:create|read|list|delete|patch|replace|connect|watch)_namespaced_[\w{}]+)"
)
_PATH = re.compile(
    r"^/api/v1/namespaces/[^/]+/(?P<resource>[a-z]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>[a-z]+))?)?$"
)


class _Sent(Exception):
    """Raised by the recorder instead of sending the request."""


class _Recorder:
    """Stands where the client's REST layer sends requests; keeps the last one."""

    def __init__(self) -> None:
        self.sent: tuple[str, str] | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        self.sent = (method, url)
        raise _Sent


def runtime_calls() -> set[str]:
    """The ``CoreV1Api`` methods named in the platform's source."""
    names: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for found in _CALL.findall(path.read_text(encoding="utf-8")):
            if "{kind}" in found:
                names |= {found.replace("{kind}", kind) for kind in k8s_runtime._KINDS}
            else:
                names.add(found)
    return names


def request_of(method_name: str) -> tuple[str, str]:
    """The HTTP method and URL the real client sends for ``CoreV1Api.<method_name>``."""
    api_client = client.ApiClient(client.Configuration(host="http://cluster.invalid"))
    recorder = _Recorder()
    api_client.rest_client = recorder  # type: ignore[assignment]
    method = getattr(client.CoreV1Api(api_client), method_name)
    required = [
        p.name
        for p in inspect.signature(method).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    with pytest.raises(_Sent):
        method(**{n: ({} if n == "body" else "x") for n in required})
    assert recorder.sent is not None
    return recorder.sent


def rbac_of(http_method: str, url: str) -> tuple[str, str]:
    """``(resource[/subresource], verb)`` of a namespaced core-API request."""
    parts = urllib.parse.urlsplit(url)
    match = _PATH.match(parts.path)
    assert match, f"{url} is not a namespaced core API path; extend rbac_of for it"
    resource = match["resource"] + (f"/{match['sub']}" if match["sub"] else "")
    named = match["name"] is not None
    watch = "watch=true" in parts.query.lower()
    verb = {
        "GET": "get" if named else ("watch" if watch else "list"),
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if named else "deletecollection",
    }[http_method]
    return resource, verb


def granted() -> set[tuple[str, str]]:
    role = find(base_objects(), "Role", "graph-olap-control-plane")
    pairs = set()
    for rule in role["rules"]:
        assert rule["apiGroups"] == [""], f"{BASE}/role.yaml grants beyond the core API: {rule}"
        assert "resourceNames" not in rule
        pairs |= {(r, v) for r in rule["resources"] for v in rule["verbs"]}
    return pairs


def test_the_runtime_calls_are_found() -> None:
    calls = runtime_calls()
    assert {"create_namespaced_pod", "delete_namespaced_pod", "list_namespaced_pod"} <= calls
    for name in calls:
        assert hasattr(client.CoreV1Api, name), (
            f"the source names CoreV1Api.{name}, which is not a method"
        )


def test_the_role_grants_exactly_what_the_runtime_calls() -> None:
    needed = {rbac_of(*request_of(name)) for name in runtime_calls()}
    have = granted()
    assert not needed - have, (
        f"the Kubernetes runtime makes calls its Role does not allow: {sorted(needed - have)}; "
        f"add them to {BASE.relative_to(ROOT)}/role.yaml"
    )
    assert not have - needed, (
        f"the Role allows what the runtime never calls: {sorted(have - needed)}; remove it "
        f"from {BASE.relative_to(ROOT)}/role.yaml"
    )


def test_the_role_is_namespaced_and_bound_to_the_control_plane_only() -> None:
    objects = base_objects()
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    binding = find(objects, "RoleBinding", "graph-olap-control-plane")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "graph-olap-control-plane",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "graph-olap-control-plane", "namespace": "graph-olap"}
    ]
    deployment = find(objects, "Deployment", "graph-olap-control-plane")
    assert (
        deployment["spec"]["template"]["spec"]["serviceAccountName"] == "graph-olap-control-plane"
    )
