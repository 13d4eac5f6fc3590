"""Which part of the graph an algorithm runs on: labels, relationship types, weight.

:func:`select` applies the rules of docs/design-algorithms.md ("Selection") to the
snapshot manifest; a bad selection is a 400 ``INVALID_PARAMETER`` listing what exists.
A relationship type may join several label pairs; the selection keeps one
:class:`~graph_olap_server.wrapper.manifest.EdgeFile` per selected (type, pair).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from graph_olap_server.wrapper.algo.base import invalid
from graph_olap_server.wrapper.manifest import EdgeFile, Manifest, NodeFile, ddl_type

__all__ = ["Selection", "is_numeric_type", "select"]

_INTEGER_TYPES = frozenset(
    ["INT8", "INT16", "INT32", "INT64", "INT128", "UINT8", "UINT16", "UINT32", "UINT64"]
)


def is_numeric_type(graph_type: str) -> bool:
    """Whether a graph property type can weigh edges.

    >>> [is_numeric_type(t) for t in ("INT32", "DECIMAL(12,2)", "STRING")]
    [True, True, False]
    """
    try:
        ddl = ddl_type(graph_type)
    except ValueError:
        return False
    return ddl in _INTEGER_TYPES or ddl in ("DOUBLE", "FLOAT") or ddl.startswith("DECIMAL")


@dataclasses.dataclass(frozen=True)
class Selection:
    """What to project: labels, relationship types, the weight, and the files they mean.

    ``edges`` holds one :class:`EdgeFile` per selected (type, from label, to label) group.
    """

    node_labels: tuple[str, ...]
    relationship_types: tuple[str, ...]
    weight_property: str | None
    nodes: tuple[NodeFile, ...]
    edges: tuple[EdgeFile, ...]

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        return (self.node_labels, self.relationship_types, self.weight_property)


def _names(parameter: str, given: Sequence[str] | None, available: list[str]) -> list[str] | None:
    """``given`` checked against ``available`` (order kept, duplicates dropped)."""
    if given is None:
        return None
    if isinstance(given, str) or not all(isinstance(name, str) for name in given):
        raise invalid(f"{parameter} must be a list of names or null.", parameter)
    listed = ", ".join(available) or "none"
    if not given:
        raise invalid(
            f"{parameter} is empty; pass null to select every one (available: {listed}).",
            parameter,
        )
    unknown = [name for name in given if name not in available]
    if unknown:
        raise invalid(
            f"Unknown {parameter}: {', '.join(map(repr, unknown))}. Available: {listed}.",
            parameter,
            available=available,
        )
    return list(dict.fromkeys(given))


def select(
    manifest: Manifest,
    node_labels: Sequence[str] | None,
    relationship_types: Sequence[str] | None,
    weight_property: str | None,
) -> Selection:
    """The selection of a run (400 ``INVALID_PARAMETER`` if it names what is not there).

    - both null: every label and every relationship type;
    - only ``relationship_types``: those types and the labels at their ends;
    - only ``node_labels``: those labels and every type (label pair) whose both ends are
      among them;
    - both: exactly those; a type joining a label that is not selected is an error.

    ``weight_property`` must be a numeric property of every selected relationship.
    """
    all_labels = [node.label for node in manifest.nodes]
    groups = manifest.edge_groups()
    labels = _names("node_labels", node_labels, all_labels)
    types = _names("relationship_types", relationship_types, list(groups))
    if labels is None:
        types = list(groups) if types is None else types
        ends = {label for t in types for e in groups[t] for label in (e.from_node, e.to_node)}
        labels = [label for label in all_labels if relationship_types is None or label in ends]
    elif types is None:
        chosen = set(labels)
        types = [t for t, g in groups.items() if any({e.from_node, e.to_node} <= chosen for e in g)]
    else:
        chosen = set(labels)
        for t in types:
            for e in groups[t]:
                missing = sorted({e.from_node, e.to_node} - chosen)
                if missing:
                    raise invalid(
                        f"Relationship type {t!r} joins {e.from_node} to {e.to_node}, but "
                        f"{', '.join(missing)} is not in node_labels; add it, or leave "
                        "node_labels out to take the labels of the types.",
                        "node_labels",
                    )
    chosen = set(labels)
    edges = [e for t in types for e in groups[t] if {e.from_node, e.to_node} <= chosen]
    if weight_property is not None:
        _check_weight(weight_property, edges)
    by_label = {node.label: node for node in manifest.nodes}
    return Selection(
        node_labels=tuple(labels),
        relationship_types=tuple(types),
        weight_property=weight_property,
        nodes=tuple(by_label[label] for label in labels),
        edges=tuple(edges),
    )


def _check_weight(weight: str, edges: Iterable[EdgeFile]) -> None:
    for e in edges:
        props = {p.name: p.type for p in e.properties}
        where = f"{e.type} ({e.from_node}->{e.to_node})"
        if weight not in props:
            names = ", ".join(props) or "none"
            raise invalid(
                f"weight_property {weight!r} is not a property of {where}; its properties: "
                f"{names}.",
                "weight_property",
            )
        if not is_numeric_type(props[weight]):
            raise invalid(
                f"weight_property {weight!r} of {where} is {props[weight]}, not a number.",
                "weight_property",
            )
