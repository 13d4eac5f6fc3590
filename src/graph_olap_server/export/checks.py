"""Checks of exported Parquet files, in DuckDB, before a snapshot is ready.

Each check raises :class:`ExportFailure` with a message naming the definition and up to
five offending keys: NULL primary keys, duplicate primary keys, and edges whose
``from_key``/``to_key`` has no node of the label it points at (an anti-join against the
node file). :func:`diagnose_cast` explains a failed export: which column could not be
converted to its declared type, with example values.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import duckdb

from graph_olap_server.export.plan import EdgePlan, NodePlan, _Definition
from graph_olap_server.export.types import quote_ident, sql_literal
from graph_olap_server.warehouse import WarehouseAdapter, WarehouseError
from graph_olap_server.warehouse.duck import clean_duckdb_error

__all__ = [
    "EXAMPLES",
    "ExportFailure",
    "FileChecker",
    "diagnose_cast",
    "failure_text",
    "show_values",
]

EXAMPLES = 5
"""How many offending keys or values a message shows."""


class ExportFailure(Exception):
    """The export of a snapshot cannot complete; the message is for the user."""


def show_values(values: list[Any]) -> str:
    """``17, 'abc', NULL``: values as they would be written in SQL."""
    return ", ".join(
        "NULL" if v is None else repr(v) if isinstance(v, str) else str(v) for v in values
    )


def _read(path: Path) -> str:
    return f"read_parquet({sql_literal(path.as_posix())})"


class FileChecker:
    """A private DuckDB connection that reads only the files of one snapshot folder."""

    def __init__(self, folder: Path, *, threads: int | None = None) -> None:
        self._con = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        allowed = sql_literal(f"{folder.resolve().as_posix().rstrip('/')}/")
        self._con.execute(f"SET allowed_directories=[{allowed}]")
        self._con.execute("SET enable_external_access=false")
        if threads:
            self._con.execute(f"SET threads={int(threads)}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of one query over the snapshot's files."""
        with self._lock:
            return self._con.execute(sql).fetchall()

    def count(self, path: Path) -> int:
        return int(self.rows(f"SELECT count(*) FROM {_read(path)}")[0][0])

    def check_node(self, node: NodePlan, path: Path) -> None:
        """Every primary key present and unique."""
        pk = quote_ident(node.primary_key.name)
        source = _read(path)
        nulls = int(self.rows(f"SELECT count(*) FROM {source} WHERE {pk} IS NULL")[0][0])
        if nulls:
            others = [quote_ident(c.name) for c in node.columns[1:4]]
            example = ""
            if others:
                rows = self.rows(
                    f"SELECT {', '.join(others)} FROM {source} WHERE {pk} IS NULL LIMIT {EXAMPLES}"
                )
                names = [c.name for c in node.columns[1:4]]
                shown = "; ".join(
                    ", ".join(f"{n}={show_values([v])}" for n, v in zip(names, r, strict=True))
                    for r in rows
                )
                example = f" (e.g. rows with {shown})"
            raise ExportFailure(
                f"{node.where}: {nulls} row(s) have a NULL primary key "
                f"{node.primary_key.name!r}{example}. Every node needs a key: filter them out "
                f"in the SQL (WHERE {node.primary_key.name} IS NOT NULL) or fix the data."
            )
        dups = self.rows(
            f"SELECT {pk}, count(*) AS n, count(*) OVER () AS keys FROM {source} "
            f"GROUP BY {pk} HAVING count(*) > 1 ORDER BY n DESC, {pk} LIMIT {EXAMPLES}"
        )
        if dups:
            shown = ", ".join(f"{show_values([k])} ({n} times)" for k, n, _ in dups)
            raise ExportFailure(
                f"{node.where}: {dups[0][2]} value(s) of the primary key "
                f"{node.primary_key.name!r} occur more than once, e.g. {shown}. Each node "
                "needs a unique key: remove the duplicates in the SQL (SELECT DISTINCT or "
                "GROUP BY) or choose another primary key."
            )

    def check_edge(
        self, edge: EdgePlan, path: Path, nodes: dict[str, tuple[NodePlan, Path]]
    ) -> None:
        """Every ``from_key``/``to_key`` matches a node of ``from_node``/``to_node``."""
        for key, label in ((edge.from_key, edge.from_node), (edge.to_key, edge.to_node)):
            node, node_path = nodes[label]
            col, pk = quote_ident(key.name), quote_ident(node.primary_key.name)
            rows = self.rows(
                f"SELECT e.{col}, count(*) OVER () AS missing FROM {_read(path)} AS e "
                f"ANTI JOIN {_read(node_path)} AS n ON e.{col} = n.{pk} "
                f"GROUP BY e.{col} ORDER BY e.{col} NULLS FIRST LIMIT {EXAMPLES}"
            )
            if rows:
                edges = int(
                    self.rows(
                        f"SELECT count(*) FROM {_read(path)} AS e ANTI JOIN {_read(node_path)} "
                        f"AS n ON e.{col} = n.{pk}"
                    )[0][0]
                )
                raise ExportFailure(
                    f"{edge.where}: {edges} edge(s) have a {key.name!r} that matches no "
                    f"{label} node ({rows[0][1]} distinct value(s), e.g. "
                    f"{show_values([r[0] for r in rows])}). Every edge must join two nodes "
                    f"of the mapping: filter those rows out in the edge SQL (e.g. JOIN the "
                    f"{label} table) or include the missing {label} nodes."
                )

    def interrupt(self) -> None:
        """Stop the query running now (it raises in its thread)."""
        self._con.interrupt()

    def close(self) -> None:
        self._con.close()


