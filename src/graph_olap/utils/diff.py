"""Compare mapping definitions on the client, with the platform's own algorithm.

:func:`diff_mappings` compares two saved versions, or definitions not saved yet, without a
request, and answers a :class:`~graph_olap.models.MappingDiff` of the same shape as
``client.mappings.diff_versions``. :func:`diff_definitions` is the algorithm itself, on the
JSON the platform stores; the local platform calls it for ``diff_versions`` too, so there
is one algorithm, not two.

Both sides are normalised as the platform stores definitions (defaults filled in, text
stripped), so definitions written by hand with defaults left out compare equal to the
saved version they describe.
"""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass
from typing import Any, TypeAlias

from graph_olap import exceptions as exc
from graph_olap.models.common import RequestModel, coerce_request
from graph_olap.models.mapping import (
    EdgeDefinition,
    Mapping,
    MappingDiff,
    MappingVersion,
    NodeDefinition,
)
from graph_olap.utils.hints import did_you_mean

__all__ = ["DefinitionsLike", "diff_definitions", "diff_mappings"]

DefinitionsLike: TypeAlias = (
    Mapping
    | MappingVersion
    | abc.Mapping[str, Any]
    | tuple[
        abc.Sequence[NodeDefinition | dict[str, Any]],
        abc.Sequence[EdgeDefinition | dict[str, Any]],
    ]
)
"""One side of a diff: a saved mapping or version, or definitions not saved yet, as a dict
``{"node_definitions": [...], "edge_definitions": [...]}`` or a pair ``(nodes, edges)``."""

_PARTS = ("node_definitions", "edge_definitions")
_KINDS = ("added", "removed", "modified")
_EXPECTED = (
    "a Mapping, a MappingVersion, a dict with 'node_definitions' and 'edge_definitions', "
    "or a (node_definitions, edge_definitions) tuple"
)


def diff_mappings(before: DefinitionsLike, after: DefinitionsLike) -> MappingDiff:
    """Compare two mappings, versions or sets of definitions, on the client.

    The answer has the shape of ``client.mappings.diff_versions``, and for two saved
    versions the same content. ``mapping_id`` is the mapping both saved sides belong to;
    ``from_version`` / ``to_version`` are each side's version. These are ``None`` for
    definitions not saved yet (and ``mapping_id`` is ``None`` for sides of two different
    mappings).

    Args:
        before: A :class:`Mapping` (its current version), a :class:`MappingVersion`, or
            definitions not saved yet: a dict with ``node_definitions`` and
            ``edge_definitions``, or a ``(node_definitions, edge_definitions)`` tuple. The
            definitions are :class:`NodeDefinition` / :class:`EdgeDefinition` models or
            dicts of the same shape, as ``client.mappings.create`` accepts them.
        after: The other side, in any of the same forms.

    Raises:
        ValidationError: A side is none of these forms, a definition is malformed, or a
            label (type) is defined twice; the message names the side and the definition.
            Nothing is sent to the platform.

    Example:
        >>> from graph_olap.utils.diff import diff_mappings
        >>> saved = client.mappings.get(m.id)                      # the current version
        >>> edit = {"node_definitions": [*saved.node_definitions, account],
        ...         "edge_definitions": saved.edge_definitions}
        >>> diff = diff_mappings(saved, edit)                      # before you update
        >>> diff.summary.nodes_added, [c.key for c in diff.nodes], diff.to_version
        (1, ['Account'], None)
    """
    old = _side(before, "before")
    new = _side(after, "after")
    ids = {side.mapping_id for side in (old, new) if side.mapping_id is not None}
    return MappingDiff.model_validate(
        {
            "mapping_id": ids.pop() if len(ids) == 1 else None,
            "from_version": old.version,
            "to_version": new.version,
            **diff_definitions(old.definitions, new.definitions),
        }
    )


def diff_definitions(before: abc.Mapping[str, Any], after: abc.Mapping[str, Any]) -> dict[str, Any]:
    """The platform's diff of two versions' definitions, on their stored JSON.

    Each side is ``{"node_definitions": [...], "edge_definitions": [...]}`` of plain dicts,
    normalised as the platform stores them. Node definitions are keyed by ``label``, edge
    definitions by ``type``. A key on one side only is ``added`` or ``removed``; a key on
    both sides whose fields differ is ``modified``, with the sorted names of those fields.
    Changes are sorted by change, then key. Users normally call :func:`diff_mappings`,
    which normalises its inputs and builds the typed answer.

    Example:
        >>> node = {"label": "Customer", "sql": "SELECT 1 AS id",
        ...         "primary_key": {"name": "id", "type": "STRING"}, "properties": []}
        >>> out = diff_definitions({"node_definitions": [], "edge_definitions": []},
        ...                        {"node_definitions": [node], "edge_definitions": []})
        >>> out["summary"]["nodes_added"], [(c["change"], c["key"]) for c in out["nodes"]]
        (1, [('added', 'Customer')])
    """
    nodes = _changes("label", before["node_definitions"], after["node_definitions"])
    edges = _changes("type", before["edge_definitions"], after["edge_definitions"])
    summary = {
        f"{part}_{kind}": sum(1 for c in changes if c["change"] == kind)
        for part, changes in (("nodes", nodes), ("edges", edges))
        for kind in _KINDS
    }
    return {"summary": summary, "nodes": nodes, "edges": edges}


