"""The warehouse: read-only sources behind one in-memory DuckDB connection.

Each source becomes a *catalog*, so queries name tables ``catalog.schema.table`` as in Trino:

* a ``.duckdb``/``.db`` file is attached ``READ_ONLY`` under its sanitised file stem;
* a folder becomes an in-memory catalog named after the folder, in which every Parquet, CSV,
  TSV or JSON file is a view in schema ``main`` and every immediate subfolder is a schema.

Queries arrive in a sqlglot dialect (Trino by default), must be one read-only ``SELECT``/``WITH``
query, and are transpiled to DuckDB. Every public method uses its own cursor, so one object can
be shared by the threads of the API server.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from graph_olap_server.warehouse.base import (
    ColumnInfo,
    ColumnMeta,
    SqlValidationError,
    TableMeta,
    WarehouseError,
    sorted_tables,
)
from graph_olap_server.warehouse.names import (
    QualifiedName,
    qualified,
    table_references,
    unknown_tables,
)
from graph_olap_server.warehouse.query import transpile_select

__all__ = [
    "ColumnInfo",
    "ColumnMeta",
    "SqlValidationError",
    "TableMeta",
    "Warehouse",
    "WarehouseError",
]


_SQL_ERRORS = (duckdb.ParserException, duckdb.BinderException, duckdb.CatalogException)
_RESERVED = frozenset({"memory", "system", "temp", "main", "information_schema", "pg_catalog"})
_READERS = {
    ".parquet": "read_parquet({})",
    ".csv": "read_csv_auto({})",
    ".tsv": "read_csv_auto({}, delim='\\t')",
    ".json": "read_json_auto({})",
    ".ndjson": "read_json_auto({})",
}
_TABLES_SQL = """
SELECT database_name, schema_name, table_name, 'BASE TABLE'
FROM duckdb_tables() WHERE NOT internal AND NOT temporary
UNION ALL
SELECT database_name, schema_name, view_name, 'VIEW'
FROM duckdb_views() WHERE NOT internal AND NOT temporary
"""
_PROBED = 20  # table names of one query checked one by one for a "did you mean" hint
_COLUMNS_SQL = """
SELECT database_name, schema_name, table_name, column_name, data_type, column_index, is_nullable
FROM duckdb_columns() WHERE NOT internal
ORDER BY database_name, schema_name, table_name, column_index
"""


def sql_identifier(name: str) -> str:
    """``name`` as a lowercase unquoted SQL identifier: ``"My Data-2024"`` -> ``my_data_2024``."""
    ident = re.sub(r"[^0-9a-z_]+", "_", name.lower()).strip("_") or "source"
    return f"_{ident}" if ident[0].isdigit() else ident


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clean_duckdb_error(exc: BaseException) -> str:
    """DuckDB's message on one line, without the ``Binder Error:`` prefix or the SQL excerpt."""
    lines: list[str] = []
    for line in str(exc).splitlines():
        if line.startswith("LINE "):
            break  # the rest quotes our rewritten SQL with a caret: misleading for the user
        if line.strip():
            lines.append(line.strip())
    text = " ".join(lines) or type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)


def _file_views(con: duckdb.DuckDBPyConnection, folder: Path, schema: str) -> None:
    """One view per readable file directly inside ``folder``, in ``schema`` (quoted)."""
    seen: dict[str, Path] = {}
    for file in sorted(folder.iterdir()):
        reader = _READERS.get(file.suffix.lower())
        if reader is None or not file.is_file() or file.name.startswith((".", "_")):
            continue
        view = sql_identifier(file.stem)
        if view in seen:
            raise WarehouseError(
                f"{seen[view]} and {file} would both be view {view!r}: rename one of them"
            )
        seen[view] = file
        source = reader.format(_literal(str(file)))
        try:
            con.execute(f"CREATE VIEW {schema}.{_quote(view)} AS SELECT * FROM {source}")
        except duckdb.Error as exc:
            raise WarehouseError(
                f"cannot read warehouse file {file}: {clean_duckdb_error(exc)}. "
                "Fix or remove the file."
            ) from None


