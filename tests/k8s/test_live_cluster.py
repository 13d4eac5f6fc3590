"""The live tier: the whole SDK workflow on a real cluster (``pytest -m k8s``).

Skipped unless ``KUBECONFIG`` is set. It needs the platform deployed in the cluster with
``GRAPH_OLAP_RUNTIME=kubernetes`` (docs/deployment.md, "Try it on kind") and:

* ``GRAPH_OLAP_K8S_LIVE_URL``: where this test reaches the control plane (e.g.
  ``http://127.0.0.1:18000`` through ``kubectl -n graph-olap port-forward
  svc/control-plane 18000:8000``);
* ``GRAPH_OLAP_K8S_LIVE_NAMESPACE``: the platform's namespace (default ``graph-olap``);
* ``GRAPH_OLAP_K8S_LIVE_API_KEY``: an analyst's API key (the deployed platform refuses
  ``X-Username``; ``kubectl exec deploy/graph-olap-control-plane -- graph-olap
  create-api-key --username k8s-live``), or ``GRAPH_OLAP_K8S_LIVE_USER`` for a platform in
  dev mode.

The queries go to the instance's external URL (``GRAPH_OLAP_K8S_INGRESS_URL_TEMPLATE``).
When it is ``http://127.0.0.1:{port}`` (a laptop without an ingress), the test forwards
that port to the instance's service with ``kubectl port-forward`` first.

It creates a mapping over the sample warehouse, starts an instance from it and waits
(the pod must become ready), checks the pod and service the runtime made (labels,
non-root, the published addresses), runs queries, terminates the instance and checks its
pod, service and secret are deleted.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator

import pytest

from graph_olap import Config, GraphOLAPClient
from tests.e2e.defs import ACCOUNT, CUSTOMER, OWNS

pytestmark = [
    pytest.mark.k8s,
    pytest.mark.skipif(
        not os.environ.get("KUBECONFIG"), reason="the live tier needs KUBECONFIG (a cluster)"
    ),
    pytest.mark.timeout(900),
]


def _setting(name: str, default: str | None = None) -> str:
    value = os.environ.get(name) or default
    if not value:
        pytest.fail(
            f"KUBECONFIG is set, so the live Kubernetes tier runs, but {name} is not: set it "
            "(see the docstring of tests/k8s/test_live_cluster.py and docs/deployment.md)"
        )
    return value


@contextlib.contextmanager
def _reachable(url: str, namespace: str, service: str) -> Iterator[None]:
    """Forward ``url``'s port to ``service`` when ``url`` is on this machine."""
    where = urllib.parse.urlsplit(url)
    if where.hostname not in ("127.0.0.1", "localhost"):
        yield
        return
    port = str(where.port)
    forward = subprocess.Popen(
        ["kubectl", "-n", namespace, "port-forward", f"svc/{service}", f"{port}:{port}"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert forward.stdout is not None
        first = forward.stdout.readline()  # "Forwarding from 127.0.0.1:P -> 8080" once ready
        assert first.startswith("Forwarding from"), f"kubectl port-forward said {first!r}"
        yield
    finally:
        forward.terminate()
        forward.wait(timeout=30)


def test_create_query_terminate_on_a_real_cluster() -> None:
    from kubernetes import client as k8s
    from kubernetes import config

    config.load_kube_config()
    core = k8s.CoreV1Api()
    url = _setting("GRAPH_OLAP_K8S_LIVE_URL")
    namespace = _setting("GRAPH_OLAP_K8S_LIVE_NAMESPACE", "graph-olap")
    api_key = os.environ.get("GRAPH_OLAP_K8S_LIVE_API_KEY")
    user = None if api_key else _setting("GRAPH_OLAP_K8S_LIVE_USER")
    suffix = uuid.uuid4().hex[:8]
    config = Config(api_url=url, api_key=api_key, username=user, max_retries=2)

    with GraphOLAPClient(config=config) as client:
        mapping = client.mappings.create(
            f"k8s-live-{suffix}",
            "the live Kubernetes tier",
            node_definitions=[CUSTOMER, ACCOUNT],
            edge_definitions=[OWNS],
        )
        instance = client.instances.create_from_mapping_and_wait(
            mapping.id, f"k8s-live-{suffix}", timeout=600
        )
        try:
            selector = f"graph-olap/instance-id={instance.id}"
            (pod,) = core.list_namespaced_pod(namespace, label_selector=selector).items
            (service,) = core.list_namespaced_service(namespace, label_selector=selector).items
            assert pod.metadata.labels["app.kubernetes.io/name"] == "graph-olap-instance"
            assert pod.metadata.labels["graph-olap/owner"]
            assert pod.status.phase == "Running"
            assert pod.spec.security_context.run_as_non_root is True
            assert instance.in_cluster_url == (
                f"http://{service.metadata.name}.{namespace}.svc.cluster.local:"
                f"{service.spec.ports[0].port}"
            )
            with (
                _reachable(instance.instance_url or "", namespace, service.metadata.name),
                client.instances.connect(instance.id) as connection,
            ):
                customers = connection.query_scalar("MATCH (c:Customer) RETURN count(c)")
                owns = connection.query_scalar("MATCH ()-[r:OWNS]->() RETURN count(r)")
            assert customers > 0 and owns > 0
        finally:
            client.instances.terminate(instance.id)
        deadline = time.monotonic() + 120  # the pod's grace period, then it is gone
        while core.list_namespaced_pod(namespace, label_selector=selector).items:
            assert time.monotonic() < deadline, "the instance's pod was not deleted"
            time.sleep(2)
        assert not core.list_namespaced_service(namespace, label_selector=selector).items
        assert not core.list_namespaced_secret(namespace, label_selector=selector).items
