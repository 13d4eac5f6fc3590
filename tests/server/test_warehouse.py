"""The warehouse layer: sample data, SQL validation and transpiling, sources, schema cache.

Real DuckDB files and folders under ``tmp_path``; no mocks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import polars as pl
import pytest

from graph_olap_server.warehouse import (
    ColumnInfo,
    SchemaCache,
    SqlValidationError,
    Warehouse,
    WarehouseError,
    generate_sample_warehouse,
    sample_is_current,
)
from graph_olap_server.warehouse.cache import CacheMiss

TABLES = ("customers", "accounts", "merchants", "transactions", "card_payments")
CLASSIC_TABLES = (
    "karate_members",
    "karate_ties",
    "les_miserables_characters",
    "les_miserables_cooccurrences",
    "florentine_families",
    "florentine_marriages",
)


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "nested" / "sample.duckdb"
    generate_sample_warehouse(path)
    return path


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder 'My Lake-2024' of Parquet/CSV files, one subfolder, one user DuckDB file."""
    root = tmp_path_factory.mktemp("user")
    folder = root / "My Lake-2024"
    (folder / "crm").mkdir(parents=True)
    people = pl.DataFrame({"person_id": [1, 2, 3], "name": ["Ann", "Bo", "Cy"]})
    people.write_parquet(folder / "people.parquet")
    pl.DataFrame({"src": [1, 2], "dst": [2, 3], "since": ["2024-01-01", "2024-02-01"]}).write_csv(
        folder / "Knows-Edges.csv"
    )
    pl.DataFrame({"lead_id": [7], "score": [0.5]}).write_parquet(folder / "crm" / "leads.parquet")
    (folder / "notes.txt").write_text("ignored")
    db = root / "UserDB.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE main.things AS SELECT range AS thing_id FROM range(5)")
    return root


@pytest.fixture(scope="module")
def warehouse(sample_path: Path, lake: Path) -> Iterator[Warehouse]:
    wh = Warehouse([sample_path, lake / "UserDB.duckdb", lake / "My Lake-2024"])
    yield wh
    wh.close()


def _checksum(path: Path, table: str) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR)) FROM bank.{table} t"
        ).fetchone()
    assert row is not None
    return str(row[0])


# -- the sample warehouse --------------------------------------------------------------------


