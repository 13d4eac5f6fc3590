"""Starburst/Trino as the warehouse, through the ``trino`` DB-API client.

Catalogs come from ``SHOW CATALOGS`` (``system`` left out, or the configured list), schemas,
tables and columns from each catalog's ``information_schema``; a mapping's SQL is validated
with ``EXPLAIN (TYPE VALIDATE)`` and described by a ``LIMIT 0`` run; an export fetches the rows
in batches and writes them as Arrow record batches into Parquet. Mapping SQL is already in
the Trino dialect; the export's casting wrapper (DuckDB SQL) is translated by sqlglot.

The ``trino`` package is imported only when a connection is opened (it is an optional extra);
``connect`` can be any callable returning a DB-API connection (tests pass a stand-in).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

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
from graph_olap_server.warehouse.query import transpile_select
from graph_olap_server.warehouse.remote import RemoteWarehouse, missing_tables_message

__all__ = ["TrinoWarehouse", "trino_type"]

BATCH_ROWS = 10_000
"""Rows fetched (``fetchmany``) and written to Parquet at a time."""

SHOW_CATALOGS_SQL = "SHOW CATALOGS"
_MISSING = frozenset(
    {
        "TABLE_NOT_FOUND",
        "SCHEMA_NOT_FOUND",
        "CATALOG_NOT_FOUND",
        "MISSING_CATALOG_NAME",
        "MISSING_SCHEMA_NAME",
    }
)
_SIMPLE: dict[str, tuple[str, pa.DataType]] = {
    "boolean": ("BOOLEAN", pa.bool_()),
    "tinyint": ("TINYINT", pa.int8()),
    "smallint": ("SMALLINT", pa.int16()),
    "integer": ("INTEGER", pa.int32()),
    "bigint": ("BIGINT", pa.int64()),
    "real": ("FLOAT", pa.float32()),
    "double": ("DOUBLE", pa.float64()),
    "varchar": ("VARCHAR", pa.string()),
    "char": ("VARCHAR", pa.string()),
    "date": ("DATE", pa.date32()),
    "varbinary": ("BLOB", pa.binary()),
    "uuid": ("UUID", pa.string()),
    "json": ("JSON", pa.string()),
}
_CONVERT: dict[str, Converter] = {
    "uuid": str,
    "json": lambda v: v if isinstance(v, str) else json.dumps(v),
}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def trino_type(type_name: str) -> tuple[str, pa.DataType, Converter | None]:
    """The DuckDB-style name, Arrow type and value converter of a Trino result column type
    (as the client's ``cursor.description`` gives it); other types are exported as text.

    Example:
        >>> trino_type("decimal(12, 2)")[:2]
        ('DECIMAL(12,2)', Decimal128Type(decimal128(12, 2)))
        >>> trino_type("timestamp(3) with time zone")[0]
        'TIMESTAMP WITH TIME ZONE'
    """
    name = type_name.strip().lower()
    found = _DECIMAL.match(name)
    if found:
        p, s = int(found.group(1)), int(found.group(2))
        return f"DECIMAL({p},{s})", pa.decimal128(p, s), None
    if name.startswith("timestamp"):
        if name.endswith("with time zone"):
            return "TIMESTAMP WITH TIME ZONE", pa.timestamp("us", tz="UTC"), None
        return "TIMESTAMP", pa.timestamp("us"), None
    base = name.split("(", 1)[0]
    if base in _SIMPLE:
        shown, arrow = _SIMPLE[base]
        return shown, arrow, _CONVERT.get(base)
    return "VARCHAR", pa.string(), str


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def tables_sql(catalog: str) -> str:
    """The query listing ``catalog``'s tables and views.

    Example:
        >>> tables_sql("hive").split(" FROM ")[1].split()[0]
        '"hive".information_schema.tables'
    """
    return (
        "SELECT table_schema, table_name, table_type "
        f"FROM {_quote(catalog)}.information_schema.tables "
        "WHERE table_schema <> 'information_schema'"
    )


def columns_sql(catalog: str) -> str:
    """The query listing the columns of ``catalog``'s tables and views, in order."""
    return (
        "SELECT table_schema, table_name, column_name, data_type, ordinal_position, is_nullable "
        f"FROM {_quote(catalog)}.information_schema.columns "
        "WHERE table_schema <> 'information_schema' "
        "ORDER BY table_schema, table_name, ordinal_position"
    )


def _user_error(exc: BaseException) -> tuple[str, str] | None:
    """``(error_name, message)`` of a Trino query error (the query was wrong), else None."""
    name = getattr(exc, "error_name", None)
    message = getattr(exc, "message", None)
    if getattr(exc, "error_type", None) != "USER_ERROR" or not name:
        return None
    text = re.sub(r"^line \d+:\d+: ", "", str(message or exc))
    return str(name), text


class TrinoWarehouse(RemoteWarehouse):
    """A Trino or Starburst cluster as the warehouse; safe to share between threads (each
    operation opens its own connection).

    Example:
        >>> connect = lambda: trino.dbapi.connect(host="trino", user="me")  # doctest: +SKIP
        >>> wh = TrinoWarehouse(connect)  # doctest: +SKIP
        >>> wh.catalogs()  # doctest: +SKIP
        ['hive', 'iceberg']
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        catalogs: Sequence[str] = (),
        session: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """``catalogs``: those to browse (empty: all but ``system``); ``session``: the
        connection's catalog and schema, which complete shorter table names."""
        self._connect_fn = connect
        self._only = tuple(catalogs)
        self._session = session

    def _connection(self) -> Any:
        self.check_open()
        try:
            return self._connect_fn()
        except Exception as exc:
            raise WarehouseError(
                f"cannot connect to the Trino warehouse: {exc}. Check GRAPH_OLAP_WAREHOUSE_URL "
                "(host, port, user) and that the cluster is up."
            ) from None

    def _query(self, sql: str) -> tuple[list[Any], Any]:
        """All rows of ``sql`` and the cursor's description; WarehouseError on failure."""
        conn = self._connection()
        try:
            cur = conn.cursor()
            cur.execute(sql)
            rows = cur.fetchall()
            return list(rows), cur.description
        finally:
            conn.close()

    def catalogs(self) -> list[str]:
        """The configured catalogs, else every catalog but ``system``, sorted."""
        if self._only:
            return sorted(self._only)
        rows, _ = self._checked(SHOW_CATALOGS_SQL)
        return sorted(str(r[0]) for r in rows if str(r[0]) != "system")

    def _checked(self, sql: str) -> tuple[list[Any], Any]:
        try:
            return self._query(sql)
        except WarehouseError:
            raise
        except Exception as exc:
            raise WarehouseError(f"the Trino warehouse failed to answer: {exc}") from None

    def to_duckdb_sql(self, sql: str, *, dialect: str = "trino") -> str:
        """``sql`` transpiled to DuckDB (the export wraps it in DuckDB casts, then
        :meth:`export_parquet` translates the whole back to Trino)."""
        return transpile_select(sql, dialect)

    def _explain(self, exc: BaseException, sql: str, dialect: str) -> str | None:
        """The message for a wrong query, with the closest tables for a missing one;
        None when ``exc`` is not the query's fault."""
        found = _user_error(exc)
        if found is None:
            return None
        name, text = found
        if name in _MISSING:
            try:
                hint = missing_tables_message(
                    transpile_select(sql, dialect),
                    self.table_names(),
                    self.catalogs(),
                    self._session,
                )
            except WarehouseError:
                hint = None
            if hint:
                return hint
        return text

    def describe(self, sql: str, *, dialect: str = "trino") -> list[ColumnInfo]:
        """Validate ``sql`` with ``EXPLAIN (TYPE VALIDATE)``, then read its columns from a
        ``LIMIT 0`` run."""
        trino_sql = transpile_select(sql, dialect, "trino")
        try:
            self._query(f"EXPLAIN (TYPE VALIDATE) {trino_sql}")
            _rows, description = self._query(f"SELECT * FROM ({trino_sql}) AS _q LIMIT 0")
        except WarehouseError:
            raise
        except Exception as exc:
            message = self._explain(exc, sql, dialect)
            if message is None:
                raise WarehouseError(f"the Trino warehouse failed to validate: {exc}") from None
            raise SqlValidationError(message) from None
        return [ColumnInfo(str(d[0]), trino_type(str(d[1]))[0]) for d in description or ()]

    def table_names(self) -> list[QualifiedName]:
        """Every table and view as ``(catalog, schema, table)``, sorted."""
        return sorted(
            (c, str(s), str(t))
            for c in self.catalogs()
            for s, t, _k in self._checked(tables_sql(c))[0]
        )

    def metadata(self) -> list[TableMeta]:
        """Every table and view of the catalogs, with their columns."""
        out: list[TableMeta] = []
        for catalog in self.catalogs():
            tables, _ = self._checked(tables_sql(catalog))
            columns, _ = self._checked(columns_sql(catalog))
            by_table: dict[tuple[str, str], list[ColumnMeta]] = {}
            for schema, table, col, dtype, position, nullable in columns:
                meta = ColumnMeta(
                    str(col),
                    trino_type(str(dtype))[0],
                    int(position),
                    str(nullable).upper() == "YES",
                )
                by_table.setdefault((str(schema), str(table)), []).append(meta)
            for schema, table, kind in tables:
                key = (str(schema), str(table))
                view = "VIEW" if str(kind).upper() == "VIEW" else "BASE TABLE"
                out.append(TableMeta(catalog, key[0], key[1], view, tuple(by_table.get(key, ()))))
        return sorted_tables(out)

    def export_parquet(self, sql: str, path: Path, *, dialect: str = "trino") -> int:
        """Run ``sql`` and write its rows, fetched ``BATCH_ROWS`` at a time, as Arrow record
        batches into the Parquet file ``path``; returns the row count."""
        trino_sql = transpile_select(sql, dialect, "trino")
        conn = self._connection()
        try:
            cur = conn.cursor()
            cur.execute(trino_sql)
            first = cur.fetchmany(BATCH_ROWS)  # the client knows the columns once rows flow
            types = [trino_type(str(d[1])) for d in cur.description or ()]
            schema = pa.schema(
                [(str(d[0]), t[1]) for d, t in zip(cur.description or (), types, strict=True)]
            )

            def batches() -> Iterator[list[Any]]:
                rows = first
                while rows:
                    yield rows
                    rows = cur.fetchmany(BATCH_ROWS)

            return write_row_batches(path, schema, batches(), [t[2] for t in types])
        except (pa.ArrowException, OSError) as exc:
            raise WarehouseError(f"export to {path} failed: {exc}") from None
        except Exception as exc:
            message = self._explain(exc, sql, dialect)
            if message is not None:
                raise SqlValidationError(message) from None
            raise WarehouseError(f"export to {path} failed: {exc}") from None
        finally:
            conn.close()

    def rows(self, sql: str, *, dialect: str = "duckdb") -> list[tuple[Any, ...]]:
        """Every row of one small read-only query, translated to Trino.

        Example:
            >>> trino.rows("SELECT count(*) FROM hive.bank.customers")  # doctest: +SKIP
            [(20,)]
        """
        rows, _ = self._checked(transpile_select(sql, dialect, "trino"))
        return [tuple(r) for r in rows]

    def ping(self) -> float:
        """Seconds taken to run ``SELECT 1``."""
        start = time.perf_counter()
        self._checked("SELECT 1")
        return time.perf_counter() - start
