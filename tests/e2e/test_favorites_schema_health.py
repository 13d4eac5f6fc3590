"""client.favorites, client.schema and client.health end to end."""

from __future__ import annotations

import uuid

import pytest

from graph_olap import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    GraphOLAPClient,
    NotFoundError,
    ValidationError,
)

from .defs import CUSTOMER


def _mapping(client: GraphOLAPClient, name: str | None = None) -> int:
    name = name or f"fav-{uuid.uuid4().hex[:8]}"
    return client.mappings.create(name, "x", node_definitions=[CUSTOMER], edge_definitions=[]).id


def test_favorites_add_list_remove(client: GraphOLAPClient, bob: GraphOLAPClient) -> None:
    name = f"fav-{uuid.uuid4().hex[:8]}"
    mid = _mapping(client, name)
    fav = client.favorites.add("mapping", mid)
    assert (fav.resource_type, fav.resource_id, fav.resource_name) == ("mapping", mid, name)
    assert mid in [f.resource_id for f in client.favorites.list(resource_type="mapping")]
    assert mid not in [f.resource_id for f in bob.favorites.list()]  # favorites are per user
    assert client.favorites.list(resource_type="instance") == []

    with pytest.raises(AlreadyExistsError, match="already one of your favorites") as err:
        client.favorites.add("mapping", mid)
    assert isinstance(err.value, ConflictError)
    assert err.value.status_code == 409

    client.favorites.remove("mapping", mid)
    assert mid not in [f.resource_id for f in client.favorites.list()]
    with pytest.raises(NotFoundError, match="not one of your favorites"):
        client.favorites.remove("mapping", mid)


def test_favorites_bad_input(client: GraphOLAPClient) -> None:
    with pytest.raises(NotFoundError, match="Mapping 999999 does not exist"):
        client.favorites.add("mapping", 999_999)
    with pytest.raises(ValidationError, match="resource_type"):
        client.favorites.add("dashboard", 1)


def test_schema_browsing(client: GraphOLAPClient) -> None:
    catalogs = client.schema.list_catalogs()
    assert "sample" in [c.catalog_name for c in catalogs]
    schemas = client.schema.list_schemas("sample")
    assert [s.schema_name for s in schemas] == ["bank", "classic"]
    tables = {t.table_name: t for t in client.schema.list_tables("sample", "bank")}
    assert {"customers", "accounts", "transactions"} <= set(tables)
    assert tables["customers"].qualified_name == "sample.bank.customers"
    columns = client.schema.list_columns("sample", "bank", "customers")
    assert columns[0].column_name == "customer_id"
    assert [c.ordinal_position for c in columns] == sorted(c.ordinal_position for c in columns)
    assert tables["customers"].column_count == len(columns)


def test_schema_search(client: GraphOLAPClient) -> None:
    assert [t.table_name for t in client.schema.search_tables("TRANS")] == ["transactions"]
    hits = client.schema.search_columns("customer_", limit=50)
    assert {(c.table_name, c.column_name) for c in hits} >= {
        ("customers", "customer_id"),
        ("accounts", "customer_id"),
    }
    assert len(client.schema.search_columns("a", limit=3)) == 3


def test_schema_unknown_names_say_what_exists(client: GraphOLAPClient) -> None:
    with pytest.raises(NotFoundError, match="sample"):
        client.schema.list_schemas("nocatalog")
    with pytest.raises(NotFoundError, match="customers"):
        client.schema.list_columns("sample", "bank", "custmers")
    with pytest.raises(ValidationError, match="limit"):
        client.schema.search_tables("c", limit=5000)


def test_schema_admin_refresh_and_stats(
    client: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    before = admin_client.schema.get_stats()
    result = admin_client.schema.admin_refresh()
    assert result["status"] == "completed"
    after = admin_client.schema.get_stats()
    assert after.refresh_count == before.refresh_count + 1
    assert after.total_tables == before.total_tables >= 5
    assert after.last_refresh is not None
    with pytest.raises(ForbiddenError, match="admin"):
        client.schema.admin_refresh()
    with pytest.raises(ForbiddenError):
        client.schema.get_stats()


def test_health_and_ready(client: GraphOLAPClient, anonymous: GraphOLAPClient) -> None:
    health = anonymous.health.check()  # no credentials needed
    assert health.status == "healthy"
    assert health.version == "0.1.0"
    ready = client.health.ready()
    assert (ready.status, ready.database, ready.warehouse) == ("ready", "ok", "ok")
