"""The mapping dry run: what exporting a mapping would find, without exporting anything.

For each node definition: its row count, NULL and duplicate primary keys, and values that
do not convert to their declared types (``TRY_CAST``). For each edge definition: its row
count, the same type check, and the ``from_key``/``to_key`` values that match no node of
the label they point at (dangling ends). Then an estimate of the instance's memory, disk
and load time from the row counts (:data:`COSTS`, measured on the local platform).

Every query is written in DuckDB SQL and run by the warehouse adapter
(:meth:`~graph_olap_server.warehouse.base.WarehouseAdapter.rows`), which translates it to
its own dialect. Row counts are always exact; the checks read at most ``sample_rows`` rows
of a definition whose row count is above ``sample_above``, or once ``time_budget`` seconds
have gone by, and say so (``exact: false``, ``sampled_rows``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from graph_olap_server.export.checks import EXAMPLES
from graph_olap_server.export.plan import Column, EdgePlan, ExportPlan, NodePlan, _Definition
from graph_olap_server.export.types import quote_ident
from graph_olap_server.warehouse import WarehouseAdapter

__all__ = ["COSTS", "Costs", "DryRunOptions", "dry_run", "estimate"]


@dataclasses.dataclass(frozen=True)
class Costs:
    """An instance's cost as ``base + per_node * nodes + per_edge * edges``."""

    base: float
    per_node: float
    per_edge: float

    def of(self, nodes: int, edges: int) -> float:
        return self.base + self.per_node * nodes + self.per_edge * edges


# Fitted by bench/dry_run_calibration.py on the local platform (2 cores, Python 3.11, engine
# kuzu) on 2026-12-05, from graphs of 2k/8k, 20k/20k, 200k/800k, 500k/500k and 300k/1.5M
# nodes/edges (node: INT64 key, STRING, DOUBLE; edge: DOUBLE), least squares of the relative
# error. Memory is the wrapper's resident set once running, disk its instance folder, load
# time create to running (snapshot export included).
COSTS = {
    "memory_bytes": Costs(base=2.044e8, per_node=128.4, per_edge=68.04),
    "disk_bytes": Costs(base=3.361e6, per_node=57.03, per_edge=25.02),
    "load_seconds": Costs(base=0.7274, per_node=6.721e-7, per_edge=4.368e-7),
}
CALIBRATION = (
    "local platform, 2 cores, kuzu; bench/dry_run_calibration.py on 8 sizes up to "
    "1M nodes / 5M edges, 2026-12-05"
)


@dataclasses.dataclass(frozen=True)
class DryRunOptions:
    """When the checks sample: above ``sample_above`` rows (read ``sample_rows`` of them),
    and for every definition left once ``time_budget`` seconds have gone by."""

    sample_above: int = 2_000_000
    sample_rows: int = 200_000
    time_budget: float = 20.0


def estimate(nodes: int, edges: int) -> dict[str, Any]:
    """The instance's memory, disk and load time for a graph of that size.

    Example:
        >>> e = estimate(1000, 5000)
        >>> e["memory_bytes"] > 0 and e["load_seconds"] > 0
        True
    """
    out: dict[str, Any] = {"nodes": nodes, "edges": edges, "calibration": CALIBRATION}
    for name, costs in COSTS.items():
        value = costs.of(nodes, edges)
        out[name] = round(value, 2) if name == "load_seconds" else int(value)
    return out


class _Run:
    """One dry run: the warehouse, the options and the clock."""

    def __init__(self, warehouse: WarehouseAdapter, options: DryRunOptions) -> None:
        self.warehouse = warehouse
        self.options = options
        self.started = time.monotonic()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.warehouse.rows(sql, dialect="duckdb")

    def scalar(self, sql: str) -> int:
        return int(self.rows(sql)[0][0] or 0)

    def source(self, definition: _Definition) -> str:
        return str(self.warehouse.to_duckdb_sql(definition.sql))

    def sampled(self, row_count: int) -> bool:
        over_budget = time.monotonic() - self.started > self.options.time_budget
        return row_count > self.options.sample_above or (
            over_budget and row_count > self.options.sample_rows
        )


def _type_errors(run: _Run, base: str, columns: Sequence[Column]) -> list[dict[str, Any]]:
    """Per column whose values do not all convert to the declared type: count, examples."""
    if not columns:
        return []

    def bad(c: Column) -> str:
        col = f"_src.{quote_ident(c.name)}"
        return f"{col} IS NOT NULL AND TRY_CAST({col} AS {c.duck_type}) IS NULL"

    counts = run.rows(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {bad(c)})" for c in columns)
        + f" FROM ({base}) AS _src"
    )[0]
    out = []
    for column, count in zip(columns, counts, strict=True):
        if count:
            col = f"_src.{quote_ident(column.name)}"
            values = run.rows(
                f"SELECT DISTINCT CAST({col} AS VARCHAR) AS v FROM ({base}) AS _src "
                f"WHERE {bad(column)} ORDER BY v LIMIT {EXAMPLES}"
            )
            out.append(
                {
                    "column": column.name,
                    "type": column.graph_type,
                    "count": int(count),
                    "examples": [str(v[0]) for v in values],
                }
            )
    return out


