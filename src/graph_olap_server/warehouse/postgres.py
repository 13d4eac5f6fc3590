"""A PostgreSQL database as the warehouse, through psycopg 3.

The database is one catalog (named after it, or as configured), so mapping SQL names tables
``catalog.schema.table`` as on Trino; the catalog part is removed before PostgreSQL sees the
query (PostgreSQL has no cross-database references). Queries are written in the Trino dialect
and translated by sqlglot. Every operation opens its own read-only connection, so one object is
safe to share between threads. Exports stream rows through a server-side cursor, one batch at a
time, as Arrow into Parquet.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
from sqlglot import exp

from graph_olap_server.warehouse.base import (
    ColumnInfo,
    ColumnMeta,
    SqlValidationError,
    TableMeta,
    WarehouseError,
    sorted_tables,
)
from graph_olap_server.warehouse.names import QualifiedName
from graph_olap_server.warehouse.parquet_out import Converter, write_row_batches
from graph_olap_server.warehouse.query import parse_select, transpile_select
from graph_olap_server.warehouse.remote import RemoteWarehouse, missing_tables_message

__all__ = ["PostgresWarehouse", "postgres_type"]

BATCH_ROWS = 10_000
"""Rows fetched from the server-side cursor and written to Parquet at a time."""

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
TABLES_SQL = """
SELECT table_schema, table_name, table_type
FROM information_schema.tables
WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  AND table_schema NOT LIKE 'pg\\_%'
"""
COLUMNS_SQL = """
SELECT table_schema, table_name, column_name, data_type, ordinal_position, is_nullable,
       numeric_precision, numeric_scale
FROM information_schema.columns
WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  AND table_schema NOT LIKE 'pg\\_%'
ORDER BY table_schema, table_name, ordinal_position
"""

# PostgreSQL type name -> (DuckDB-style name shown to users, Arrow type)
_TYPES: dict[str, tuple[str, pa.DataType]] = {
    "int2": ("SMALLINT", pa.int16()),
    "int4": ("INTEGER", pa.int32()),
    "int8": ("BIGINT", pa.int64()),
    "float4": ("FLOAT", pa.float32()),
    "float8": ("DOUBLE", pa.float64()),
    "bool": ("BOOLEAN", pa.bool_()),
    "text": ("VARCHAR", pa.string()),
    "varchar": ("VARCHAR", pa.string()),
    "bpchar": ("VARCHAR", pa.string()),
    "name": ("VARCHAR", pa.string()),
    "date": ("DATE", pa.date32()),
    "time": ("TIME", pa.time64("us")),
    "timestamp": ("TIMESTAMP", pa.timestamp("us")),
    "timestamptz": ("TIMESTAMP WITH TIME ZONE", pa.timestamp("us", tz="UTC")),
    "bytea": ("BLOB", pa.binary()),
    "uuid": ("UUID", pa.string()),
    "json": ("JSON", pa.string()),
    "jsonb": ("JSON", pa.string()),
}
# information_schema.columns.data_type -> the DuckDB-style name
_SCHEMA_TYPES = {
    "smallint": "SMALLINT",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "real": "FLOAT",
    "double precision": "DOUBLE",
    "boolean": "BOOLEAN",
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "time without time zone": "TIME",
    "bytea": "BLOB",
    "uuid": "UUID",
    "json": "JSON",
    "jsonb": "JSON",
}
_CONVERT: dict[str, Converter] = {"uuid": str, "json": json.dumps, "jsonb": json.dumps}


def postgres_type(
    type_name: str, precision: int | None, scale: int | None
) -> tuple[str, pa.DataType]:
    """The DuckDB-style name and the Arrow type of a PostgreSQL result column; a type
    without an Arrow equivalent is exported as text.

    Example:
        >>> postgres_type("numeric", 12, 2)
        ('DECIMAL(12,2)', Decimal128Type(decimal128(12, 2)))
        >>> postgres_type("int8", None, None)[0]
        'BIGINT'
    """
    if type_name == "numeric":
        if precision is None:  # unconstrained numeric: as DuckDB's postgres scanner does
            return "DOUBLE", pa.float64()
        scale = scale or 0
        arrow = (
            pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
        )
        return f"DECIMAL({precision},{scale})", arrow
    return _TYPES.get(type_name, ("VARCHAR", pa.string()))


def _schema_type(data_type: str, precision: Any, scale: Any) -> str:
    if data_type == "numeric":
        return f"DECIMAL({precision},{scale})" if precision is not None else "DECIMAL"
    return _SCHEMA_TYPES.get(data_type, data_type.upper())


def _message(exc: psycopg.Error) -> str:
    """PostgreSQL's message and hint on one line."""
    diag = exc.diag
    text = diag.message_primary or str(exc).strip().splitlines()[0]
    hint = f". {diag.message_hint}" if diag.message_hint else ""
    return f"{text}{hint}"