def test_sample_is_deterministic_and_replaced_atomically(sample_path: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    again.write_text("an old file, replaced")
    generate_sample_warehouse(again)
    for table in TABLES:
        assert _checksum(again, table) == _checksum(sample_path, table), table
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.duckdb"]  # no temp files


def test_an_old_sample_without_the_classic_graphs_is_not_current(
    sample_path: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE SCHEMA bank; CREATE TABLE bank.customers (customer_id BIGINT)")
    con.close()
    assert not sample_is_current(old)
    assert not sample_is_current(tmp_path / "missing.duckdb")
    assert sample_is_current(sample_path)


def test_sample_shape_and_types(sample_path: Path) -> None:
    with duckdb.connect(str(sample_path), read_only=True) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM bank.{t}").fetchone()[0] for t in TABLES}
        types = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'bank'"
        ).fetchall()
        flagged = con.execute("SELECT avg(is_flagged::INT) FROM bank.transactions").fetchone()[0]
    assert counts["customers"] == 1000 and counts["merchants"] == 200
    assert 1600 <= counts["accounts"] <= 2000
    assert counts["transactions"] == 6000 and counts["card_payments"] == 3000
    assert not [t for t in types if t[2] in ("DOUBLE", "FLOAT")]
    type_of = {(t[0], t[1]): t[2] for t in types}
    assert type_of["customers", "risk_score"] == "DECIMAL(5,2)"
    assert type_of["transactions", "amount"] == "DECIMAL(12,2)"
    assert type_of["transactions", "ts"] == "TIMESTAMP"
    assert type_of["accounts", "opened_at"] == "DATE"
    assert 0 < flagged < 0.05


def test_sample_referential_integrity_and_structures(sample_path: Path) -> None:
    checks = {
        "orphan accounts": "SELECT count(*) FROM bank.accounts a "
        "ANTI JOIN bank.customers c USING (customer_id)",
        "orphan transfers": "SELECT count(*) FROM bank.transactions t WHERE NOT EXISTS "
        "(SELECT 1 FROM bank.accounts a WHERE a.account_id = t.from_account) OR NOT EXISTS "
        "(SELECT 1 FROM bank.accounts a WHERE a.account_id = t.to_account)",
        "self transfers": "SELECT count(*) FROM bank.transactions WHERE from_account = to_account",
        "orphan payments": "SELECT count(*) FROM bank.card_payments p "
        "ANTI JOIN bank.accounts a USING (account_id)",
        "orphan merchants": "SELECT count(*) FROM bank.card_payments p "
        "ANTI JOIN bank.merchants m USING (merchant_id)",
        "transfers before opening": "SELECT count(*) FROM bank.transactions t "
        "JOIN bank.accounts a ON a.account_id = t.from_account WHERE t.ts < a.opened_at",
    }
    with duckdb.connect(str(sample_path), read_only=True) as con:
        for name, sql in checks.items():
            assert con.execute(sql).fetchone()[0] == 0, name
        no_accounts = con.execute(
            "SELECT count(*) FROM bank.customers ANTI JOIN bank.accounts USING (customer_id)"
        ).fetchone()[0]
        hub = con.execute(
            "SELECT merchant_id, count(*) AS n FROM bank.card_payments "
            "GROUP BY ALL ORDER BY n DESC LIMIT 2"
        ).fetchall()
        ring = con.execute(  # a 5-cycle of flagged transfers: a->b->c->d->e->a
            "WITH f AS (SELECT DISTINCT from_account s, to_account d FROM bank.transactions "
            "WHERE is_flagged AND amount BETWEEN 9000 AND 10000) "
            "SELECT count(*) FROM f f1 JOIN f f2 ON f2.s = f1.d JOIN f f3 ON f3.s = f2.d "
            "JOIN f f4 ON f4.s = f3.d JOIN f f5 ON f5.s = f4.d AND f5.d = f1.s"
        ).fetchone()[0]
    assert 0 < no_accounts < 100
    assert hub[0][0] == 1 and hub[0][1] > 5 * hub[1][1]
    assert ring >= 5  # the same ring, entered at each of its 5 accounts


# -- describe and SQL validation -------------------------------------------------------------


def test_describe_returns_columns_and_types_without_running(warehouse: Warehouse) -> None:
    cols = warehouse.describe(
        "SELECT c.customer_id, c.name AS customer, a.balance, count(*) AS n "
        "FROM sample.bank.customers c JOIN sample.bank.accounts a "
        "ON a.customer_id = c.customer_id GROUP BY 1, 2, 3"
    )
    assert cols == [
        ColumnInfo("customer_id", "BIGINT"),
        ColumnInfo("customer", "VARCHAR"),
        ColumnInfo("balance", "DECIMAL(12,2)"),
        ColumnInfo("n", "BIGINT"),
    ]
    cte = "WITH t AS (SELECT txn_id, ts FROM sample.bank.transactions) SELECT * FROM t;"
    assert [c.data_type for c in warehouse.describe(cte)] == ["BIGINT", "TIMESTAMP"]
    # binding only: a query that would fail at run time still describes
    assert warehouse.describe("SELECT CAST('x' AS INTEGER) AS boom") == [
        ColumnInfo("boom", "INTEGER")
    ]


def test_describe_names_the_wrong_table(warehouse: Warehouse) -> None:
    with pytest.raises(SqlValidationError) as err:
        warehouse.describe("SELECT * FROM sample.bank.custmers")
    message = str(err.value)
    assert message == (
        "Table sample.bank.custmers not found. Did you mean sample.bank.customers?"
    )  # more in test_table_hints.py


def test_describe_names_the_wrong_column(warehouse: Warehouse) -> None:
    with pytest.raises(SqlValidationError, match=r'"nme" not found') as err:
        warehouse.describe("SELECT nme FROM sample.bank.customers")
    assert "Candidate bindings" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE sample.bank.customers",
        "INSERT INTO sample.bank.merchants VALUES (999, 'x', 'y', 'z')",
        "DELETE FROM sample.bank.merchants",
        "UPDATE sample.bank.merchants SET name = 'x'",
        "CREATE TABLE t AS SELECT 1 AS x",
        "SELECT * INTO t FROM sample.bank.merchants",
        "WITH gone AS (DELETE FROM sample.bank.merchants RETURNING *) SELECT * FROM gone",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE sample.bank.customers",
        "SHOW TABLES",
        "  ; ",
    ],
)
def test_only_a_single_select_is_allowed(warehouse: Warehouse, sql: str) -> None:
    with pytest.raises(SqlValidationError, match="only a single SELECT query is allowed"):
        warehouse.describe(sql)
    with pytest.raises(SqlValidationError, match="only a single SELECT query is allowed"):
        warehouse.to_duckdb_sql(sql)


def test_syntax_errors_are_one_readable_line(warehouse: Warehouse) -> None:
    with pytest.raises(SqlValidationError, match="SQL syntax error at line 1") as err:
        warehouse.describe("SELECT FROM WHERE")
    assert "Token" not in str(err.value) and "\x1b" not in str(err.value)
    with pytest.raises(SqlValidationError, match="dialect"):
        warehouse.describe("SELECT 1", dialect="no-such-dialect")


