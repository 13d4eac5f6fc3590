"""The Trino adapter at its boundary: the SQL it sends is Trino SQL (sqlglot,
``read="trino"``), and its browsing, validation and export logic run against a stand-in of
the ``trino.dbapi`` connection (see trino_standin.py). The live tier is test_trino_live.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from graph_olap_server.export.plan import build_plan
from graph_olap_server.settings import Settings
from graph_olap_server.warehouse import SqlValidationError, WarehouseError
from graph_olap_server.warehouse.trino import TrinoWarehouse, columns_sql, tables_sql, trino_type
from graph_olap_server.warehouse.url import TrinoTarget, parse_warehouse_url

from .trino_standin import EXPLAIN, StandInTrino

ROWS = 45


@pytest.fixture
def cluster() -> Iterator[StandInTrino]:
    duck = duckdb.connect()
    duck.execute("ATTACH ':memory:' AS hive")
    duck.execute("ATTACH ':memory:' AS iceberg")
    duck.execute("CREATE SCHEMA hive.sales")
    duck.execute(
        "CREATE TABLE hive.sales.customers (customer_id BIGINT, name VARCHAR, "
        "balance DECIMAL(12,2), joined TIMESTAMP, active BOOLEAN)"
    )
    duck.execute(
        "INSERT INTO hive.sales.customers SELECT i, 'c' || i, i * 1.25, "
        f"TIMESTAMP '2024-01-01 08:00:00' + i * INTERVAL 1 HOUR, i % 2 = 0 FROM range({ROWS}) t(i)"
    )
    duck.execute(
        "CREATE VIEW hive.sales.rich AS SELECT * FROM hive.sales.customers WHERE balance > 10"
    )
    duck.execute("CREATE SCHEMA iceberg.events")
    duck.execute("CREATE TABLE iceberg.events.clicks (click_id INTEGER, clicked DATE)")
    yield StandInTrino(duck)
    duck.close()


@pytest.fixture
def warehouse(cluster: StandInTrino) -> TrinoWarehouse:
    return TrinoWarehouse(cluster.connect)


def _trino_tree(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="trino")


# -- the SQL it sends ----------------------------------------------------------------------


def test_information_schema_queries_are_trino_sql_on_the_catalog() -> None:
    for sql in (tables_sql('my "odd" catalog'), columns_sql("hive")):
        tree = _trino_tree(sql)
        (table,) = tree.find_all(exp.Table)
        assert table.db == "information_schema"
        assert table.catalog in ('my "odd" catalog', "hive")
        assert table.name in ("tables", "columns")


def test_every_statement_sent_parses_as_trino(
    warehouse: TrinoWarehouse, cluster: StandInTrino, tmp_path: Path
) -> None:
    warehouse.metadata()
    warehouse.describe("SELECT customer_id FROM hive.sales.customers")
    warehouse.export_parquet("SELECT customer_id FROM hive.sales.customers", tmp_path / "x.parquet")
    assert cluster.statements[0] == "SHOW CATALOGS"
    explains = [s for s in cluster.statements if s.startswith(EXPLAIN)]
    assert explains == [EXPLAIN + "SELECT customer_id FROM hive.sales.customers"]
    for sql in cluster.statements[1:]:
        assert isinstance(_trino_tree(sql.removeprefix(EXPLAIN)), exp.Query)
    assert cluster.open_connections == 0  # every connection closed


def test_the_export_wrapper_is_translated_to_trino(
    warehouse: TrinoWarehouse, cluster: StandInTrino, tmp_path: Path
) -> None:
    """The exporter wraps the mapping SQL in DuckDB casts; Trino gets them in its dialect."""
    plan = build_plan(
        [
            {
                "label": "Customer",
                "sql": "SELECT customer_id, name, balance FROM hive.sales.customers",
                "primary_key": {"name": "customer_id", "type": "INT64"},
                "properties": [
                    {"name": "name", "type": "STRING"},
                    {"name": "balance", "type": "DOUBLE"},
                ],
            }
        ],
        [],
    )
    node = plan.nodes[0]
    duck_sql = node.select_sql(warehouse.to_duckdb_sql(node.sql))
    warehouse.export_parquet(duck_sql, tmp_path / "c.parquet", dialect="duckdb")
    sent = _trino_tree(cluster.statements[-1])
    casts = {c.alias_or_name: c.this.to.sql("trino") for c in sent.expressions}
    assert casts == {"customer_id": "BIGINT", "name": "VARCHAR", "balance": "DOUBLE"}
    assert pq.read_table(tmp_path / "c.parquet").num_rows == ROWS


# -- browsing ------------------------------------------------------------------------------


def test_catalogs_leave_out_system_or_are_the_configured_ones(
    warehouse: TrinoWarehouse, cluster: StandInTrino
) -> None:
    assert warehouse.catalogs() == ["hive", "iceberg"]
    assert TrinoWarehouse(cluster.connect, catalogs=["iceberg"]).catalogs() == ["iceberg"]


def test_metadata_has_every_table_and_view_with_typed_columns(warehouse: TrinoWarehouse) -> None:
    tables = {(t.catalog_name, t.schema_name, t.table_name): t for t in warehouse.metadata()}
    assert sorted(tables) == [
        ("hive", "sales", "customers"),
        ("hive", "sales", "rich"),
        ("iceberg", "events", "clicks"),
    ]
    assert tables["hive", "sales", "rich"].table_type == "VIEW"
    customers = tables["hive", "sales", "customers"].columns
    assert [(c.column_name, c.data_type, c.ordinal_position) for c in customers] == [
        ("customer_id", "BIGINT", 1),
        ("name", "VARCHAR", 2),
        ("balance", "DECIMAL(12,2)", 3),
        ("joined", "TIMESTAMP", 4),
        ("active", "BOOLEAN", 5),
    ]


# -- validation ----------------------------------------------------------------------------


def test_describe_validates_with_explain_and_reads_the_columns(
    warehouse: TrinoWarehouse, cluster: StandInTrino
) -> None:
    cols = warehouse.describe("SELECT customer_id, balance, joined FROM hive.sales.customers")
    assert [(c.name, c.data_type) for c in cols] == [
        ("customer_id", "BIGINT"),
        ("balance", "DECIMAL(12,2)"),
        ("joined", "TIMESTAMP"),
    ]
    assert cluster.statements[0].startswith(EXPLAIN)
    assert cluster.statements[1].endswith("LIMIT 0")


def test_a_missing_table_names_the_closest_one(warehouse: TrinoWarehouse) -> None:
    with pytest.raises(SqlValidationError) as info:
        warehouse.describe("SELECT * FROM hive.sales.custmers")
    assert str(info.value) == (
        "Table hive.sales.custmers not found. Did you mean hive.sales.customers?"
    )
    with pytest.raises(SqlValidationError, match=r"Did you mean hive\.sales\.customers\?"):
        warehouse.describe("SELECT * FROM sales.customers")  # no catalog


def test_a_wrong_column_gives_trinos_message(warehouse: TrinoWarehouse) -> None:
    with pytest.raises(SqlValidationError, match="nmae") as info:
        warehouse.describe("SELECT nmae FROM hive.sales.customers")
    assert not str(info.value).startswith("line ")


def test_writes_never_reach_trino(warehouse: TrinoWarehouse, cluster: StandInTrino) -> None:
    with pytest.raises(SqlValidationError, match="only a single SELECT"):
        warehouse.describe("DROP TABLE hive.sales.customers")
    assert cluster.statements == []


# -- export --------------------------------------------------------------------------------


def test_export_fetches_in_batches_and_keeps_the_types(
    warehouse: TrinoWarehouse,
    cluster: StandInTrino,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import graph_olap_server.warehouse.trino as trino_module

    monkeypatch.setattr(trino_module, "BATCH_ROWS", 10)
    path = tmp_path / "customers.parquet"
    sql = "SELECT * FROM hive.sales.customers ORDER BY customer_id"
    assert warehouse.export_parquet(sql, path) == ROWS
    assert cluster.fetchmany_calls == ROWS // 10 + 2  # 5 batches, then the empty one
    table = pq.read_table(path)
    assert [str(f.type) for f in table.schema] == [
        "int64",
        "string",
        "decimal128(12, 2)",
        "timestamp[us]",
        "bool",
    ]
    expected = cluster.duck.execute(sql).fetchall()
    assert [tuple(r.values()) for r in table.to_pylist()] == expected
    assert isinstance(expected[1][2], Decimal) and isinstance(expected[1][3], dt.datetime)
    assert pq.ParquetFile(path).metadata.num_row_groups == 5


def test_a_failed_export_leaves_no_file(warehouse: TrinoWarehouse, tmp_path: Path) -> None:
    with pytest.raises(SqlValidationError, match="Did you mean"):
        warehouse.export_parquet("SELECT * FROM hive.sales.custmers", tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_cluster_says_what_to_check() -> None:
    def refuse() -> None:
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    with pytest.raises(
        WarehouseError, match=r"cannot connect to the Trino warehouse.*GRAPH_OLAP_WAREHOUSE_URL"
    ):
        TrinoWarehouse(refuse).catalogs()


def test_trino_types_map_to_arrow() -> None:
    assert trino_type("varchar(20)")[:2] == ("VARCHAR", trino_type("varchar")[1])
    assert str(trino_type("timestamp(3) with time zone")[1]) == "timestamp[us, tz=UTC]"
    shown, arrow, convert = trino_type("array(integer)")
    assert (shown, str(arrow), convert) == ("VARCHAR", "string", str)


# -- the setting ---------------------------------------------------------------------------


def test_the_url_gives_the_connection_and_never_shows_the_password(tmp_path: Path) -> None:
    target = parse_warehouse_url(
        "trino://ana:s3cret@trino.corp:443/hive/sales?catalogs=hive,iceberg"
    )
    assert target == TrinoTarget(
        host="trino.corp",
        port=443,
        user="ana",
        password="s3cret",
        http_scheme="https",
        catalog="hive",
        schema="sales",
        catalogs=("hive", "iceberg"),
    )
    assert "s3cret" not in repr(target)
    with pytest.raises(ValueError, match="has no user") as info:
        Settings(data_dir=tmp_path, warehouse_url="trino://:s3cret@trino.corp:8080/hive")
    assert "s3cret" not in str(info.value)
    with pytest.raises(ValueError, match="unknown scheme 'mysql'") as info:
        Settings.from_env({"GRAPH_OLAP_WAREHOUSE_URL": "mysql://bob:pw@db/x"}, data_dir=tmp_path)
    assert "pw@" not in str(info.value) and "***" in str(info.value)
    assert "s3cret" not in repr(Settings(data_dir=tmp_path, warehouse_url="trino://a:s3cret@h/c"))
    assert Settings(data_dir=tmp_path).warehouse_url == "duckdb:"