def _attach(con: duckdb.DuckDBPyConnection, source: Path, taken: set[str]) -> str:
    """Attach one source as a catalog; returns the catalog name."""
    path = source.expanduser().resolve()
    if not path.exists():
        raise WarehouseError(
            f"warehouse source {path} does not exist: create it, or remove it from the "
            "warehouse sources (GRAPH_OLAP_WAREHOUSE)"
        )
    is_db = path.is_file() and path.suffix.lower() in (".duckdb", ".db")
    if not is_db and not path.is_dir():
        raise WarehouseError(
            f"warehouse source {path} is neither a .duckdb/.db file nor a folder of "
            "Parquet/CSV/JSON files: use one of those"
        )
    name = sql_identifier(path.stem if is_db else path.name)
    if name in taken or name in _RESERVED:
        why = "is already used by another source" if name in taken else "is reserved"
        raise WarehouseError(
            f"warehouse source {path} would be catalog {name!r}, which {why}: rename it"
        )
    catalog = _quote(name)
    try:
        if is_db:
            con.execute(f"ATTACH {_literal(str(path))} AS {catalog} (READ_ONLY)")
            return name
        con.execute(f"ATTACH ':memory:' AS {catalog}")
        _file_views(con, path, f"{catalog}.main")
        for sub in sorted(p for p in path.iterdir() if p.is_dir()):
            if not sub.name.startswith((".", "_")):
                schema = f"{catalog}.{_quote(sql_identifier(sub.name))}"
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                _file_views(con, sub, schema)
    except duckdb.Error as exc:
        raise WarehouseError(
            f"cannot open warehouse source {path}: {clean_duckdb_error(exc)}. Check that it is "
            f"a DuckDB database (DuckDB {duckdb.__version__} or older) or a readable folder"
        ) from None
    return name