def _keys(run: _Run, node: NodePlan, base: str) -> dict[str, Any]:
    pk = f"_src.{quote_ident(node.primary_key.name)}"
    nulls = run.scalar(f"SELECT count(*) FROM ({base}) AS _src WHERE {pk} IS NULL")
    dups = run.rows(
        f"SELECT CAST({pk} AS VARCHAR) AS k, count(*) AS n, count(*) OVER () AS keys "
        f"FROM ({base}) AS _src WHERE {pk} IS NOT NULL GROUP BY {pk} HAVING count(*) > 1 "
        f"ORDER BY n DESC, k LIMIT {EXAMPLES}"
    )
    return {
        "null_keys": nulls,
        "duplicate_keys": {
            "count": int(dups[0][2]) if dups else 0,
            "examples": [{"value": str(k), "occurrences": int(n)} for k, n, _ in dups],
        },
    }


def _window(run: _Run, source: str) -> tuple[int, str, dict[str, Any]]:
    """Row count, the SQL the checks read, and how exact they are."""
    count = run.scalar(f"SELECT count(*) FROM ({source}) AS _src")
    if run.sampled(count):
        limit = run.options.sample_rows
        base = f"SELECT * FROM ({source}) AS _all LIMIT {limit}"
        return count, base, {"exact": False, "sampled_rows": min(limit, count)}
    return count, source, {"exact": True, "sampled_rows": None}


def _node(run: _Run, node: NodePlan) -> dict[str, Any]:
    started = time.monotonic()
    count, base, how = _window(run, run.source(node))
    out: dict[str, Any] = {"label": node.name, "row_count": count, **how}
    out |= _keys(run, node, base)
    out["type_errors"] = _type_errors(run, base, node.columns)
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def _dangling(run: _Run, edge: EdgePlan, base: str, plan: ExportPlan) -> list[dict[str, Any]]:
    out = []
    for end, key, label in (
        ("from", edge.from_key, edge.from_node),
        ("to", edge.to_key, edge.to_node),
    ):
        node = plan.node(label)
        pk, typ = quote_ident(node.primary_key.name), node.primary_key.duck_type
        col = f"_src.{quote_ident(key.name)}"
        missing = (
            f"FROM ({base}) AS _src WHERE NOT EXISTS (SELECT 1 FROM ({run.source(node)}) AS _n "
            f"WHERE TRY_CAST(_n.{pk} AS {typ}) = TRY_CAST({col} AS {typ}))"
        )
        edges = run.scalar(f"SELECT count(*) {missing}")
        examples: list[tuple[Any, ...]] = []
        if edges:
            examples = run.rows(
                f"SELECT CAST({col} AS VARCHAR) AS k, count(*) OVER () AS keys {missing} "
                f"GROUP BY {col} ORDER BY k NULLS FIRST LIMIT {EXAMPLES}"
            )
        out.append(
            {
                "end": end,
                "key": key.name,
                "label": label,
                "edges": edges,
                "distinct_keys": int(examples[0][1]) if examples else 0,
                "examples": ["NULL" if k is None else str(k) for k, _ in examples],
            }
        )
    return out


def _edge(run: _Run, edge: EdgePlan, plan: ExportPlan) -> dict[str, Any]:
    started = time.monotonic()
    count, base, how = _window(run, run.source(edge))
    out: dict[str, Any] = {
        "type": edge.name,
        "from_node": edge.from_node,
        "to_node": edge.to_node,
        "row_count": count,
        **how,
    }
    out["dangling"] = _dangling(run, edge, base, plan)
    out["type_errors"] = _type_errors(run, base, edge.columns)
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def _problems(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[str]:
    """One sentence per problem found, saying what to do."""
    found = []
    for n in nodes:
        where = f"node {n['label']}"
        if n["null_keys"]:
            found.append(f"{where}: {n['null_keys']} row(s) have a NULL primary key")
        dups = n["duplicate_keys"]
        if dups["count"]:
            shown = ", ".join(f"{e['value']} ({e['occurrences']}x)" for e in dups["examples"])
            found.append(f"{where}: {dups['count']} primary key value(s) repeat, e.g. {shown}")
    for e in edges:
        for d in e["dangling"]:
            if d["edges"]:
                found.append(
                    f"edge {e['type']}: {d['edges']} edge(s) have a {d['key']} matching no "
                    f"{d['label']} node, e.g. {', '.join(d['examples'])}"
                )
    for kind, items, name in (("node", nodes, "label"), ("edge", edges, "type")):
        for item in items:
            for t in item["type_errors"]:
                found.append(
                    f"{kind} {item[name]}: {t['count']} value(s) of {t['column']!r} do not "
                    f"convert to {t['type']}, e.g. {', '.join(repr(v) for v in t['examples'])}"
                )
    return found


def dry_run(
    warehouse: WarehouseAdapter, plan: ExportPlan, options: DryRunOptions
) -> dict[str, Any]:
    """Check every definition of ``plan`` on ``warehouse``; the dry run report as a dict.

    Raises SqlValidationError or WarehouseError when a query cannot run.

    Example:
        >>> report = dry_run(wh, build_plan(nodes, edges), DryRunOptions())  # doctest: +SKIP
        >>> report["nodes"][0]["duplicate_keys"]["count"]  # doctest: +SKIP
        0
    """
    run = _Run(warehouse, options)
    nodes = [_node(run, n) for n in plan.nodes]
    edges = [_edge(run, e, plan) for e in plan.edges]
    problems = _problems(nodes, edges)
    return {
        "ok": not problems,
        "problems": problems,
        "exact": all(d["exact"] for d in (*nodes, *edges)),
        "nodes": nodes,
        "edges": edges,
        "estimate": estimate(
            sum(n["row_count"] for n in nodes), sum(e["row_count"] for e in edges)
        ),
        "seconds": round(time.monotonic() - run.started, 3),
        "options": dataclasses.asdict(options),
    }
