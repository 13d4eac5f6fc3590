"""An in-memory copy of the warehouse's catalog/schema/table/column tree, for browsing.

:class:`SchemaCache` reads :meth:`Warehouse.metadata` on :meth:`SchemaCache.refresh` and swaps
in a new immutable snapshot, so readers on other threads always see one complete version.
Lookups are exact first, then case-insensitive (DuckDB identifiers ignore case). A missing
catalog, schema or table raises :class:`CacheMiss`, whose message lists what does exist and
names the closest one: first what has that very name in other catalogs or schemas
(``lesmis`` taken for a catalog: ``Did you mean warehouse.lesmis?``), else a close name.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from graph_olap_server.warehouse.base import ColumnMeta, TableMeta, WarehouseAdapter
from graph_olap_server.warehouse.names import one_of, qualified

__all__ = ["CacheMiss", "SchemaCache"]

_LISTED = 20  # names shown in a CacheMiss message


class CacheMiss(KeyError):
    """A catalog, schema or table is not in the cache; ``args[0]`` is a readable message."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "not found"


def _missing(
    kind: str, name: str, where: str, known: list[str], elsewhere: Sequence[str] = ()
) -> CacheMiss:
    """``elsewhere``: qualified names of what has exactly this name in other catalogs or
    schemas; offered before a close name in ``known``."""
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1)
    hint = f" Did you mean {next(k for k in known if k.lower() == close[0])!r}?" if close else ""
    if elsewhere:
        hint = f" Did you mean {one_of(elsewhere)}?"
    if not known:
        return CacheMiss(f"{kind} {name!r} not found{where}: there are none.{hint}")
    shown = ", ".join(known[:_LISTED]) + (
        f" (and {len(known) - _LISTED} more)" if len(known) > _LISTED else ""
    )
    plural = "catalogs" if kind == "Catalog" else f"{kind.lower()}s"
    return CacheMiss(f"{kind} {name!r} not found{where}.{hint} Known {plural}: {shown}")


def _find(mapping: dict[str, Any], name: str) -> str | None:
    if name in mapping:
        return name
    lowered = name.lower()
    return next((k for k in sorted(mapping) if k.lower() == lowered), None)


def _table_row(t: TableMeta) -> dict[str, Any]:
    return {
        "catalog_name": t.catalog_name,
        "schema_name": t.schema_name,
        "table_name": t.table_name,
        "table_type": t.table_type,
        "column_count": len(t.columns),
    }


def _column_row(t: TableMeta, c: ColumnMeta) -> dict[str, Any]:
    return {
        "catalog_name": t.catalog_name,
        "schema_name": t.schema_name,
        "table_name": t.table_name,
        "column_name": c.column_name,
        "data_type": c.data_type,
        "ordinal_position": c.ordinal_position,
        "is_nullable": c.is_nullable,
    }


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    """One complete version of the tree: catalog -> schema -> table name -> table."""

    tree: dict[str, dict[str, dict[str, TableMeta]]]
    tables: tuple[TableMeta, ...]  # sorted by (catalog, schema, table)
    column_count: int

    @classmethod
    def build(cls, catalogs: list[str], tables: list[TableMeta]) -> _Snapshot:
        tree: dict[str, dict[str, dict[str, TableMeta]]] = {c: {} for c in catalogs}
        ordered = sorted(tables, key=lambda t: (t.catalog_name, t.schema_name, t.table_name))
        for t in ordered:
            tree.setdefault(t.catalog_name, {}).setdefault(t.schema_name, {})[t.table_name] = t
        return cls(tree, tuple(ordered), sum(len(t.columns) for t in ordered))


