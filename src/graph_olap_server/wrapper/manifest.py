"""The snapshot manifest (``<snapshot>/manifest.json``) and the DDL it implies.

Shape (written by the control plane's exporter, see docs/design-instances.md)::

    {"mapping_id", "mapping_version", "snapshot_id",
     "nodes": [{"label", "file": "nodes/Label.parquet", "primary_key": {"name", "type"},
                "properties": [{"name", "type"}], "row_count"}],
     "edges": [{"type", "from_node", "to_node", "file": "edges/TYPE.parquet",
                "from_key", "to_key", "properties": [...], "row_count"}]}

Node files hold the primary key then the properties, edge files the from key, the to key
then the properties, in manifest order; ``COPY FROM`` matches columns by position.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from graph_olap_server.wrapper.schemas import (
    GraphProperty,
    GraphSchema,
    NodeLabelSchema,
    RelationshipTypeSchema,
)

__all__ = [
    "EdgeFile",
    "Manifest",
    "ManifestError",
    "NodeFile",
    "Property",
    "ddl_type",
    "edge_ddl",
    "graph_schema",
    "node_ddl",
    "quote",
]

# graph property type -> engine DDL type (SERIAL keys already hold their values)
_SIMPLE_TYPES = {
    "STRING": "STRING",
    "INT64": "INT64",
    "INT32": "INT32",
    "INT16": "INT16",
    "INT8": "INT8",
    "INT128": "INT128",
    "UINT64": "UINT64",
    "UINT32": "UINT32",
    "UINT16": "UINT16",
    "UINT8": "UINT8",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "BLOB": "BLOB",
    "UUID": "UUID",
    "SERIAL": "INT64",
}
_DECIMAL = re.compile(r"DECIMAL\s*\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)")


class ManifestError(ValueError):
    """The manifest is missing, unreadable or names something the engine cannot hold."""


def quote(name: str) -> str:
    """``name`` as a backtick-quoted identifier; names with backticks are refused."""
    if not name or "`" in name or any(ord(c) < 32 for c in name) or len(name) > 200:
        raise ManifestError(f"{name!r} cannot be used as a graph name")
    return f"`{name}`"


def ddl_type(graph_type: str) -> str:
    """The engine DDL type for a graph property type (``DECIMAL(12,2)`` included)."""
    upper = graph_type.strip().upper()
    if upper in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[upper]
    match = _DECIMAL.fullmatch(upper)
    if match and 1 <= int(match[1]) <= 38 and int(match[2]) <= int(match[1]):
        return f"DECIMAL({match[1]},{match[2]})"
    raise ManifestError(f"type {graph_type!r} is not a graph property type")


@dataclasses.dataclass(frozen=True)
class Property:
    name: str
    type: str

    def ddl(self) -> str:
        return f"{quote(self.name)} {ddl_type(self.type)}"


@dataclasses.dataclass(frozen=True)
class NodeFile:
    label: str
    file: Path
    primary_key: Property
    properties: tuple[Property, ...]
    row_count: int | None


@dataclasses.dataclass(frozen=True)
class EdgeFile:
    type: str
    from_node: str
    to_node: str
    file: Path
    from_key: str
    to_key: str
    properties: tuple[Property, ...]
    row_count: int | None


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A parsed manifest; ``file`` paths are absolute and inside the snapshot folder."""

    snapshot_dir: Path
    mapping_id: Any
    mapping_version: Any
    snapshot_id: Any
    nodes: tuple[NodeFile, ...]
    edges: tuple[EdgeFile, ...]

    @classmethod
    def load(cls, snapshot_dir: Path) -> Manifest:
        """Read and check ``snapshot_dir/manifest.json``."""
        path = snapshot_dir / "manifest.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ManifestError(f"{path} does not exist; the snapshot is not complete") from None
        except (OSError, ValueError) as err:
            raise ManifestError(f"{path} cannot be read: {err}") from err
        return cls.from_dict(snapshot_dir, raw)

    @classmethod
    def from_dict(cls, snapshot_dir: Path, raw: dict[str, Any]) -> Manifest:
        root = snapshot_dir.resolve()

        def file_of(entry: dict[str, Any], what: str) -> Path:
            resolved = (root / str(entry["file"])).resolve()
            if root not in resolved.parents or "'" in str(resolved):
                raise ManifestError(f"{what}: file {entry['file']!r} is outside the snapshot")
            return resolved

        def props(entry: dict[str, Any]) -> tuple[Property, ...]:
            return tuple(Property(p["name"], p["type"]) for p in entry.get("properties") or ())

        try:
            nodes = tuple(
                NodeFile(
                    label=n["label"],
                    file=file_of(n, f"node {n['label']}"),
                    primary_key=Property(n["primary_key"]["name"], n["primary_key"]["type"]),
                    properties=props(n),
                    row_count=n.get("row_count"),
                )
                for n in raw.get("nodes") or ()
            )
            edges = tuple(
                EdgeFile(
                    type=e["type"],
                    from_node=e["from_node"],
                    to_node=e["to_node"],
                    file=file_of(e, f"edge {e['type']}"),
                    from_key=e.get("from_key", ""),
                    to_key=e.get("to_key", ""),
                    properties=props(e),
                    row_count=e.get("row_count"),
                )
                for e in raw.get("edges") or ()
            )
        except (KeyError, TypeError) as err:
            raise ManifestError(f"manifest.json is malformed: missing or bad {err}") from err
        return cls(
            snapshot_dir=root,
            mapping_id=raw.get("mapping_id"),
            mapping_version=raw.get("mapping_version"),
            snapshot_id=raw.get("snapshot_id"),
            nodes=nodes,
            edges=edges,
        )

    def edge_groups(self) -> dict[str, list[EdgeFile]]:
        """Edge files by relationship type (one type may join several label pairs)."""
        groups: dict[str, list[EdgeFile]] = {}
        for edge in self.edges:
            groups.setdefault(edge.type, []).append(edge)
        return groups


