""" "Did you mean": a table named without its catalog, or misspelt, gets the closest
qualified tables in the error, in mapping SQL (describe), in exports and in the schema cache.

Real DuckDB files under ``tmp_path``: ``warehouse.duckdb`` (schemas ``lesmis`` and
``main``) and ``archive.duckdb`` (another ``lesmis.characters``), as a user passes them
with ``--warehouse``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from graph_olap_server.warehouse import SchemaCache, SqlValidationError, Warehouse
from graph_olap_server.warehouse.cache import CacheMiss
from graph_olap_server.warehouse.names import closest_tables, table_references


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("hints")
    main, archive = root / "warehouse.duckdb", root / "archive.duckdb"
    with duckdb.connect(str(main)) as con:
        con.execute("CREATE SCHEMA lesmis")
        con.execute("CREATE TABLE lesmis.characters (id INT, name VARCHAR)")
        con.execute("CREATE TABLE lesmis.appearances (a INT, b INT)")
        con.execute("CREATE TABLE main.chapters (chapter INT)")
    with duckdb.connect(str(archive)) as con:
        con.execute("CREATE SCHEMA lesmis")
        con.execute("CREATE TABLE lesmis.characters (id INT, name VARCHAR)")
    return [main, archive]


@pytest.fixture(scope="module")
def warehouse(files: list[Path]) -> Iterator[Warehouse]:
    wh = Warehouse(files)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def one_file(files: list[Path]) -> Iterator[Warehouse]:
    wh = Warehouse(files[:1])
    yield wh
    wh.close()


def _describe_error(warehouse: Warehouse, sql: str) -> str:
    with pytest.raises(SqlValidationError) as err:
        warehouse.describe(sql)
    message = str(err.value)
    assert "\n" not in message and "LINE" not in message and "Error:" not in message
    return message


@pytest.mark.parametrize(
    ("sql", "hint"),
    [
        # the case: the table named without its catalog
        ("SELECT id, name FROM lesmis.characters", "warehouse.lesmis.characters"),
        ("SELECT chapter FROM chapters", "warehouse.main.chapters"),
        ("SELECT a FROM appearances", "warehouse.lesmis.appearances"),
        # a misspelt table, schema or catalog
        ("SELECT id FROM warehouse.lesmis.charactrs", "warehouse.lesmis.characters"),
        ("SELECT id FROM warehouse.lesmi.characters", "warehouse.lesmis.characters"),
        ("SELECT id FROM warehous.lesmis.characters", "warehouse.lesmis.characters"),
        ("SELECT id FROM WAREHOUSE.lesmis.charactrs", "warehouse.lesmis.characters"),
        # catalog.table for a table in another schema than main
        ("SELECT a FROM warehouse.appearances", "warehouse.lesmis.appearances"),
    ],
)
def test_describe_names_the_closest_qualified_table(
    one_file: Warehouse, sql: str, hint: str
) -> None:
    named = table_references(one_file.to_duckdb_sql(sql))[0]
    message = _describe_error(one_file, sql)
    assert message == f"Table {'.'.join(named)} not found. Did you mean {hint}?"
    assert one_file.describe(sql.replace(".".join(named), hint))  # the hint is right


def test_every_table_of_that_name_is_offered(warehouse: Warehouse) -> None:
    message = _describe_error(warehouse, "SELECT id, name FROM lesmis.characters")
    assert message == (
        "Table lesmis.characters not found. "
        "Did you mean archive.lesmis.characters or warehouse.lesmis.characters?"
    )


def test_each_missing_table_of_a_query_is_named(one_file: Warehouse) -> None:
    sql = (
        "WITH c AS (SELECT id FROM warehouse.lesmis.characters) "
        "SELECT c.id FROM c JOIN lesmis.appearances x ON x.a = c.id "
        "JOIN warehouse.main.chaptrs h ON h.chapter = x.b"
    )
    message = _describe_error(one_file, sql)
    assert message == (
        "Table lesmis.appearances not found. Did you mean warehouse.lesmis.appearances? "
        "Table warehouse.main.chaptrs not found. Did you mean warehouse.main.chapters?"
    )


def test_a_name_like_nothing_lists_the_catalogs(warehouse: Warehouse) -> None:
    message = _describe_error(warehouse, "SELECT * FROM zzz.qqq")
    assert message.startswith("Table zzz.qqq not found in the warehouse.")
    assert "Did you mean" not in message
    assert f"catalogs: {', '.join(warehouse.catalogs())}" in message
    assert "client.schema.search_tables" in message


def test_other_errors_keep_duckdb_s_message(one_file: Warehouse) -> None:
    column = _describe_error(one_file, "SELECT nme FROM warehouse.lesmis.characters")
    assert '"nme" not found' in column and 'Candidate bindings: "name"' in column
    function = _describe_error(one_file, "SELECT no_such_function(1)")
    assert "no_such_function does not exist" in function


def test_export_names_the_closest_table(files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "nodes.parquet"
    with Warehouse(files[:1], export_dirs=[tmp_path]) as wh:
        with pytest.raises(SqlValidationError) as err:
            wh.export_parquet("SELECT id FROM lesmis.characters", out)
        assert str(err.value) == (
            "Table lesmis.characters not found. Did you mean warehouse.lesmis.characters?"
        )
        assert wh.export_parquet("SELECT id FROM warehouse.lesmis.characters", out) == 0
    assert list(tmp_path.iterdir()) == [out]


def test_table_names_lists_every_qualified_table(warehouse: Warehouse) -> None:
    assert warehouse.table_names() == [
        (t.catalog_name, t.schema_name, t.table_name) for t in warehouse.metadata()
    ]


def test_schema_cache_looks_in_other_catalogs_and_schemas(warehouse: Warehouse) -> None:
    cache = SchemaCache(warehouse)
    with pytest.raises(CacheMiss) as err:
        cache.tables("lesmis", "characters")  # a schema taken for a catalog
    assert "Catalog 'lesmis' not found. Did you mean archive.lesmis or warehouse.lesmis?" in str(
        err.value
    )
    with pytest.raises(CacheMiss) as err:
        cache.tables("archive", "main")  # a schema of another catalog
    assert str(err.value) == (
        "Schema 'main' not found in catalog 'archive'. Did you mean warehouse.main? "
        "Known schemas: lesmis"
    )
    with pytest.raises(CacheMiss, match=r"Did you mean 'lesmis'\?"):  # close by comes first
        cache.tables("warehouse", "lesmiss")
    with pytest.raises(CacheMiss) as err:
        cache.columns("warehouse", "main", "characters")  # a table of another schema
    assert "Did you mean archive.lesmis.characters or warehouse.lesmis.characters?" in str(
        err.value
    )
    assert "Known tables: chapters" in str(err.value)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("characters",), ["a.x.characters", "b.y.characters"]),  # exact names come alone
        (("x", "characters"), ["a.x.characters"]),
        (("a", "characters"), ["a.x.characters"]),
        (("a", "x", "charcters"), ["a.x.characters"]),
        (("a", "x", "Characters"), ["a.x.characters"]),
        (("nothing", "like", "it"), []),
    ],
)
def test_closest_tables(parts: tuple[str, ...], expected: list[str]) -> None:
    known = [("a", "x", "characters"), ("b", "y", "characters"), ("a", "x", "chapters")]
    assert closest_tables(parts, known) == expected


def test_table_references_skip_ctes_and_table_functions() -> None:
    sql = (
        "WITH t AS (SELECT 1) SELECT * FROM t, a.b.c, read_parquet('f.parquet'), "
        '(SELECT * FROM "My Schema".d) s, a.b.c'
    )
    assert table_references(sql) == [("a", "b", "c"), ("My Schema", "d")]
