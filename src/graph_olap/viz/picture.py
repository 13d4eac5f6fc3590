"""What a graph picture shows, decided once for both renderers (widget and static SVG).

:func:`build_picture` turns a NetworkX graph (as ``QueryResult.to_networkx()`` makes it:
node attribute ``_label`` plus the properties, edge attribute ``_label``) into
:class:`Picture`: each node's caption, colour and radius, the legend, and JSON-safe
attributes for the hover cards.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "OTHER",
    "OTHER_COLOR",
    "PALETTE",
    "Picture",
    "PictureEdge",
    "PictureNode",
    "build_picture",
]

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#9c755f",
    "#86bcb6",
    "#d37295",
)
"""Category colours (Tableau 10 and two more), readable on light and dark backgrounds."""

OTHER_COLOR = "#a0a0a0"
"""The colour of categories past the palette, and of nodes without the attribute."""
OTHER = "other"
"""The legend entry of the categories past the palette and of nodes without a value."""

RADIUS = (4.0, 16.0)
"""Smallest and largest node radius in pixels when sizing by a property."""

DEFAULT_RADIUS = 6.0

CAPTION_CHAR_WIDTH = 7.5
"""A generous average width of one caption character at 12 px (pixels), in the static
picture and in the widget alike: where a caption may end."""

LABEL_ALIASES = {"label": "_label", "type": "_label"}
"""What users may call the node label (the Cypher ``:Label``) in ``color_by``."""

CAPTION_CANDIDATES = ("name", "title", "caption")


@dataclass(frozen=True)
class PictureNode:
    key: str
    label: str
    caption: str
    category: str
    """The value of the ``color_by`` attribute, as text."""
    color: str
    radius: float
    attributes: dict[str, Any]


@dataclass(frozen=True)
class PictureEdge:
    source: str
    target: str
    type: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Picture:
    nodes: list[PictureNode]
    edges: list[PictureEdge]
    legend: list[tuple[str, str, int]]
    """(category, colour, node count), most frequent first."""
    color_by: str
    size_by: str | None
    total_nodes: int
    total_edges: int
    directed: bool
    """Whether relationships are drawn as arrows (see ``directed`` in :func:`build_picture`)."""
    parallel: bool
    """Whether two drawn relationships join the same pair of nodes (the same way round,
    for a directed picture): only then is the picture a multigraph."""
    captioned: bool
    """Whether captions come from a property (``label_by``, ``name``...): only then are
    they written beside the nodes (a label and an id says little)."""

    @property
    def summary(self) -> str:
        """One line: counts, what is shown, and how it is encoded."""
        shown = f"{len(self.nodes):,} nodes, {len(self.edges):,} relationships"
        if len(self.nodes) < self.total_nodes:
            shown = (
                f"showing {len(self.nodes):,} of {self.total_nodes:,} nodes "
                f"and {len(self.edges):,} of {self.total_edges:,} relationships"
            )
        size = f"; size: {self.size_by}" if self.size_by else ""
        return f"{shown}; colour: {_shown_name(self.color_by)}{size}"


def build_picture(
    graph: Any,
    *,
    color_by: str = "label",
    size_by: str | None = None,
    label_by: str | None = None,
    max_nodes: int = 1000,
    directed: bool | None = None,
) -> Picture:
    """Decide captions, colours and sizes for ``graph`` (a NetworkX graph).

    Keeps the first ``max_nodes`` nodes (in the graph's order) and the relationships
    between them. ``directed`` says whether relationships are drawn as arrows; None
    follows the graph (``QueryResult.to_networkx()`` makes directed graphs: every Cypher
    relationship has a direction).

    Raises:
        ValueError: ``size_by`` names an attribute that no node has as a number.

    Example:
        >>> import networkx as nx
        >>> g = nx.Graph()
        >>> g.add_node("a", _label="Person", name="Ann", score=2.0)
        >>> g.add_node("b", _label="Person", name="Bob", score=1.0)
        >>> g.add_edge("a", "b", _label="KNOWS")
        >>> picture = build_picture(g, size_by="score")
        >>> [(n.caption, n.radius) for n in picture.nodes]
        [('Ann', 16.0), ('Bob', 4.0)]
    """
    color_key = LABEL_ALIASES.get(color_by, color_by)
    all_nodes = list(graph.nodes(data=True))
    kept = all_nodes[:max_nodes]
    keys = {node for node, _ in kept}
    sizes = _sizes(kept, size_by) if size_by else {}
    categories = Counter(_category(data.get(color_key)) for _, data in kept)
    colors = _colors(categories)
    caption_key = label_by or _caption_key(kept)
    nodes = [
        PictureNode(
            key=_text(node),
            label=str(data.get("_label", "")),
            caption=_caption(node, data, caption_key),
            category=_category(data.get(color_key)),
            color=colors.get(_category(data.get(color_key)), OTHER_COLOR),
            radius=sizes.get(node, DEFAULT_RADIUS),
            attributes=_attributes(data),
        )
        for node, data in kept
    ]
    edges = [
        PictureEdge(
            source=_text(src),
            target=_text(dst),
            type=str(data.get("_label", "")),
            attributes=_attributes(data, label_as="type"),
        )
        for src, dst, data in graph.edges(data=True)
        if src in keys and dst in keys
    ]
    directed = bool(graph.is_directed()) if directed is None else directed
    legend = [(c, colors[c], n) for c, n in categories.most_common() if c in colors]
    rest = sum(n for c, n in categories.items() if c not in colors)
    if rest:
        legend.append((OTHER, OTHER_COLOR, rest))
    return Picture(
        nodes=nodes,
        edges=edges,
        legend=legend,
        color_by=color_key,
        size_by=size_by,
        total_nodes=len(all_nodes),
        total_edges=graph.number_of_edges(),
        directed=directed,
        parallel=_has_parallel(edges, directed=directed),
        captioned=caption_key is not None,
    )


def _has_parallel(edges: list[PictureEdge], *, directed: bool) -> bool:
    pairs = [
        (e.source, e.target) if directed else tuple(sorted((e.source, e.target))) for e in edges
    ]
    return len(set(pairs)) < len(pairs)


def _shown_name(attribute: str) -> str:
    return "label" if attribute == "_label" else attribute


def _category(value: Any) -> str:
    return "(none)" if value is None else _text(value)


def _colors(categories: Counter[str]) -> dict[str, str]:
    """A palette colour for each of the most frequent categories, in order."""
    named = [c for c, _ in categories.most_common() if c != "(none)"]
    return dict(zip(named, PALETTE, strict=False))


def _sizes(nodes: list[tuple[Hashable, Mapping[str, Any]]], size_by: str) -> dict[Hashable, float]:
    values = {
        node: float(value)
        for node, data in nodes
        if isinstance(value := data.get(size_by), (int, float, decimal.Decimal))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    }
    if not values:
        raise ValueError(
            f"size_by={size_by!r}: no node has a numeric {size_by!r} property. RETURN whole "
            "nodes that carry it (for an algorithm score, run it with mode='mutate' first), "
            "or pass size_by=None."
        )
    low, high = min(values.values()), max(values.values())
    span = (high - low) or 1.0
    smallest, largest = RADIUS
    return {
        node: smallest + (largest - smallest) * (value - low) / span
        for node, value in values.items()
    }


def _caption_key(nodes: list[tuple[Hashable, Mapping[str, Any]]]) -> str | None:
    for candidate in CAPTION_CANDIDATES:
        if any(candidate in data for _, data in nodes):
            return candidate
    return None


def _caption(node: Hashable, data: Mapping[str, Any], caption_key: str | None) -> str:
    value = data.get(caption_key) if caption_key else None
    if value is not None:
        return _text(value)
    label = data.get("_label")
    return f"{label} {_text(node)}" if label else _text(node)


def _attributes(data: Mapping[str, Any], *, label_as: str = "label") -> dict[str, Any]:
    """The properties to show on hover, as JSON values (``_label`` shown as ``label_as``:
    a node's label, a relationship's type)."""
    shown: dict[str, Any] = {}
    for name, value in data.items():
        if name == "_id" or value is None:
            continue
        shown[label_as if name == "_label" else name] = _json_value(value)
    return shown


def _json_value(value: Any) -> Any:
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return json.dumps(value, default=str, sort_keys=True)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