def test_trino_sql_is_transpiled_to_duckdb(warehouse: Warehouse) -> None:
    trino = (
        "SELECT date_format(ts, '%Y-%m') AS month, approx_distinct(from_account) AS senders "
        "FROM sample.bank.transactions GROUP BY 1"
    )
    duck = warehouse.to_duckdb_sql(trino)
    assert "STRFTIME" in duck and "APPROX_COUNT_DISTINCT" in duck
    assert warehouse.describe(trino) == [
        ColumnInfo("month", "VARCHAR"),
        ColumnInfo("senders", "BIGINT"),
    ]
    with pytest.raises(SqlValidationError, match="date_format"):  # DuckDB has no date_format
        warehouse.describe(trino, dialect="duckdb")


def test_export_parquet(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "nodes.parquet"
    out.parent.mkdir()
    warehouse = Warehouse([sample_path], export_dirs=[out.parent])
    sql = "SELECT account_id, balance FROM sample.bank.accounts WHERE account_type = 'savings'"
    rows = warehouse.export_parquet(sql, out)
    frame = pl.read_parquet(out)
    assert rows == frame.height > 0 and frame.columns == ["account_id", "balance"]
    assert [p.name for p in out.parent.iterdir()] == ["nodes.parquet"]
    with pytest.raises(SqlValidationError, match="nope"):
        warehouse.export_parquet("SELECT nope FROM sample.bank.accounts", out)
    warehouse.close()


# -- sources and metadata --------------------------------------------------------------------


def test_user_files_and_folders_become_catalogs(warehouse: Warehouse) -> None:
    assert warehouse.catalogs() == ["my_lake_2024", "sample", "userdb"]
    by_name = {(t.catalog_name, t.schema_name, t.table_name): t for t in warehouse.metadata()}
    assert set(by_name) == {
        ("my_lake_2024", "crm", "leads"),
        ("my_lake_2024", "main", "knows_edges"),
        ("my_lake_2024", "main", "people"),
        *(("sample", "bank", t) for t in TABLES),
        *(("sample", "classic", t) for t in CLASSIC_TABLES),
        ("userdb", "main", "things"),
    }
    people = by_name["my_lake_2024", "main", "people"]
    assert people.table_type == "VIEW"
    assert [(c.column_name, c.ordinal_position) for c in people.columns] == [
        ("person_id", 1),
        ("name", 2),
    ]
    customers = by_name["sample", "bank", "customers"]
    assert customers.table_type == "BASE TABLE" and not customers.columns[0].is_nullable
    cols = warehouse.describe(
        "SELECT p.name, k.dst FROM my_lake_2024.main.people p "
        "JOIN my_lake_2024.main.knows_edges k ON k.src = p.person_id"
    )
    assert [c.name for c in cols] == ["name", "dst"]
    assert warehouse.describe("SELECT * FROM userdb.main.things") == [
        ColumnInfo("thing_id", "BIGINT")
    ]
    # underneath describe's own checks, the attached file really is read-only
    with warehouse._cursor() as cur, pytest.raises(duckdb.Error, match=r"read-only|read only"):
        cur.execute("CREATE TABLE userdb.main.x (a INT)")


def test_bad_sources_are_explained(tmp_path: Path, sample_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(WarehouseError, match=r"missing\.duckdb does not exist"):
        Warehouse([missing])
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(WarehouseError, match=r"cannot open warehouse source .*junk\.duckdb"):
        Warehouse([junk])
    other = tmp_path / "other.txt"
    other.write_text("x")
    with pytest.raises(WarehouseError, match=r"neither a \.duckdb/\.db file nor a folder"):
        Warehouse([other])
    (tmp_path / "Sample").mkdir()
    with pytest.raises(WarehouseError, match="'sample', which is already used"):
        Warehouse([sample_path, tmp_path / "Sample"])
    bad = tmp_path / "badlake"
    bad.mkdir()
    (bad / "broken.parquet").write_text("not parquet")
    with pytest.raises(WarehouseError, match=r"cannot read warehouse file .*broken\.parquet"):
        Warehouse([bad])


def test_concurrent_describe_from_eight_threads(warehouse: Warehouse) -> None:
    sqls = [f"SELECT {c} FROM sample.bank.{t}" for t in TABLES for c in ("*", "count(*) AS n")]
    expected = {sql: warehouse.describe(sql) for sql in sqls}
    barrier = threading.Barrier(8)

    def work(i: int) -> bool:
        barrier.wait()
        for k in range(20):
            sql = sqls[(i + k) % len(sqls)]
            if warehouse.describe(sql) != expected[sql]:
                return False
        return warehouse.ping() >= 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(8)))


def test_closed_warehouse_refuses(sample_path: Path) -> None:
    wh = Warehouse([sample_path])
    assert wh.ping() < 5
    wh.close()
    wh.close()
    with pytest.raises(WarehouseError, match="closed"):
        wh.describe("SELECT 1")


