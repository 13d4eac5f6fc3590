"""Snapshots, instances and connections offer the seed's methods, sync and async alike."""

from __future__ import annotations

import inspect

import httpx

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient, InstanceConnection
from graph_olap.http import AsyncHTTPClient, HTTPClient

SEED = {
    "snapshots": {"list", "get", "create", "update", "delete", "set_lifecycle", "get_progress",
                  "retry", "wait_until_ready", "create_and_wait"},
    "instances": {"list", "get", "create", "create_and_wait", "wait_until_running",
                  "create_from_mapping", "create_from_mapping_and_wait", "terminate", "update",
                  "get_progress", "update_cpu", "set_lifecycle", "extend_ttl", "connect"},
}  # fmt: skip
CONNECTION = {"query", "query_df", "query_scalar", "query_one", "schema", "lock_status"}


def test_every_seed_method_exists() -> None:
    client = GraphOLAPClient()
    for resource, methods in SEED.items():
        public = {m for m in dir(getattr(client, resource)) if not m.startswith("_")}
        assert methods <= public, methods - public
    client.close()


def test_connection_methods_are_the_same_sync_and_async() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    sync = InstanceConnection(
        HTTPClient(GraphOLAPClient().config, transport=transport),
        instance_id=1,
        control_plane_url="http://olap.test",
    )
    aio = InstanceConnection(
        AsyncHTTPClient(AsyncGraphOLAPClient().config),
        instance_id=1,
        control_plane_url="http://olap.test",
    )
    for name in CONNECTION:
        s, a = getattr(sync, name), getattr(aio, name)
        assert inspect.signature(s) == inspect.signature(a), name
        assert inspect.iscoroutinefunction(a) and not inspect.iscoroutinefunction(s), name
        assert "Example" in (s.__doc__ or ""), name
    sync.close()


def test_quick_start_has_the_seed_signature() -> None:
    params = inspect.signature(GraphOLAPClient.quick_start).parameters
    assert list(params)[:5] == [
        "self",
        "mapping_id",
        "snapshot_name",
        "instance_name",
        "wait_timeout",
    ]
    assert params["wait_timeout"].default == 600
    assert inspect.iscoroutinefunction(AsyncGraphOLAPClient.quick_start)
