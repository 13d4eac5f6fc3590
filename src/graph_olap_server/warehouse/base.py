"""What every warehouse adapter offers: schema browsing, query validation and export.

The platform talks to its warehouse through :class:`WarehouseAdapter` only. Three adapters
implement it: the embedded DuckDB :class:`~graph_olap_server.warehouse.duck.Warehouse` (the
default), :class:`~graph_olap_server.warehouse.postgres.PostgresWarehouse` and
:class:`~graph_olap_server.warehouse.trino.TrinoWarehouse`. Mapping SQL is written in the Trino
dialect and names tables ``catalog.schema.table``; each adapter translates it with sqlglot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "ColumnInfo",
    "ColumnMeta",
    "SqlValidationError",
    "TableMeta",
    "WarehouseAdapter",
    "WarehouseError",
]


class WarehouseError(Exception):
    """A warehouse source cannot be used, or a warehouse operation failed."""


class SqlValidationError(WarehouseError):
    """The SQL is not one valid read-only query over the warehouse; the message says why."""


@dataclasses.dataclass(frozen=True)
class ColumnInfo:
    """One result column of a query: its name and DuckDB type (``"DECIMAL(12,2)"``)."""

    name: str
    data_type: str


@dataclasses.dataclass(frozen=True)
class ColumnMeta:
    """One column of a warehouse table or view; ``ordinal_position`` starts at 1."""

    column_name: str
    data_type: str
    ordinal_position: int
    is_nullable: bool


@dataclasses.dataclass(frozen=True)
class TableMeta:
    """One table (``"BASE TABLE"``) or view (``"VIEW"``) with its columns in order."""

    catalog_name: str
    schema_name: str
    table_name: str
    table_type: str
    columns: tuple[ColumnMeta, ...]


class WarehouseAdapter(Protocol):
    """One warehouse, shared by the API server's threads.

    ``dialect`` is the sqlglot dialect the SQL is written in: ``"trino"`` for mapping SQL,
    ``"duckdb"`` for the export's casting wrapper (see :meth:`to_duckdb_sql`).

    Example:
        >>> def columns(wh: WarehouseAdapter) -> list[str]:
        ...     return [c.name for c in wh.describe("SELECT 1 AS one")]
    """

    def catalogs(self) -> list[str]:
        """Names of the catalogs mapping SQL may read, sorted."""
        ...

    def to_duckdb_sql(self, sql: str, *, dialect: str = "trino") -> str:
        """``sql`` as DuckDB SQL (the export wraps it in DuckDB casts); SqlValidationError
        unless it is one read-only SELECT query."""
        ...

    def describe(self, sql: str, *, dialect: str = "trino") -> list[ColumnInfo]:
        """Result columns of ``sql`` without running it; SqlValidationError with a hint."""
        ...

    def table_names(self) -> list[tuple[str, str, str]]:
        """Every table and view as ``(catalog, schema, table)``, sorted."""
        ...

    def metadata(self) -> list[TableMeta]:
        """Every table and view with its columns, sorted by catalog, schema, name."""
        ...

    def export_parquet(self, sql: str, path: Path, *, dialect: str = "trino") -> int:
        """Write the result of ``sql`` to the Parquet file ``path`` (atomically); returns
        the row count."""
        ...

    def rows(self, sql: str, *, dialect: str = "duckdb") -> list[tuple[Any, ...]]:
        """Every row of one small read-only query (counts and examples of the mapping dry
        run), translated from ``dialect``; SqlValidationError or WarehouseError."""
        ...

    def ping(self) -> float:
        """Seconds taken to run ``SELECT 1``."""
        ...

    def close(self) -> None:
        """Release connections; safe to call twice."""
        ...


def sorted_tables(tables: Sequence[TableMeta]) -> list[TableMeta]:
    """``tables`` sorted by catalog, schema and name.

    Example:
        >>> b, a = TableMeta("c", "s", "b", "VIEW", ()), TableMeta("c", "s", "a", "VIEW", ())
        >>> [t.table_name for t in sorted_tables([b, a])]
        ['a', 'b']
    """
    return sorted(tables, key=lambda t: (t.catalog_name, t.schema_name, t.table_name))