# -- the schema cache ------------------------------------------------------------------------


def test_schema_cache_browse(warehouse: Warehouse) -> None:
    cache = SchemaCache(warehouse)
    assert cache.catalogs() == [
        {"catalog_name": "my_lake_2024", "schema_count": 2},
        {"catalog_name": "sample", "schema_count": 2},
        {"catalog_name": "userdb", "schema_count": 1},
    ]
    assert cache.schemas("my_lake_2024") == [
        {"catalog_name": "my_lake_2024", "schema_name": "crm", "table_count": 1},
        {"catalog_name": "my_lake_2024", "schema_name": "main", "table_count": 2},
    ]
    tables = cache.tables("sample", "bank")
    assert [t["table_name"] for t in tables] == sorted(TABLES)
    assert tables[0] == {
        "catalog_name": "sample",
        "schema_name": "bank",
        "table_name": "accounts",
        "table_type": "BASE TABLE",
        "column_count": 6,
    }
    assert cache.tables("my_lake_2024", "main")[0]["table_type"] == "VIEW"
    cols = cache.columns("SAMPLE", "Bank", "Customers")  # identifiers ignore case
    assert [c["ordinal_position"] for c in cols] == list(range(1, 8))
    assert cols[-1] == {
        "catalog_name": "sample",
        "schema_name": "bank",
        "table_name": "customers",
        "column_name": "risk_score",
        "data_type": "DECIMAL(5,2)",
        "ordinal_position": 7,
        "is_nullable": True,
    }


def test_schema_cache_misses_list_what_exists(warehouse: Warehouse) -> None:
    cache = SchemaCache(warehouse)
    with pytest.raises(CacheMiss) as err:
        cache.schemas("nope")
    assert isinstance(err.value, KeyError)
    assert str(err.value) == err.value.args[0]
    assert "'nope'" in str(err.value) and "my_lake_2024, sample, userdb" in str(err.value)
    with pytest.raises(CacheMiss, match=r"Schema 'bnk' not found in catalog 'sample'.*'bank'"):
        cache.tables("sample", "bnk")
    with pytest.raises(CacheMiss, match=r"Catalog 'smple'.*Did you mean 'sample'"):
        cache.columns("smple", "bank", "customers")
    with pytest.raises(CacheMiss) as err:
        cache.columns("sample", "bank", "custmers")
    assert "Table 'custmers' not found" in str(err.value)
    assert "accounts, card_payments, customers, merchants, transactions" in str(err.value)


def test_schema_cache_search_stats_and_refresh(warehouse: Warehouse) -> None:
    cache = SchemaCache(warehouse, eager=False)
    assert cache.catalogs() == [] and cache.stats()["last_refresh"] is None
    result = cache.refresh()
    assert result["status"] == "completed"
    assert (result["catalogs"], result["schemas"], result["tables"]) == (3, 5, 15)
    classic_columns = 2 + 3 + 1 + 3 + 1 + 2
    assert result["columns"] == 7 + 6 + 4 + 7 + 5 + 2 + 3 + 2 + 1 + classic_columns
    assert result["duration_ms"] >= 0
    found = cache.search_tables("C", 10)
    assert [(t["catalog_name"], t["table_name"]) for t in found] == [
        ("sample", "card_payments"),
        ("sample", "customers"),
    ]
    assert len(cache.search_tables("", 3)) == 3
    ids = cache.search_columns("ACCOUNT", 100)
    assert [(c["table_name"], c["column_name"]) for c in ids] == [
        ("accounts", "account_id"),
        ("accounts", "account_type"),
        ("card_payments", "account_id"),
    ]
    assert cache.search_columns("zzz", 5) == []
    cache.refresh()
    stats = cache.stats()
    assert stats["refresh_count"] == 2 and stats["total_tables"] == 15
    assert stats["total_catalogs"] == 3 and stats["total_schemas"] == 5
    assert stats["last_refresh"].endswith("+00:00") and 0 <= stats["cache_age_seconds"] < 60
    assert cache.last_refresh is not None and cache.last_refresh.tzinfo is not None


def test_queries_cannot_read_or_write_other_files(tmp_path: Path) -> None:
    from graph_olap_server.warehouse import generate_sample_warehouse

    db = tmp_path / "sample.duckdb"
    generate_sample_warehouse(db)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    out = tmp_path / "exports"
    out.mkdir()
    with Warehouse([db], export_dirs=[out]) as wh:
        with pytest.raises(SqlValidationError, match="disabled by configuration"):
            wh.describe(f"SELECT * FROM read_text('{secret}')")
        assert wh.export_parquet("SELECT 1 AS a", out / "ok.parquet") == 1
        with pytest.raises(WarehouseError):
            wh.export_parquet("SELECT 1 AS a", tmp_path / "elsewhere.parquet")
