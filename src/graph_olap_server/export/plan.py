"""What exporting one mapping version means: a file, columns and steps per definition.

An :class:`ExportPlan` is built from the stored definitions of a mapping version. Node
files hold the primary key column, then the properties; edge files the ``from_key``
column, the ``to_key`` column, then the properties. Edge key columns take the type of
the primary key of the node label they point at. Steps run in the order listed: each
definition's export is followed by its check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from graph_olap_server.export.types import duckdb_type, normalize_type, quote_ident

__all__ = ["Column", "EdgePlan", "ExportPlan", "NodePlan", "build_plan"]

MANIFEST_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class Column:
    """One output column: its name, declared graph type and the DuckDB type cast to."""

    name: str
    graph_type: str
    duck_type: str

    def public(self) -> dict[str, str]:
        return {"name": self.name, "type": self.graph_type}


@dataclasses.dataclass(frozen=True)
class _Definition:
    kind: str  # node | edge
    index: int
    name: str  # label or relationship type
    sql: str
    columns: tuple[Column, ...]

    @property
    def where(self) -> str:
        """How messages name it: ``node_definitions[0] (Customer)``."""
        return f"{self.kind}_definitions[{self.index}] ({self.name})"

    @property
    def file(self) -> str:
        """Path of its Parquet file inside the snapshot folder."""
        return f"{self.kind}s/{self.name}.parquet"

    @property
    def step(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def check_step(self) -> str:
        return f"check:{self.name}"

    def select_sql(self, source_sql: str) -> str:
        """DuckDB SQL casting each column of ``source_sql`` to its declared type."""
        casts = ", ".join(
            f"CAST(_src.{quote_ident(c.name)} AS {c.duck_type}) AS {quote_ident(c.name)}"
            for c in self.columns
        )
        return f"SELECT {casts} FROM ({source_sql}) AS _src"


@dataclasses.dataclass(frozen=True)
class NodePlan(_Definition):
    """A node label: ``columns[0]`` is the primary key."""

    @property
    def primary_key(self) -> Column:
        return self.columns[0]

    def manifest(self, row_count: int) -> dict[str, Any]:
        return {
            "label": self.name,
            "file": self.file,
            "primary_key": self.primary_key.public(),
            "properties": [c.public() for c in self.columns[1:]],
            "row_count": row_count,
        }


@dataclasses.dataclass(frozen=True)
class EdgePlan(_Definition):
    """A relationship type: ``columns[0]``/``[1]`` are the from/to keys."""

    from_node: str = ""
    to_node: str = ""

    @property
    def from_key(self) -> Column:
        return self.columns[0]

    @property
    def to_key(self) -> Column:
        return self.columns[1]

    def manifest(self, row_count: int) -> dict[str, Any]:
        return {
            "type": self.name,
            "from_node": self.from_node,
            "to_node": self.to_node,
            "file": self.file,
            "from_key": self.from_key.name,
            "to_key": self.to_key.name,
            "properties": [c.public() for c in self.columns[2:]],
            "row_count": row_count,
        }


@dataclasses.dataclass(frozen=True)
class ExportPlan:
    """Every definition of one mapping version, in export order."""

    nodes: tuple[NodePlan, ...]
    edges: tuple[EdgePlan, ...]

    @property
    def definitions(self) -> tuple[_Definition, ...]:
        return (*self.nodes, *self.edges)

    def node(self, label: str) -> NodePlan:
        return next(n for n in self.nodes if n.name == label)

    def steps(self) -> list[tuple[str, str]]:
        """``(name, kind)`` of every step in order: each export, then its check."""
        out: list[tuple[str, str]] = []
        for d in self.definitions:
            out += [(d.step, d.kind), (d.check_step, "check")]
        return out

    def manifest(
        self, *, mapping_id: int, mapping_version: int, snapshot_id: int, counts: dict[str, int]
    ) -> dict[str, Any]:
        """The ``manifest.json`` document; ``counts`` maps step names to row counts."""
        return {
            "format_version": MANIFEST_FORMAT,
            "mapping_id": mapping_id,
            "mapping_version": mapping_version,
            "snapshot_id": snapshot_id,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "nodes": [n.manifest(counts[n.step]) for n in self.nodes],
            "edges": [e.manifest(counts[e.step]) for e in self.edges],
        }


def _column(where: str, name: str, graph_type: str) -> Column:
    try:
        return Column(name, normalize_type(graph_type), duckdb_type(graph_type))
    except ValueError as err:
        raise ValueError(f"{where}: column {name!r}: {err}") from None


def _unique(where: str, columns: list[Column]) -> tuple[Column, ...]:
    seen: set[str] = set()
    for c in columns:
        if c.name.lower() in seen:
            raise ValueError(
                f"{where}: column {c.name!r} is used twice (as a key and a property, or as "
                "both keys); the file needs distinct column names. Rename one in the SQL "
                "(e.g. SELECT id AS from_id, id AS to_id) and update the mapping."
            )
        seen.add(c.name.lower())
    return tuple(columns)


def build_plan(node_definitions: list[Any], edge_definitions: list[Any]) -> ExportPlan:
    """The plan of a mapping version's stored definitions.

    Raises ValueError (naming the definition) for definitions that cannot be exported.
    """
    nodes: list[NodePlan] = []
    for i, d in enumerate(node_definitions):
        where = f"node_definitions[{i}] ({d['label']})"
        pk = d["primary_key"]
        cols = [_column(where, pk["name"], pk.get("type", "STRING"))]
        cols += [_column(where, p["name"], p.get("type", "STRING")) for p in d["properties"]]
        nodes.append(NodePlan("node", i, d["label"], d["sql"], _unique(where, cols)))
    by_label = {n.name: n for n in nodes}
    edges: list[EdgePlan] = []
    for i, d in enumerate(edge_definitions):
        where = f"edge_definitions[{i}] ({d['type']})"
        ends = []
        for end in ("from_node", "to_node"):
            if d[end] not in by_label:
                raise ValueError(f"{where}: {end} {d[end]!r} is not a node label of the mapping")
            ends.append(by_label[d[end]].primary_key)
        cols = [
            Column(d["from_key"], ends[0].graph_type, ends[0].duck_type),
            Column(d["to_key"], ends[1].graph_type, ends[1].duck_type),
        ]
        cols += [_column(where, p["name"], p.get("type", "STRING")) for p in d["properties"]]
        edges.append(
            EdgePlan(
                "edge",
                i,
                d["type"],
                d["sql"],
                _unique(where, cols),
                from_node=d["from_node"],
                to_node=d["to_node"],
            )
        )
    return ExportPlan(tuple(nodes), tuple(edges))
