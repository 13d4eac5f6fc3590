"""The async client offers exactly the sync client's surface, awaited."""

from __future__ import annotations

import inspect

import pytest

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient
from graph_olap._core.resource import Resource

RESOURCES = ["mappings", "snapshots", "instances", "favorites", "schema", "ops", "admin", "health"]


def _public_methods(resource: Resource) -> dict[str, inspect.Signature]:  # type: ignore[type-arg]
    return {
        name: inspect.signature(getattr(resource, name))
        for name in dir(type(resource))
        if not name.startswith("_") and callable(getattr(resource, name))
    }


@pytest.mark.parametrize("name", RESOURCES)
def test_same_methods_and_signatures(name: str) -> None:
    sync, aio = GraphOLAPClient(), AsyncGraphOLAPClient()
    sync_methods = _public_methods(getattr(sync, name))
    async_methods = _public_methods(getattr(aio, name))
    assert sync_methods, f"{name} has no public methods"
    assert sync_methods == async_methods
    for method in async_methods:
        assert inspect.iscoroutinefunction(getattr(getattr(aio, name), method)), method
        assert not inspect.iscoroutinefunction(getattr(getattr(sync, name), method)), method
        assert getattr(getattr(sync, name), method).__doc__, f"{name}.{method} has no docstring"
    sync.close()


def test_every_seed_method_exists() -> None:
    expected = {
        "mappings": {"list", "get", "get_version", "list_versions", "list_snapshots", "create",
                     "update", "delete", "copy", "set_lifecycle", "get_tree", "diff_versions"},
        "favorites": {"list", "add", "remove"},
        "schema": {"list_catalogs", "list_schemas", "list_tables", "list_columns",
                   "search_tables", "search_columns", "admin_refresh", "get_stats"},
        "ops": {"get_lifecycle_config", "update_lifecycle_config", "get_concurrency_config",
                "update_concurrency_config", "get_maintenance_mode", "set_maintenance_mode",
                "get_export_config", "update_export_config", "get_cluster_health",
                "get_cluster_instances", "trigger_job", "get_job_status", "get_state",
                "get_export_jobs", "get_metrics"},
        "admin": {"bulk_delete"},
        "health": {"check", "ready"},
    }  # fmt: skip
    client = GraphOLAPClient()
    for resource, methods in expected.items():
        assert methods <= set(_public_methods(getattr(client, resource))), resource
    client.close()
