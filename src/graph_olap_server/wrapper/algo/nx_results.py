"""What a NetworkX function returned, as an :class:`AlgoOutput`.

In this order:

- a generator or iterator is consumed, at most :data:`MAX_ITEMS` items (the summary then
  says ``truncated``); pairs ``(node, dict)`` and the pairs of ``all_pairs_*`` and
  ``bfs_predecessors``/``bfs_successors`` become a dict; degree views become dicts,
  node and edge views lists;
- a dict from nodes to numbers, booleans, strings or nodes: one per-node column named
  after the function (``betweenness_centrality``); nodes it leaves out are not returned;
- a tuple of such dicts (``hits``): one column each;
- a dict from edges ``(u, v)`` to numbers: a table ``source, target, <function>``;
- disjoint sets of nodes (communities, components): a per-node ``community`` column (or
  ``component`` when the function's name says components), numbered in NetworkX's order;
  the summary gives their count;
- anything else: a JSON value (:func:`to_jsonable`).

Nodes of a projection with several labels are ``(label, key)`` tuples in the graph; in
values and string columns they are written ``"label:key"``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from graph_olap_server.wrapper.algo.base import AlgoOutput, Progress

if TYPE_CHECKING:
    import networkx as nx

    from graph_olap_server.wrapper.algo.dense_graph import Projection

__all__ = ["MAX_ITEMS", "MISSING", "NodeIndex", "to_jsonable", "to_output"]

MAX_ITEMS = 1_000_000
MISSING: Any = object()  # "no such node"
_TUPLE_COLUMNS = {"hits": ("hubs", "authorities")}
_PAIRS_TO_DICT = frozenset({"bfs_predecessors", "bfs_successors"})
_INTEGER = re.compile(r"-?\d{1,19}")


class NodeIndex:
    """The graph nodes of one projection: dense id <-> node, and names for JSON."""

    def __init__(self, projection: Projection) -> None:
        self.keys = projection.node_keys()
        self.n = projection.n
        self.labels = frozenset(projection.node_labels)
        self.multi = len(projection.node_labels) > 1
        self.dense = {key: i for i, key in enumerate(self.keys) if key is not None}

    def node_of(self, dense_id: int) -> Any:
        return self.keys[dense_id]

    def name(self, node: Any) -> Any:
        """``node`` for JSON: ``"label:key"`` for a ``(label, key)`` node."""
        if self.multi and isinstance(node, tuple) and self.is_node(node):
            return f"{node[0]}:{node[1]}"
        return node

    def is_node(self, value: Any) -> bool:
        try:
            return value in self.dense and not isinstance(value, bool)
        except TypeError:  # unhashable
            return False

    def find(self, value: Any) -> Any:
        """The node ``value`` names (a key; ``"Label:key"`` or ``[label, key]`` with
        several labels; ``"5"`` for key 5), or :data:`MISSING`."""
        candidates: list[Any] = []
        if isinstance(value, bool) or value is None:
            return MISSING
        if isinstance(value, (list, tuple)):
            if self.multi and len(value) == 2 and value[0] in self.labels:
                candidates = [(value[0], k) for k in _spellings(value[1])]
        elif isinstance(value, (int, float, str)):
            candidates = _spellings(value)
            if self.multi and isinstance(value, str) and ":" in value:
                label, _, rest = value.partition(":")
                if label in self.labels:
                    candidates += [(label, k) for k in _spellings(rest)]
        for candidate in candidates:
            if self.is_node(candidate):
                return self.keys[self.dense[candidate]]
        return MISSING


def _spellings(key: Any) -> list[Any]:
    """``key`` and the same key in the other type (``"5"`` and ``5``)."""
    if isinstance(key, str):
        return [key, int(key)] if _INTEGER.fullmatch(key.strip()) else [key]
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return [key, str(key)]
    return [key]


def to_output(short_name: str, result: Any, index: NodeIndex, progress: Progress) -> AlgoOutput:
    """``result`` of NetworkX function ``short_name`` as columns, a table or a value."""
    stats: dict[str, Any] = {}
    result = _materialize(short_name, result, index, stats, progress)
    if isinstance(result, dict):
        column = _node_column(result, index)
        if column is not None:
            return AlgoOutput(columns={short_name: column[0]}, keep=column[1], stats=stats)
        table = _edge_table(short_name, result, index)
        if table is not None:
            return AlgoOutput(table=table, stats=stats)
    if isinstance(result, tuple) and result and all(isinstance(r, dict) for r in result):
        columns = [_node_column(r, index) for r in result]
        if all(c is not None for c in columns):
            names = _TUPLE_COLUMNS.get(short_name) or [
                f"{short_name}_{i + 1}" for i in range(len(result))
            ]
            keeps = [c[1] for c in columns if c is not None and c[1] is not None]
            keep = np.logical_or.reduce(keeps) if keeps else None
            return AlgoOutput(
                columns={n: c[0] for n, c in zip(names, columns, strict=True) if c is not None},
                keep=keep,
                stats=stats,
            )
    partition = _partition(result, index)
    if partition is not None:
        name = "component" if "component" in short_name else "community"
        values, keep, count = partition
        stats["components" if name == "component" else "communities"] = count
        return AlgoOutput(columns={name: values}, keep=keep, stats=stats)
    return AlgoOutput(value=to_jsonable(result, index), stats=stats)


def _materialize(
    short_name: str, result: Any, index: NodeIndex, stats: dict[str, Any], progress: Progress
) -> Any:
    from networkx.classes import reportviews as views

    if isinstance(result, views.DiDegreeView):
        return dict(result)
    if isinstance(result, (views.NodeView, views.NodeDataView)):
        return list(result)
    if isinstance(result, (views.OutEdgeView, views.OutEdgeDataView)):
        return [list(e) for e in result]
    if not isinstance(result, Iterator):
        return result
    items: list[Any] = []
    for item in result:
        if len(items) >= MAX_ITEMS:
            stats.update(
                truncated=True,
                note=f"networkx.{short_name} gave more than {MAX_ITEMS:,} items; "
                f"only the first {MAX_ITEMS:,} are returned.",
            )
            break
        items.append(item)
        if len(items) % 10_000 == 0:
            progress.check()
    stats["items"] = len(items)
    pairs = all(isinstance(i, tuple) and len(i) == 2 and index.is_node(i[0]) for i in items)
    keyed = short_name.startswith("all_pairs") or short_name in _PAIRS_TO_DICT
    if items and pairs and (keyed or all(isinstance(i[1], dict) for i in items)):
        return dict(items)
    return items


def _scalar_kind(values: list[Any], index: NodeIndex) -> str | None:
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    if all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values
    ):
        return "int" if all(-(2**63) <= int(v) < 2**63 for v in values) else "float"
    if all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    ):
        return "float"
    if all(isinstance(v, str) or index.is_node(v) for v in values):
        return "str"
    return None


def _node_column(
    mapping: Mapping[Any, Any], index: NodeIndex
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """A per-node array (and which nodes to keep) if ``mapping`` maps nodes to scalars."""
    if not mapping or not all(index.is_node(k) for k in mapping):
        return None
    values = list(mapping.values())
    kind = _scalar_kind(values, index)
    if kind is None:
        return None
    ids = np.fromiter((index.dense[k] for k in mapping), dtype=np.int64, count=len(mapping))
    column: np.ndarray
    if kind == "float":
        column = np.full(index.n, np.nan)
        column[ids] = np.asarray(values, dtype=np.float64)
    elif kind == "int":
        column = np.zeros(index.n, dtype=np.int64)
        column[ids] = np.asarray(values, dtype=np.int64)
    elif kind == "bool":
        column = np.zeros(index.n, dtype=bool)
        column[ids] = np.asarray(values, dtype=bool)
    else:
        column = np.full(index.n, None, dtype=object)
        column[ids] = [v if isinstance(v, str) else str(index.name(v)) for v in values]
    if len(mapping) == len(index.dense):
        return column, None
    keep = np.zeros(index.n, dtype=bool)
    keep[ids] = True
    return column, keep


def _edge_table(short_name: str, mapping: Mapping[Any, Any], index: NodeIndex) -> pa.Table | None:
    """``source, target, <short_name>`` if ``mapping`` maps edges ``(u, v)`` to numbers."""
    keys = list(mapping)
    if not keys or not all(
        isinstance(k, tuple) and len(k) == 2 and index.is_node(k[0]) and index.is_node(k[1])
        for k in keys
    ):
        return None
    values = list(mapping.values())
    if _scalar_kind(values, index) not in ("int", "float", "bool"):
        return None

    def ends(i: int) -> list[Any]:
        return [index.name(k[i]) for k in keys]

    return pa.table({"source": ends(0), "target": ends(1), short_name: values})


def _partition(result: Any, index: NodeIndex) -> tuple[np.ndarray, np.ndarray | None, int] | None:
    """Per-node set numbers if ``result`` is a list of disjoint, non-empty sets of nodes."""
    if not isinstance(result, (list, tuple)) or not result:
        return None
    if not all(isinstance(s, (set, frozenset)) and s for s in result):
        return None
    column = np.full(index.n, -1, dtype=np.int64)
    for number, members in enumerate(result):
        if not all(index.is_node(v) for v in members):
            return None
        ids = np.fromiter((index.dense[v] for v in members), dtype=np.int64, count=len(members))
        if (column[ids] >= 0).any():
            return None  # overlapping sets (biconnected components, cliques): a value
        column[ids] = number
    keep = column >= 0
    return column, None if keep.sum() == len(index.dense) else keep, len(result)


def to_jsonable(value: Any, index: NodeIndex | None = None) -> Any:
    """``value`` as JSON-able Python: tuples and lists as lists, sets as sorted lists (when
    sortable), numpy values as Python ones, NaN as null, infinities as ``"Infinity"`` /
    ``"-Infinity"``, tuple dict keys as ``"a:b"``, graphs as ``{directed, nodes, edges}``,
    sparse matrices as ``{shape, row, col, data}``; anything else as its ``str``."""
    import networkx as nx

    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), index)
    if isinstance(value, complex):
        return {"real": to_jsonable(value.real), "imag": to_jsonable(value.imag)}
    if isinstance(value, (Fraction, Decimal)):
        return to_jsonable(float(value))
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), index)
    if index is not None and isinstance(value, tuple) and index.multi and index.is_node(value):
        return index.name(value)
    if isinstance(value, nx.Graph):
        return _graph_value(value, index)
    if isinstance(value, Mapping):
        return {_key(k, index): to_jsonable(v, index) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v, index) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, Iterator):  # a generator inside the result
        return [to_jsonable(v, index) for v in itertools.islice(value, MAX_ITEMS)]
    if isinstance(value, (list, tuple)) or (
        isinstance(value, Iterable) and hasattr(value, "__len__")
    ):
        return [to_jsonable(v, index) for v in value]
    if hasattr(value, "tocoo") and hasattr(value, "shape"):  # a scipy sparse matrix
        coo = value.tocoo()
        return {
            "shape": list(coo.shape),
            "row": coo.row.tolist(),
            "col": coo.col.tolist(),
            "data": to_jsonable(coo.data, index),
        }
    return str(value)


def _key(key: Any, index: NodeIndex | None) -> Any:
    if isinstance(key, tuple):
        return ":".join(str(to_jsonable(part, index)) for part in key)
    if isinstance(key, (frozenset, set)):
        return ",".join(str(v) for v in to_jsonable(key, index))
    converted = to_jsonable(key, index)
    return (
        converted
        if isinstance(converted, (str, int, float, bool)) or converted is None
        else str(converted)
    )


def _graph_value(graph: nx.Graph, index: NodeIndex | None) -> dict[str, Any]:
    edges = []
    for u, v, data in graph.edges(data=True):
        edge = [to_jsonable(u, index), to_jsonable(v, index)]
        edges.append([*edge, to_jsonable(data, index)] if data else edge)
    out: dict[str, Any] = {
        "directed": graph.is_directed(),
        "nodes": [to_jsonable(n, index) for n in graph.nodes],
        "edges": edges,
    }
    extra = {
        _key(n, index): to_jsonable({k: v for k, v in d.items() if k != "label"}, index)
        for n, d in graph.nodes(data=True)
        if any(k != "label" for k in d)
    }
    if extra:
        out["node_data"] = extra
    return out
