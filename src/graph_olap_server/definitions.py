"""Node and edge definitions: their wire schema, their checks, and version diffs.

A mapping is refused as a whole (400, nothing written) when any definition is wrong; the
message names the definition (``node_definitions[1] (Account)``) and the problem.

Version diffs are ``graph_olap.utils.diff.diff_definitions``: the SDK's client-side
``diff_mappings`` and the platform's ``diff_versions`` run that one algorithm. It is the
one place the platform imports the SDK (a pure function on JSON, same distribution).
"""

from __future__ import annotations

import re

from pydantic import Field

from graph_olap.utils.diff import diff_definitions
from graph_olap_server.errors import APIError, bad_request
from graph_olap_server.strict import Strict
from graph_olap_server.warehouse import SqlValidationError, WarehouseAdapter

__all__ = [
    "EdgeDefinitionIn",
    "NodeDefinitionIn",
    "check_definitions",
    "diff_definitions",
]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_TYPE = re.compile(
    r"^(STRING|INT8|INT16|INT32|INT64|INT128|UINT8|UINT16|UINT32|UINT64|SERIAL|DOUBLE|FLOAT|"
    r"BOOL|BOOLEAN|DATE|TIMESTAMP|INTERVAL|BLOB|UUID|DECIMAL\(\s*\d+\s*,\s*\d+\s*\))$",
    re.IGNORECASE,
)
_KNOWN_TYPES = (
    "STRING, INT64, INT32, DOUBLE, FLOAT, BOOL, DATE, TIMESTAMP, DECIMAL(p,s), BLOB, UUID"
)


class PropertyIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    type: str = Field(default="STRING", min_length=1, max_length=64)


class PrimaryKeyIn(Strict):
    name: str = Field(min_length=1, max_length=128)
    type: str = Field(default="STRING", min_length=1, max_length=64)


class NodeDefinitionIn(Strict):
    label: str = Field(min_length=1, max_length=128)
    sql: str = Field(min_length=1, max_length=100_000)
    primary_key: PrimaryKeyIn
    properties: list[PropertyIn] = Field(default_factory=list, max_length=500)


class EdgeDefinitionIn(Strict):
    type: str = Field(min_length=1, max_length=128)
    from_node: str = Field(min_length=1, max_length=128)
    to_node: str = Field(min_length=1, max_length=128)
    sql: str = Field(min_length=1, max_length=100_000)
    from_key: str = Field(min_length=1, max_length=128)
    to_key: str = Field(min_length=1, max_length=128)
    properties: list[PropertyIn] = Field(default_factory=list, max_length=500)


def _check_names(where: str, kind: str, name: str) -> None:
    if not _IDENT.match(name):
        raise bad_request(
            f"{where}: {kind} {name!r} is not a valid name; use letters, digits and "
            "underscores, not starting with a digit.",
            field=where,
        )


def _check_type(where: str, prop: str, type_: str) -> None:
    if not _TYPE.match(type_):
        raise bad_request(
            f"{where}: property {prop!r} has unknown type {type_!r}. Use one of {_KNOWN_TYPES}.",
            field=where,
        )


def _check_properties(where: str, props: list[PropertyIn], reserved: set[str]) -> None:
    seen: set[str] = set()
    for p in props:
        _check_names(where, "property", p.name)
        _check_type(where, p.name, p.type)
        if p.name in reserved:
            raise bad_request(
                f"{where}: property {p.name!r} is the primary key; it is stored already, "
                "remove it from properties.",
                field=where,
            )
        if p.name in seen:
            raise bad_request(f"{where}: property {p.name!r} is listed twice.", field=where)
        seen.add(p.name)


def _columns(warehouse: WarehouseAdapter, where: str, sql: str) -> dict[str, str]:
    try:
        cols = warehouse.describe(sql)
    except SqlValidationError as err:
        raise bad_request(
            f"{where}: the SQL is not valid on the warehouse: {err}", field=where
        ) from err
    return {c.name: c.data_type for c in cols}


def _require_columns(where: str, cols: dict[str, str], needed: list[tuple[str, str]]) -> None:
    for role, name in needed:
        if name not in cols:
            raise bad_request(
                f"{where}: {role} column {name!r} is not returned by the SQL, which returns "
                f"{', '.join(cols) or 'no columns'}. Add it to the SELECT or fix the name.",
                field=where,
                column=name,
            )


def check_definitions(
    nodes: list[NodeDefinitionIn],
    edges: list[EdgeDefinitionIn],
    warehouse: WarehouseAdapter,
) -> None:
    """Raise a 400 APIError naming the first problem; return quietly when all is well."""
    if not nodes:
        raise bad_request(
            "A mapping needs at least one node definition (label, sql, primary_key).",
            field="node_definitions",
        )
    labels: dict[str, int] = {}
    for i, node in enumerate(nodes):
        where = f"node_definitions[{i}] ({node.label})"
        _check_names(where, "label", node.label)
        if node.label in labels:
            raise bad_request(f"{where}: label {node.label!r} is defined twice.", field=where)
        labels[node.label] = i
        _check_names(where, "primary key", node.primary_key.name)
        _check_type(where, node.primary_key.name, node.primary_key.type)
        _check_properties(where, node.properties, {node.primary_key.name})
        cols = _columns(warehouse, where, node.sql)
        _require_columns(
            where,
            cols,
            [("primary key", node.primary_key.name)]
            + [("property", p.name) for p in node.properties],
        )
    types: set[str] = set()
    for i, edge in enumerate(edges):
        where = f"edge_definitions[{i}] ({edge.type})"
        _check_names(where, "relationship type", edge.type)
        if edge.type in types:
            raise bad_request(f"{where}: type {edge.type!r} is defined twice.", field=where)
        types.add(edge.type)
        for end in (edge.from_node, edge.to_node):
            if end not in labels:
                raise bad_request(
                    f"{where}: node label {end!r} is not defined in this mapping; "
                    f"defined labels: {', '.join(labels)}.",
                    field=where,
                )
        _check_properties(where, edge.properties, set())
        cols = _columns(warehouse, where, edge.sql)
        _require_columns(
            where,
            cols,
            [("from_key", edge.from_key), ("to_key", edge.to_key)]
            + [("property", p.name) for p in edge.properties],
        )


def as_api_error(err: ValueError, field: str) -> APIError:
    return bad_request(str(err), field=field)