def _probe(warehouse: WarehouseAdapter, checker: FileChecker, sql: str, folder: Path) -> list[Any]:
    tmp = folder / f".probe-{uuid.uuid4().hex[:12]}.parquet"
    try:
        warehouse.export_parquet(sql, tmp, dialect="duckdb")
        return checker.rows(f"SELECT * FROM {_read(tmp)}")
    finally:
        tmp.unlink(missing_ok=True)


def diagnose_cast(
    warehouse: WarehouseAdapter,
    checker: FileChecker,
    definition: _Definition,
    source_sql: str,
    folder: Path,
    duckdb_message: str,
) -> str | None:
    """``column 'age' cannot be converted to INT64: <DuckDB message> (2 row(s), e.g.
    'abc')`` for the first column whose values do not convert to the declared type;
    None when every value converts (the failure has another cause)."""
    bad = [
        f"count(*) FILTER (WHERE _src.{quote_ident(c.name)} IS NOT NULL AND "
        f"TRY_CAST(_src.{quote_ident(c.name)} AS {c.duck_type}) IS NULL)"
        for c in definition.columns
    ]
    try:
        counts = _probe(
            warehouse, checker, f"SELECT {', '.join(bad)} FROM ({source_sql}) AS _src", folder
        )[0]
        index = next((i for i, n in enumerate(counts) if n), None)
        if index is None:
            return None
        column = definition.columns[index]
        col = f"_src.{quote_ident(column.name)}"
        values = _probe(
            warehouse,
            checker,
            f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM ({source_sql}) AS _src "
            f"WHERE {col} IS NOT NULL AND TRY_CAST({col} AS {column.duck_type}) IS NULL "
            f"LIMIT {EXAMPLES}",
            folder,
        )
    except (WarehouseError, duckdb.Error):
        return None
    return (
        f"column {column.name!r} cannot be converted to {column.graph_type}: "
        f"{duckdb_message} ({counts[index]} row(s), e.g. "
        f"{show_values([v[0] for v in values])}). Fix the data, convert it in the SQL "
        "(e.g. TRY_CAST), or declare another type in the mapping"
    )


def failure_text(err: BaseException) -> str:
    """An export error as one clean line."""
    if isinstance(err, duckdb.Error):
        return clean_duckdb_error(err)
    return " ".join(str(err).split()) or type(err).__name__
