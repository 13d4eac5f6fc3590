"""PostgreSQL as the warehouse: a real server (pgserver), browsed, validated, exported and
loaded end to end through the SDK on the local platform."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest

from graph_olap import GraphOLAPClient, SnapshotFailedError, ValidationError
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings
from graph_olap_server.warehouse import SqlValidationError, WarehouseError, open_warehouse
from graph_olap_server.warehouse.postgres import PostgresWarehouse
from graph_olap_server.warehouse.url import PostgresTarget, parse_warehouse_url

from .conftest import shop_customers

pytestmark = pytest.mark.timeout(300)

CUSTOMER = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, balance, joined, active, visits FROM shop.retail.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [
        {"name": "name", "type": "STRING"},
        {"name": "balance", "type": "DECIMAL(12,2)"},
        {"name": "joined", "type": "TIMESTAMP"},
        {"name": "active", "type": "BOOL"},
        {"name": "visits", "type": "INT32"},
    ],
}
PLACED = {
    "type": "PLACED",
    "from_node": "Customer",
    "to_node": "Customer",
    # Trino SQL: date_trunc, CAST and a join, translated to PostgreSQL by the adapter
    "sql": "SELECT o.customer_id AS buyer, c.customer_id AS seller, "
    "CAST(o.amount AS DOUBLE) AS amount, date_trunc('day', o.placed) AS day "
    "FROM shop.retail.orders o JOIN shop.retail.customers c "
    "ON c.customer_id = (o.customer_id % 60) + 1",
    "from_key": "buyer",
    "to_key": "seller",
    "properties": [{"name": "amount", "type": "DOUBLE"}, {"name": "day", "type": "TIMESTAMP"}],
}


def _source(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def warehouse(shop_url: str) -> Iterator[PostgresWarehouse]:
    with PostgresWarehouse(shop_url) as wh:
        yield wh


@pytest.fixture(scope="module")
def server(shop_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pg-platform"),
        warehouse_url=shop_url,
        sample_warehouse=False,
        run_scheduler=False,
        stop_instances_on_exit=True,
    )
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username="pat", max_retries=1) as c:
        yield c


# -- the adapter on its own ----------------------------------------------------------------


def test_the_database_is_one_catalog_with_its_tables_and_views(
    warehouse: PostgresWarehouse,
) -> None:
    assert warehouse.catalogs() == ["shop"]
    assert warehouse.table_names() == [
        ("shop", "retail", "big_orders"),
        ("shop", "retail", "customers"),
        ("shop", "retail", "orders"),
    ]
    meta = {t.table_name: t for t in warehouse.metadata()}
    assert meta["big_orders"].table_type == "VIEW"
    columns = {c.column_name: c.data_type for c in meta["customers"].columns}
    assert columns == {
        "customer_id": "BIGINT",
        "name": "VARCHAR",
        "balance": "DECIMAL(12,2)",
        "joined": "TIMESTAMP",
        "active": "BOOLEAN",
        "visits": "INTEGER",
    }


def test_describe_reads_types_and_refuses_a_typo_with_postgres_hint(
    warehouse: PostgresWarehouse,
) -> None:
    cols = warehouse.describe("SELECT customer_id, balance, joined FROM shop.retail.customers")
    assert [(c.name, c.data_type) for c in cols] == [
        ("customer_id", "BIGINT"),
        ("balance", "DECIMAL(12,2)"),
        ("joined", "TIMESTAMP"),
    ]
    with pytest.raises(
        SqlValidationError, match=r'column "nmae" does not exist\. Perhaps .*"customers\.name"'
    ):
        warehouse.describe("SELECT nmae FROM shop.retail.customers")


def test_a_missing_table_names_the_closest_real_one(warehouse: PostgresWarehouse) -> None:
    with pytest.raises(SqlValidationError) as info:
        warehouse.describe("SELECT * FROM shop.retail.custmers")
    assert str(info.value) == (
        "Table shop.retail.custmers not found. Did you mean shop.retail.customers?"
    )
    with pytest.raises(SqlValidationError, match=r"Did you mean shop\.retail\.orders"):
        warehouse.describe("SELECT * FROM other.retail.orders")  # an unknown catalog


def test_writes_are_refused_before_postgres_sees_them(
    warehouse: PostgresWarehouse, tmp_path: Path
) -> None:
    with pytest.raises(SqlValidationError, match="only a single SELECT"):
        warehouse.describe("DELETE FROM shop.retail.orders")
    # a function that writes gets past the SQL check; the read-only session stops it
    with pytest.raises(WarehouseError, match="read-only transaction"):
        warehouse.export_parquet("SELECT nextval('retail.ticket') AS n", tmp_path / "n.parquet")
    assert not list(tmp_path.iterdir())


def test_export_streams_every_row_and_keeps_the_types(
    shop_url: str, warehouse: PostgresWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import graph_olap_server.warehouse.postgres as pg

    monkeypatch.setattr(pg, "BATCH_ROWS", 7)  # several batches through the server cursor
    path = tmp_path / "customers.parquet"
    n = warehouse.export_parquet(
        "SELECT customer_id, name, balance, joined, active, visits FROM shop.retail.customers "
        "ORDER BY customer_id",
        path,
    )
    table = pq.read_table(path)
    assert n == table.num_rows == len(shop_customers())
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    assert str(table.schema.field("balance").type) == "decimal128(12, 2)"
    assert str(table.schema.field("joined").type) == "timestamp[us]"
    assert str(table.schema.field("active").type) == "bool"
    assert str(table.schema.field("visits").type) == "int32"
    source = _source(
        shop_url,
        "SELECT customer_id, name, balance, joined, active, visits FROM retail.customers "
        "ORDER BY customer_id",
    )
    assert [tuple(r.values()) for r in table.to_pylist()] == source
    assert not list(tmp_path.glob(".*.tmp"))


def test_open_warehouse_follows_the_url(shop_url: str, tmp_path: Path) -> None:
    wh = open_warehouse(Settings(data_dir=tmp_path, warehouse_url=shop_url + "&catalog=dw"))
    assert isinstance(wh, PostgresWarehouse)
    assert wh.catalogs() == ["dw"]
    assert [c.name for c in wh.describe("SELECT order_id FROM dw.retail.orders")] == ["order_id"]


# -- through the SDK, on a platform whose warehouse is PostgreSQL --------------------------


def test_schema_browsing_through_the_sdk(client: GraphOLAPClient) -> None:
    assert [c.catalog_name for c in client.schema.list_catalogs()] == ["shop"]
    assert [s.schema_name for s in client.schema.list_schemas("shop")] == ["retail"]
    tables = client.schema.list_tables("shop", "retail")
    assert [(t.table_name, t.table_type) for t in tables] == [
        ("big_orders", "VIEW"),
        ("customers", "BASE TABLE"),
        ("orders", "BASE TABLE"),
    ]
    columns = client.schema.list_columns("shop", "retail", "orders")
    assert [(c.column_name, c.data_type) for c in columns] == [
        ("order_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("amount", "DECIMAL(12,2)"),
        ("placed", "TIMESTAMP"),
    ]
    assert [t.table_name for t in client.schema.search_tables("cust")] == ["customers"]


def test_mapping_validation_accepts_good_sql_and_refuses_a_typo(client: GraphOLAPClient) -> None:
    name = f"pg-{uuid.uuid4().hex[:6]}"
    mapping = client.mappings.create(name, "ok", node_definitions=[CUSTOMER], edge_definitions=[])
    assert mapping.id > 0
    typo = {**CUSTOMER, "sql": CUSTOMER["sql"].replace("balance", "balanse", 1)}  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as info:
        client.mappings.create(name + "-typo", "typo", node_definitions=[typo], edge_definitions=[])
    message = str(info.value)
    assert 'column "balanse" does not exist' in message
    assert "Perhaps you meant" in message and "balance" in message


def test_export_and_load_end_to_end(client: GraphOLAPClient, shop_url: str) -> None:
    mapping = client.mappings.create(
        f"pg-e2e-{uuid.uuid4().hex[:6]}",
        "customers and orders",
        node_definitions=[CUSTOMER],
        edge_definitions=[PLACED],
    )
    instance = client.instances.create_from_mapping_and_wait(
        mapping.id, f"pg-{uuid.uuid4().hex[:6]}", timeout=240
    )
    try:
        with client.instances.connect(instance.id) as conn:
            customers = _source(shop_url, "SELECT count(*) FROM retail.customers")[0][0]
            orders = _source(shop_url, "SELECT count(*) FROM retail.orders")[0][0]
            assert conn.query_scalar("MATCH (c:Customer) RETURN count(c)") == customers
            assert conn.query_scalar("MATCH ()-[p:PLACED]->() RETURN count(p)") == orders
            rows = conn.query(
                "MATCH (c:Customer) RETURN c.customer_id AS id, c.name AS name, "
                "c.balance AS balance, c.joined AS joined, c.active AS active, "
                "c.visits AS visits ORDER BY id"
            ).to_dicts()
        expected = _source(
            shop_url,
            "SELECT customer_id, name, balance, joined, active, visits FROM retail.customers "
            "ORDER BY customer_id",
        )
        got = [
            (r["id"], r["name"], r["balance"], r["joined"], r["active"], r["visits"]) for r in rows
        ]
        assert got == expected
        assert isinstance(got[0][2], Decimal) and isinstance(got[0][3], dt.datetime)
    finally:
        client.instances.terminate(instance.id)


def test_postgres_urls_keep_libpq_parameters_and_hide_the_password(tmp_path: Path) -> None:
    target = parse_warehouse_url(
        "postgresql+psycopg://bob:s3cret@db.corp:5433/shop?catalog=dw&sslmode=require"
    )
    assert isinstance(target, PostgresTarget)
    assert target.catalog == "dw"
    assert target.conninfo == "postgresql://bob:s3cret@db.corp:5433/shop?sslmode=require"
    assert "s3cret" not in repr(target)
    with pytest.raises(ValueError, match="names no database") as info:
        Settings.from_env(
            {"GRAPH_OLAP_WAREHOUSE_URL": "postgres://bob:s3cret@db"}, data_dir=tmp_path
        )
    assert "s3cret" not in str(info.value) and "bob:***@db" in str(info.value)


def test_an_unreachable_postgres_says_what_to_check(tmp_path: Path) -> None:
    socket_dir = tmp_path / "no-server"
    socket_dir.mkdir()
    with pytest.raises(WarehouseError, match="cannot connect to the PostgreSQL warehouse") as info:
        PostgresWarehouse(f"postgresql://bob:s3cret@/shop?host={socket_dir}")
    assert "GRAPH_OLAP_WAREHOUSE_URL" in str(info.value) and "s3cret" not in str(info.value)


def test_a_value_postgres_cannot_cast_fails_the_snapshot_with_its_message(
    client: GraphOLAPClient,
) -> None:
    """The casts to the declared types run in PostgreSQL: its error names the value."""
    bad = {
        **CUSTOMER,
        "primary_key": {"name": "name", "type": "INT64"},  # 'customer 1 é' is no number
        "properties": [],
    }
    mapping = client.mappings.create(
        f"pg-bad-{uuid.uuid4().hex[:6]}", "bad", node_definitions=[bad], edge_definitions=[]
    )
    with pytest.raises(SnapshotFailedError) as failed:
        client.snapshots.create_and_wait(mapping.id, f"pg-bad-{uuid.uuid4().hex[:6]}", timeout=120)
    message = str(failed.value)
    assert "node_definitions[0] (Customer)" in message
    assert re.search(r'invalid input syntax for type bigint: "customer \d+ é"', message)