def node_ddl(node: NodeFile) -> str:
    """``CREATE NODE TABLE`` for one node file (key first, then properties, file order)."""
    columns = [node.primary_key.ddl(), *(p.ddl() for p in node.properties)]
    key = quote(node.primary_key.name)
    return f"CREATE NODE TABLE {quote(node.label)}({', '.join(columns)}, PRIMARY KEY({key}))"


def edge_ddl(rel_type: str, group: list[EdgeFile]) -> str:
    """``CREATE REL TABLE`` for all edge files of one type (same properties required)."""
    first = group[0]
    for other in group[1:]:
        if [(p.name, ddl_type(p.type)) for p in other.properties] != [
            (p.name, ddl_type(p.type)) for p in first.properties
        ]:
            raise ManifestError(
                f"edge {rel_type}: {first.from_node}->{first.to_node} and "
                f"{other.from_node}->{other.to_node} declare different properties"
            )
    pairs = [f"FROM {quote(e.from_node)} TO {quote(e.to_node)}" for e in group]
    columns = [p.ddl() for p in first.properties]
    return f"CREATE REL TABLE {quote(rel_type)}({', '.join(pairs + columns)})"


def graph_schema(manifest: Manifest, counts: dict[str, int]) -> GraphSchema:
    """``GET /schema``: the manifest's labels and relationship types (one entry per edge
    file) with their ``counts`` (per label, per type; 0 if missing).

    Example:
        >>> graph_schema(manifest, {"Customer": 3}).node_labels[0].count
        3
    """

    def props(items: tuple[Property, ...]) -> list[GraphProperty]:
        return [GraphProperty(name=p.name, type=p.type) for p in items]

    return GraphSchema(
        node_labels=[
            NodeLabelSchema(
                label=n.label,
                primary_key=GraphProperty(name=n.primary_key.name, type=n.primary_key.type),
                properties=props(n.properties),
                count=counts.get(n.label, 0),
            )
            for n in manifest.nodes
        ],
        relationship_types=[
            RelationshipTypeSchema(
                type=e.type,
                from_node=e.from_node,
                to_node=e.to_node,
                properties=props(e.properties),
                count=counts.get(e.type, 0),
            )
            for e in manifest.edges
        ],
    )