class PostgresWarehouse(RemoteWarehouse):
    """One PostgreSQL database as the warehouse catalog ``catalog``, read-only.

    ``conninfo`` is a libpq URL or key/value string (``postgresql://user@host/db``);
    ``catalog`` defaults to the database's name.

    Example:
        >>> wh = PostgresWarehouse("postgresql://reader@db/shop")  # doctest: +SKIP
        >>> wh.describe("SELECT id FROM shop.public.customers")  # doctest: +SKIP
        [ColumnInfo(name='id', data_type='BIGINT')]
    """

    def __init__(
        self, conninfo: str, *, catalog: str | None = None, connect_timeout: float = 10
    ) -> None:
        self._conninfo = conninfo
        self._timeout = connect_timeout
        with self._connect() as conn:
            database = str(conn.info.dbname)
        self._catalog = catalog or database

    @contextlib.contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[Any]]:
        self.check_open()
        try:
            conn = psycopg.connect(self._conninfo, connect_timeout=max(1, int(self._timeout)))
        except psycopg.Error as exc:
            raise WarehouseError(
                f"cannot connect to the PostgreSQL warehouse: {_message(exc)}. Check "
                "GRAPH_OLAP_WAREHOUSE_URL (host, port, database, user) and that the server runs."
            ) from None
        try:
            conn.read_only = True  # mapping SQL can never write
            yield conn
        finally:
            conn.close()

    def catalogs(self) -> list[str]:
        """The one catalog: the database."""
        return [self._catalog]

    def _postgres_sql(self, sql: str, dialect: str) -> str:
        """``sql`` in PostgreSQL, tables of this catalog named without it."""
        tree = parse_select(sql, dialect)
        for table in tree.find_all(exp.Table):
            if table.catalog and table.catalog.lower() == self._catalog.lower():
                table.set("catalog", None)
        return tree.sql(dialect="postgres")

    def to_duckdb_sql(self, sql: str, *, dialect: str = "trino") -> str:
        """``sql`` transpiled to DuckDB (the export wraps it in DuckDB casts, then
        :meth:`export_parquet` translates the whole to PostgreSQL)."""
        return transpile_select(sql, dialect)

    def _explain(self, exc: psycopg.Error, sql: str, dialect: str) -> str:
        """PostgreSQL's message, or for tables it cannot find, the closest real ones."""
        if isinstance(
            exc,
            (
                psycopg.errors.UndefinedTable,
                psycopg.errors.InvalidSchemaName,
                psycopg.errors.FeatureNotSupported,
            ),
        ):
            try:
                found = missing_tables_message(
                    transpile_select(sql, dialect),
                    self.table_names(),
                    self.catalogs(),
                    (self._catalog, "public"),  # the search path's usual schema
                )
            except WarehouseError:
                found = None
            if found:
                return found
        return _message(exc)

    def describe(self, sql: str, *, dialect: str = "trino") -> list[ColumnInfo]:
        """Result columns of ``sql``, from a ``LIMIT 0`` run (PostgreSQL plans the query and
        returns no row).

        Example:
            >>> wh.describe("SELECT nmae FROM shop.public.customers")  # doctest: +SKIP
            SqlValidationError: column "nmae" does not exist Hint: Perhaps you meant to
            reference the column "customers.name".
        """
        pg_sql = self._postgres_sql(sql, dialect)
        with self._connect() as conn, conn.cursor() as cur:
            try:
                cur.execute(f"SELECT * FROM ({pg_sql}) AS _q LIMIT 0")
            except psycopg.Error as exc:
                raise SqlValidationError(self._explain(exc, sql, dialect)) from None
            columns = self._columns(conn, cur.description or [])
        return [ColumnInfo(name, shown) for name, shown, _arrow, _conv in columns]

    @staticmethod
    def _columns(
        conn: psycopg.Connection[Any], description: Sequence[psycopg.Column]
    ) -> list[tuple[str, str, pa.DataType, Converter | None]]:
        out = []
        for col in description:
            info = conn.adapters.types.get(col.type_code)
            name = info.name if info is not None else "unknown"
            shown, arrow = postgres_type(name, col.precision, col.scale)
            known = name in _TYPES or name == "numeric"
            convert = _CONVERT.get(name) if known else str  # exported as its text form
            out.append((col.name, shown, arrow, convert))
        return out

    def table_names(self) -> list[QualifiedName]:
        """Every table and view as ``(catalog, schema, table)``, sorted."""
        return sorted((t.catalog_name, t.schema_name, t.table_name) for t in self._tables_only())

    def _tables_only(self) -> list[TableMeta]:
        with self._connect() as conn:
            rows = conn.execute(TABLES_SQL).fetchall()
        return [TableMeta(self._catalog, str(s), str(t), _kind(k), ()) for s, t, k in rows]

    def metadata(self) -> list[TableMeta]:
        """Every table and view of the database's schemas (not the system ones)."""
        with self._connect() as conn:
            tables = conn.execute(TABLES_SQL).fetchall()
            columns = conn.execute(COLUMNS_SQL).fetchall()
        by_table: dict[tuple[str, str], list[ColumnMeta]] = {}
        for schema, table, col, dtype, position, nullable, precision, scale in columns:
            meta = ColumnMeta(
                str(col),
                _schema_type(str(dtype), precision, scale),
                int(position),
                str(nullable).upper() == "YES",
            )
            by_table.setdefault((str(schema), str(table)), []).append(meta)
        return sorted_tables(
            [
                TableMeta(
                    self._catalog,
                    str(s),
                    str(t),
                    _kind(k),
                    tuple(by_table.get((str(s), str(t)), ())),
                )
                for s, t, k in tables
            ]
        )

    def export_parquet(self, sql: str, path: Path, *, dialect: str = "trino") -> int:
        """Run ``sql`` and stream its rows, ``BATCH_ROWS`` at a time through a server-side
        cursor, into the Parquet file ``path``; returns the row count."""
        pg_sql = self._postgres_sql(sql, dialect)
        try:
            with (
                self._connect() as conn,
                conn.transaction(),
                conn.cursor(name="graph_olap_export") as cur,
            ):
                cur.itersize = BATCH_ROWS
                cur.execute(pg_sql)
                columns = self._columns(conn, cur.description or [])
                schema = pa.schema([(name, arrow) for name, _s, arrow, _c in columns])

                def batches() -> Iterator[list[tuple[Any, ...]]]:
                    while rows := cur.fetchmany(BATCH_ROWS):
                        yield rows

                return write_row_batches(path, schema, batches(), [c[3] for c in columns])
        except (
            psycopg.errors.SyntaxError,
            psycopg.errors.UndefinedTable,
            psycopg.errors.UndefinedColumn,
            psycopg.errors.InvalidSchemaName,
            psycopg.errors.UndefinedFunction,
            psycopg.errors.FeatureNotSupported,
        ) as exc:
            raise SqlValidationError(self._explain(exc, sql, dialect)) from None
        except psycopg.Error as exc:
            raise WarehouseError(f"export to {path} failed: {_message(exc)}") from None
        except (pa.ArrowException, OSError) as exc:
            raise WarehouseError(f"export to {path} failed: {exc}") from None

    def rows(self, sql: str, *, dialect: str = "duckdb") -> list[tuple[Any, ...]]:
        """Every row of one small read-only query, translated to PostgreSQL.

        Example:
            >>> pg.rows("SELECT count(*) FROM bank.public.customers")  # doctest: +SKIP
            [(20,)]
        """
        pg_sql = self._postgres_sql(sql, dialect)
        with self._connect() as conn, conn.cursor() as cur:
            try:
                cur.execute(pg_sql)
                return [tuple(r) for r in cur.fetchall()]
            except psycopg.Error as exc:
                raise SqlValidationError(self._explain(exc, sql, dialect)) from None

    def ping(self) -> float:
        """Seconds taken to connect and run ``SELECT 1``."""
        start = time.perf_counter()
        with self._connect() as conn:
            conn.execute("SELECT 1").fetchall()
        return time.perf_counter() - start


def _kind(table_type: object) -> str:
    return "VIEW" if str(table_type).upper() == "VIEW" else "BASE TABLE"