class SchemaCache:
    """Thread-safe, in-memory warehouse metadata, refreshed on demand.

    Example:
        >>> cache = SchemaCache(warehouse)  # doctest: +SKIP
        >>> cache.tables("sample", "bank")[0]["table_name"]  # doctest: +SKIP
        'accounts'
    """

    def __init__(self, warehouse: WarehouseAdapter, *, eager: bool = True) -> None:
        """Read the warehouse now unless ``eager`` is false (then the cache starts empty)."""
        self._warehouse = warehouse
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._snap = _Snapshot.build([], [])
        self.last_refresh: datetime | None = None
        self.refresh_count = 0
        if eager:
            self.refresh()

    def refresh(self) -> dict[str, Any]:
        """Re-read the warehouse and swap the cache; the old one stays if reading fails."""
        with self._refresh_lock:
            start = time.perf_counter()
            snap = _Snapshot.build(self._warehouse.catalogs(), self._warehouse.metadata())
            with self._lock:
                self._snap = snap
                self.last_refresh = datetime.now(timezone.utc)
                self.refresh_count += 1
            return {
                "status": "completed",
                "catalogs": len(snap.tree),
                "schemas": sum(len(schemas) for schemas in snap.tree.values()),
                "tables": len(snap.tables),
                "columns": snap.column_count,
                "duration_ms": round((time.perf_counter() - start) * 1000, 3),
            }

    @staticmethod
    def _schemas_named(snap: _Snapshot, name: str) -> list[str]:
        """``catalog.schema`` of every schema called ``name`` (any case)."""
        return [
            qualified((c, s))
            for c in sorted(snap.tree)
            for s in sorted(snap.tree[c])
            if s.lower() == name.lower()
        ]

    @classmethod
    def _catalog(cls, snap: _Snapshot, catalog: str) -> str:
        found = _find(snap.tree, catalog)
        if found is None:
            named = cls._schemas_named(snap, catalog)  # a schema taken for a catalog
            raise _missing("Catalog", catalog, "", sorted(snap.tree), named)
        return found

    def _tables_of(self, snap: _Snapshot, catalog: str, schema: str) -> dict[str, TableMeta]:
        schemas = snap.tree[self._catalog(snap, catalog)]
        found = _find(schemas, schema)
        if found is None:
            named = self._schemas_named(snap, schema)  # the schema of another catalog
            raise _missing("Schema", schema, f" in catalog {catalog!r}", sorted(schemas), named)
        return schemas[found]

    def catalogs(self) -> list[dict[str, Any]]:
        """``{"catalog_name", "schema_count"}`` per catalog, sorted by name."""
        tree = self._snap.tree
        return [{"catalog_name": c, "schema_count": len(tree[c])} for c in sorted(tree)]

    def schemas(self, catalog: str) -> list[dict[str, Any]]:
        """The schemas of ``catalog`` holding at least one table or view, sorted by name."""
        snap = self._snap
        name = self._catalog(snap, catalog)
        schemas = snap.tree[name]
        return [
            {"catalog_name": name, "schema_name": s, "table_count": len(schemas[s])}
            for s in sorted(schemas)
        ]

    def tables(self, catalog: str, schema: str) -> list[dict[str, Any]]:
        """The tables and views of ``catalog.schema``, sorted by name."""
        tables = self._tables_of(self._snap, catalog, schema)
        return [_table_row(tables[name]) for name in sorted(tables)]

    def columns(self, catalog: str, schema: str, table: str) -> list[dict[str, Any]]:
        """The columns of ``catalog.schema.table`` in ordinal order."""
        tables = self._tables_of(self._snap, catalog, schema)
        found = _find(tables, table)
        if found is None:
            named = [
                qualified((t.catalog_name, t.schema_name, t.table_name))
                for t in self._snap.tables
                if t.table_name.lower() == table.lower()
            ]
            where = f" in schema {catalog}.{schema}"
            raise _missing("Table", table, where, sorted(tables), named)
        meta = tables[found]
        cols = sorted(meta.columns, key=lambda c: c.ordinal_position)
        return [_column_row(meta, c) for c in cols]

    def search_tables(self, pattern: str, limit: int) -> list[dict[str, Any]]:
        """Tables whose name starts with ``pattern`` (any case), at most ``limit`` of them."""
        prefix = pattern.lower()
        hits = (t for t in self._snap.tables if t.table_name.lower().startswith(prefix))
        return [_table_row(t) for t in itertools.islice(hits, max(limit, 0))]

    def search_columns(self, pattern: str, limit: int) -> list[dict[str, Any]]:
        """Columns whose name starts with ``pattern`` (any case), at most ``limit`` of them."""
        prefix = pattern.lower()
        hits = (
            (t, c)
            for t in self._snap.tables
            for c in sorted(t.columns, key=lambda c: c.ordinal_position)
            if c.column_name.lower().startswith(prefix)
        )
        return [_column_row(t, c) for t, c in itertools.islice(hits, max(limit, 0))]

    def stats(self) -> dict[str, Any]:
        """Counts, time of the last refresh (ISO 8601, UTC) and its age in seconds."""
        with self._lock:
            snap, last, count = self._snap, self.last_refresh, self.refresh_count
        age = (datetime.now(timezone.utc) - last).total_seconds() if last else None
        return {
            "total_catalogs": len(snap.tree),
            "total_schemas": sum(len(schemas) for schemas in snap.tree.values()),
            "total_tables": len(snap.tables),
            "total_columns": snap.column_count,
            "last_refresh": last.isoformat() if last else None,
            "cache_age_seconds": age,
            "refresh_count": count,
        }