class Warehouse:
    """Read-only SQL over a list of sources, safe to share between threads.

    Example:
        >>> wh = Warehouse([Path("sample.duckdb")])  # doctest: +SKIP
        >>> wh.describe("SELECT customer_id FROM sample.bank.customers")  # doctest: +SKIP
        [ColumnInfo(name='customer_id', data_type='BIGINT')]
    """

    def __init__(self, sources: list[Path], *, export_dirs: Sequence[Path] = ()) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._con = duckdb.connect(":memory:")
        self._catalogs: list[str] = []
        try:
            for source in sources:
                self._catalogs.append(_attach(self._con, Path(source), set(self._catalogs)))
            self._lock_down([Path(s) for s in sources if Path(s).is_dir()], export_dirs)
        except BaseException:
            self._con.close()
            raise

    def _lock_down(self, folders: list[Path], export_dirs: Sequence[Path]) -> None:
        """Queries may read only the attached sources and write only to ``export_dirs``:
        mapping SQL cannot read other files of the machine (``read_text('/etc/passwd')``)."""
        allowed = [f"{Path(d).resolve().as_posix().rstrip('/')}/" for d in [*folders, *export_dirs]]
        listing = ", ".join(_literal(d) for d in allowed)
        self._con.execute(f"SET allowed_directories=[{listing}]")
        self._con.execute("SET enable_external_access=false")

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._closed:
                raise WarehouseError("the warehouse is closed: restart the platform")
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def catalogs(self) -> list[str]:
        """Names of the attached catalogs, sorted."""
        return sorted(self._catalogs)

    def to_duckdb_sql(self, sql: str, *, dialect: str = "trino") -> str:
        """``sql`` transpiled to DuckDB; SqlValidationError unless it is one SELECT query."""
        return transpile_select(sql, dialect)

    def describe(self, sql: str, *, dialect: str = "trino") -> list[ColumnInfo]:
        """Result columns of ``sql`` in order, found by binding the query without running it.

        A table the warehouse does not hold gets the closest qualified names in the message.

        Example:
            >>> wh.describe("SELECT id FROM lesmis.characters")  # doctest: +SKIP
            SqlValidationError: Table lesmis.characters not found. Did you mean
            warehouse.lesmis.characters?
        """
        duck_sql = transpile_select(sql, dialect)
        with self._cursor() as cur:
            try:
                rows = cur.execute(f"DESCRIBE {duck_sql}").fetchall()
            except duckdb.Error as exc:
                raise SqlValidationError(self._explain(cur, exc, duck_sql)) from None
        return [ColumnInfo(name=str(r[0]), data_type=str(r[1])) for r in rows]

    def table_names(self) -> list[QualifiedName]:
        """Every table and view of the attached catalogs as ``(catalog, schema, table)``, sorted.

        Example:
            >>> wh.table_names()[:1]  # doctest: +SKIP
            [('sample', 'bank', 'accounts')]
        """
        with self._cursor() as cur:
            return self._table_names(cur)

    def _table_names(self, cur: duckdb.DuckDBPyConnection) -> list[QualifiedName]:
        return sorted((db, schema, table) for db, schema, table, _kind in self._tables(cur))

    def _tables(self, cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
        """``(catalog, schema, table, kind)`` of each table and view of the attached
        catalogs (not their information schemas)."""
        wanted = set(self._catalogs)
        return [
            (str(db), str(schema), str(table), str(kind))
            for db, schema, table, kind in cur.execute(_TABLES_SQL).fetchall()
            if db in wanted and schema not in ("information_schema", "pg_catalog")
        ]

    def _explain(self, cur: duckdb.DuckDBPyConnection, exc: duckdb.Error, duck_sql: str) -> str:
        """DuckDB's message, or for tables it cannot find, which ones and the closest real
        tables (DuckDB's own hint names one part only, or a system view)."""
        if not isinstance(exc, duckdb.CatalogException):
            return clean_duckdb_error(exc)
        missing = []
        for parts in table_references(duck_sql)[:_PROBED]:
            try:
                cur.execute(f"DESCRIBE SELECT * FROM {qualified(parts)}").fetchall()
            except duckdb.CatalogException:
                missing.append(parts)
            except duckdb.Error:
                continue  # it exists; reading it fails for another reason
        if not missing:
            return clean_duckdb_error(exc)
        return unknown_tables(missing, self._table_names(cur), self.catalogs())

    def export_parquet(self, sql: str, path: Path, *, dialect: str = "trino") -> int:
        """Write the result of ``sql`` to the Parquet file ``path``; returns the row count.

        The file is written under a temporary name next to ``path`` and renamed into place,
        so readers never see half a file.
        """
        duck_sql = transpile_select(sql, dialect)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        copy = f"COPY ({duck_sql}) TO {_literal(str(tmp))} (FORMAT PARQUET)"
        try:
            with self._cursor() as cur:
                row = cur.execute(copy).fetchone()
            os.replace(tmp, path)
        except _SQL_ERRORS as exc:
            with self._cursor() as cur:
                message = self._explain(cur, exc, duck_sql)
            raise SqlValidationError(message) from None
        except duckdb.Error as exc:
            raise WarehouseError(f"export to {path} failed: {clean_duckdb_error(exc)}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return int(row[0]) if row else 0

    def rows(self, sql: str, *, dialect: str = "duckdb") -> list[tuple[Any, ...]]:
        """Every row of one small read-only query (the mapping dry run's counts).

        Example:
            >>> wh.rows("SELECT count(*) FROM sample.bank.customers")  # doctest: +SKIP
            [(20,)]
        """
        duck_sql = transpile_select(sql, dialect)
        with self._cursor() as cur:
            try:
                return cur.execute(duck_sql).fetchall()
            except _SQL_ERRORS as exc:
                raise SqlValidationError(self._explain(cur, exc, duck_sql)) from None
            except duckdb.Error as exc:
                raise WarehouseError(f"the query failed: {clean_duckdb_error(exc)}") from None

    def metadata(self) -> list[TableMeta]:
        """Every table and view of the attached catalogs, sorted by catalog, schema, name."""
        with self._cursor() as cur:
            tables = self._tables(cur)
            columns = cur.execute(_COLUMNS_SQL).fetchall()
        by_table: dict[tuple[str, str, str], list[ColumnMeta]] = {}
        for db, schema, table, col, dtype, index, nullable in columns:
            meta = ColumnMeta(str(col), str(dtype), int(index), bool(nullable))
            by_table.setdefault((db, schema, table), []).append(meta)
        out = [
            TableMeta(db, schema, table, kind, tuple(by_table.get((db, schema, table), ())))
            for db, schema, table, kind in tables
        ]
        return sorted_tables(out)

    def ping(self) -> float:
        """Seconds taken to run ``SELECT 1``."""
        start = time.perf_counter()
        with self._cursor() as cur:
            cur.execute("SELECT 1").fetchall()
        return time.perf_counter() - start

    def close(self) -> None:
        """Close the connection; later calls raise WarehouseError. Safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