def _changes(
    key_field: str, before: list[dict[str, Any]], after: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    old = {d[key_field]: d for d in before}
    new = {d[key_field]: d for d in after}
    out = [_change(key, "removed", [], old[key], None) for key in old.keys() - new.keys()]
    out += [_change(key, "added", [], None, new[key]) for key in new.keys() - old.keys()]
    for key in old.keys() & new.keys():
        a, b = old[key], new[key]
        fields = sorted(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
        if fields:
            out.append(_change(key, "modified", fields, a, b))
    return sorted(out, key=lambda c: (c["change"], c["key"]))


def _change(
    key: str,
    change: str,
    fields: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "key": key,
        "change": change,
        "fields_changed": fields,
        "before": before,
        "after": after,
    }


@dataclass(frozen=True)
class _Side:
    mapping_id: int | None
    version: int | None
    definitions: dict[str, list[dict[str, Any]]]


def _side(value: object, where: str) -> _Side:
    if isinstance(value, Mapping):
        defs = _definitions(value.node_definitions, value.edge_definitions, where)
        return _Side(value.id, value.current_version, defs)
    if isinstance(value, MappingVersion):
        defs = _definitions(value.node_definitions, value.edge_definitions, where)
        return _Side(value.mapping_id, value.version, defs)
    if isinstance(value, tuple) and len(value) == 2:
        return _Side(None, None, _definitions(value[0], value[1], where))
    if isinstance(value, abc.Mapping):
        _check_keys(value, where)
        defs = _definitions(value["node_definitions"], value["edge_definitions"], where)
        return _Side(None, None, defs)
    raise exc.ValidationError(
        f"{where} must be {_EXPECTED}; got {type(value).__name__}.",
        details={"field": where},
    )


def _check_keys(value: abc.Mapping[Any, Any], where: str) -> None:
    for key in value:
        if key not in _PARTS:
            hint = did_you_mean(key, _PARTS)
            raise exc.ValidationError(
                f"{where} has an unknown key {key!r}.{hint} Definitions not saved yet are a "
                "dict with only 'node_definitions' and 'edge_definitions'; to compare a saved "
                "version, pass the MappingVersion (client.mappings.get_version).",
                details={"field": f"{where}.{key}"},
            )
    missing = [part for part in _PARTS if part not in value]
    if missing:
        raise exc.ValidationError(
            f"{where} has no {' or '.join(repr(m) for m in missing)}. Pass both lists, as "
            "to client.mappings.create ([] for none).",
            details={"field": f"{where}.{missing[0]}"},
        )


def _definitions(nodes: object, edges: object, where: str) -> dict[str, list[dict[str, Any]]]:
    """Both lists as the platform stores them, checked as the SDK checks them on create."""
    node_where, edge_where = (f"{where}.{part}" for part in _PARTS)
    return {
        "node_definitions": _normalised(NodeDefinition, "label", nodes, node_where),
        "edge_definitions": _normalised(EdgeDefinition, "type", edges, edge_where),
    }


def _normalised(
    model: type[RequestModel], key: str, values: object, where: str
) -> list[dict[str, Any]]:
    if isinstance(values, (str, bytes, abc.Mapping)) or not isinstance(values, abc.Sequence):
        raise exc.ValidationError(
            f"{where} must be a list of {model.__name__} objects or dicts, "
            f"got {type(values).__name__}.",
            details={"field": where},
        )
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        definition = _stripped(coerce_request(model, value, f"{where}[{i}]").to_dict())
        name = definition[key]
        if name in seen:
            raise exc.ValidationError(
                f"{where}[{i}] ({name}): {key} {name!r} is defined twice; it is unique within "
                "a mapping. Remove or rename one.",
                details={"field": f"{where}[{i}]"},
            )
        seen.add(name)
        out.append(definition)
    return out


def _stripped(value: Any) -> Any:
    """Text without surrounding white space, as the platform stores every definition field."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value
