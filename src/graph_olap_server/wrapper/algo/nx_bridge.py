"""``conn.networkx``: run a NetworkX function by name on a projection.

The pieces: :mod:`.nx_catalog` (which functions, their parameters, checks before a run),
:mod:`.nx_cost` (the time estimate and ``GRAPH_TOO_LARGE``), this module (the NetworkX
graph of a projection, node arguments, the run) and :mod:`.nx_results` (the result as
per-node columns, a table or a JSON value).

The graph: ``nx.DiGraph`` for orientation ``natural``/``reverse``, ``nx.Graph`` for
``undirected``; nodes are the projection's node identities (the primary key; with
several labels ``(label, key)``), each with attribute ``label``; without a weight
property edges have no attributes (NetworkX then counts 1 per edge), with one each edge
has attribute ``weight``. Parallel relationships (the same pair twice, or ``a->b`` and
``b->a`` undirected) become one edge: weights are added, except for functions that read
weights as distances (shortest paths, distances, closeness, betweenness, spanning trees,
TSP; see :data:`_DISTANCE_LIKE`), which keep the lightest. The graph is built once per
projection, orientation and policy, cached on the projection and frozen: a function that
may change its input (``mutates_input``) gets a copy, and one that tries to without
saying so is run again on a copy (and gets one at once from then on).

Arguments are JSON: a node is named by its primary key (several labels: ``"Label:key"``
or ``[label, key]``; ``"5"`` also finds key 5), lists of nodes and pairs of nodes work
the same, a dict keyed by nodes (``personalization``) is keyed by the nodes, and
``weight=<the projection's weight property>`` means the edge attribute ``weight``.

Errors: checks that need no graph (unknown function, arguments, orientation, size) are
400s before the run. In the run: an argument naming no node is a 400
``INVALID_PARAMETER``; "not implemented for directed/undirected" from a function without
the ``not_implemented_for`` decorator is a 400 naming the orientation to pass (and is
remembered: the next request is refused before running); anything else NetworkX raises
becomes :class:`NetworkXFailed` with NetworkX's message, the execution's failure.
``Cancelled`` (raised into the thread to cancel it) is never caught.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.algo.base import (
    AlgoOutput,
    Cancelled,
    Orientation,
    Progress,
    invalid,
)
from graph_olap_server.wrapper.algo.nx_catalog import (
    NetworkXFunction,
    catalog,
    check_orientation,
    networkx_function,
    networkx_info,
    validate,
)
from graph_olap_server.wrapper.algo.nx_cost import LIMIT_SECONDS, check_size, estimate_seconds
from graph_olap_server.wrapper.algo.nx_results import MISSING, NodeIndex, to_output

if TYPE_CHECKING:
    import networkx as nx

    from graph_olap_server.wrapper.algo.dense_graph import Projection

__all__ = [
    "LIMIT_SECONDS",
    "NetworkXFailed",
    "catalog",
    "check_orientation",
    "check_size",
    "estimate_seconds",
    "networkx_function",
    "networkx_graph",
    "networkx_info",
    "run_networkx",
    "validate",
]

Parallel = Literal["sum", "min"]
_DISTANCE_LIKE = re.compile(
    r"path|dijkstra|bellman|astar|johnson|floyd|distance|eccentricity|diameter|radius|"
    r"center|periphery|barycenter|closeness|betweenness|efficiency|wiener|spanning|steiner|"
    r"tsp|traveling|christofides|voronoi|metric_closure|girth|harmonic|vitality|"
    r"arborescence|branching"
)
_NODE_NAMES = frozenset(
    {
        "source", "target", "sources", "targets", "u", "v", "node", "nodes", "nbunch", "n",
        "s", "t", "_s", "_t", "root", "start", "start_with", "node1", "node2", "nodeA",
        "nodeB", "center", "ebunch", "pairs", "path", "top_nodes", "x", "y", "z",
        "included", "restricted", "communities", "init_split", "group", "C", "S", "T",
    }
)  # fmt: skip
_SINGLE_NODE = re.compile(r"^node\b(?! *,? *(?:list|iterable|container|or set))")


class NetworkXFailed(RuntimeError):
    """NetworkX raised while running; the message is NetworkX's, with what to do."""


def networkx_graph(
    projection: Projection, orientation: Orientation, *, parallel: Parallel = "sum"
) -> nx.Graph:
    """The (frozen) NetworkX graph of ``projection`` seen with ``orientation``, cached.

    ``parallel``: ``"sum"`` adds the weights of parallel relationships, ``"min"`` keeps
    the lightest (no difference without weights).
    """
    weighted = projection.weight is not None
    policy: Parallel = parallel if weighted else "sum"
    return projection.cached(
        ("networkx", orientation, policy), lambda: _build_graph(projection, orientation, policy)
    )


def _build_graph(projection: Projection, orientation: Orientation, parallel: Parallel) -> nx.Graph:
    import networkx as nx

    weighted = projection.weight is not None
    directed = orientation != "undirected"
    matrix = projection.csr(orientation, weighted=weighted, parallel=parallel).tocoo()
    rows, cols, data = matrix.row, matrix.col, matrix.data
    if not directed:  # symmetric: each pair once
        upper = rows <= cols
        rows, cols, data = rows[upper], cols[upper], data[upper]
    keys = projection.node_keys()
    graph: nx.Graph = nx.DiGraph() if directed else nx.Graph()
    for block in projection.blocks:
        label = block.label
        graph.add_nodes_from(
            (keys[i], {"label": label})
            for i in range(block.base, block.base + block.size)
            if keys[i] is not None
        )
    sources = [keys[i] for i in rows.tolist()]
    targets = [keys[i] for i in cols.tolist()]
    if weighted:
        graph.add_weighted_edges_from(zip(sources, targets, data.tolist(), strict=True))
    else:
        graph.add_edges_from(zip(sources, targets, strict=True))
    return nx.freeze(graph)


def _node_index(projection: Projection) -> NodeIndex:
    return projection.cached(("networkx-index",), lambda: NodeIndex(projection))


def run_networkx(
    name: str,
    projection: Projection,
    orientation: Orientation | None,
    kwargs: Mapping[str, Any],
    progress: Progress,
) -> AlgoOutput:
    """Run catalog function ``name`` on ``projection`` and convert its result.

    ``kwargs`` are the function's keyword arguments as JSON gave them (checked again
    here); node arguments are primary keys (several labels: ``"Label:key"`` or
    ``[label, key]``). Raises :class:`NetworkXFailed` when NetworkX fails, an
    ``APIError`` for an argument naming no node, ``Cancelled`` when cancelled.
    """
    entry = networkx_function(name)
    orientation = check_orientation(entry, orientation)
    arguments = validate(entry.name, kwargs)
    progress.start("computing", message=f"building the NetworkX graph ({orientation})")
    parallel: Parallel = "min" if _DISTANCE_LIKE.search(entry.short_name) else "sum"
    graph = networkx_graph(projection, orientation, parallel=parallel)
    index = _node_index(projection)
    arguments = _node_arguments(entry, arguments, index, projection)
    if entry.mutates:
        graph = graph.copy()
    progress.start("computing", message=f"running networkx.{entry.short_name}")
    try:
        result, graph = _call(entry, graph, arguments)
        output = to_output(entry.short_name, result, index, progress)
    except (Cancelled, APIError):
        raise
    except Exception as err:  # NetworkX's errors, and its TypeErrors on bad arguments
        raise _failure(entry, orientation, err) from err
    output.stats.update(
        networkx_function=entry.name,
        orientation=orientation,
        graph_nodes=graph.number_of_nodes(),
        graph_edges=graph.number_of_edges(),
    )
    return output


def _call(entry: NetworkXFunction, graph: nx.Graph, arguments: dict[str, Any]) -> Any:
    """``entry.func(graph, **arguments)`` and the graph it ran on: a copy if the function
    turned out to change its graph without saying so (the cached graph is frozen)."""
    import networkx as nx

    try:
        return entry.func(graph, **arguments), graph
    except nx.NetworkXError as err:
        if not nx.is_frozen(graph) or "Frozen graph" not in str(err):
            raise
    entry.mutates = True  # from now on it gets a copy at once
    graph = graph.copy()
    return entry.func(graph, **arguments), graph


def _failure(entry: NetworkXFunction, orientation: Orientation, err: Exception) -> Exception:
    """What to raise for ``err``: a 400 for the wrong kind of graph, else
    :class:`NetworkXFailed` with NetworkX's message."""
    import networkx as nx

    message = _message(err)
    if isinstance(err, nx.NetworkXNotImplemented):
        kind = "undirected" if orientation == "undirected" else "directed"
        if f"not implemented for {kind}" in message:
            entry.learn_refusal(kind)
            need = "'natural' or 'reverse'" if kind == "undirected" else "'undirected'"
            return invalid(
                f"networkx.{entry.name} is {message} graphs, and orientation="
                f"{orientation!r} builds a{'n' if kind == 'undirected' else ''} {kind} "
                f"graph. Pass orientation={need}.",
                "orientation",
            )
    if isinstance(err, KeyError) and " " not in message:
        message = f"no node or attribute {message}"
    hint = ""
    if isinstance(err, (TypeError, AttributeError)):  # mostly an argument of the wrong type
        hint = f" Check the arguments' types; its signature is {entry.short_name}{entry.signature}."
    if isinstance(err, ModuleNotFoundError):
        hint = " That package is not installed on the instance."
    return NetworkXFailed(f"networkx.{entry.name} raised {type(err).__name__}: {message}.{hint}")


def _message(err: Exception) -> str:
    """The exception's own words (the last string argument when it has several)."""
    texts = [a for a in err.args if isinstance(a, str)]
    text = texts[-1] if len(err.args) > 1 and texts else str(err)
    return (text or "(no message)").rstrip(".").removesuffix(" type")


# -- node arguments -----------------------------------------------------------------------


def _node_arguments(
    entry: NetworkXFunction,
    arguments: dict[str, Any],
    index: NodeIndex,
    projection: Projection,
) -> dict[str, Any]:
    """Node arguments turned into graph nodes (400 for a single node that does not exist);
    dicts keyed by nodes (``personalization``, ``nstart``: JSON keys are strings) keyed by
    the nodes; ``weight=<the weight property>`` turned into the edge attribute ``weight``."""
    out = dict(arguments)
    kinds = {name: kind for name, (kind, _) in entry.parameter_docs.items()}
    for key, value in arguments.items():
        if key == "weight" and value is not None and value == projection.weight_property:
            out[key] = "weight"
            continue
        if isinstance(value, dict) and value:
            nodes = [index.find(k) for k in value]
            if all(node is not MISSING for node in nodes):
                out[key] = dict(zip(nodes, value.values(), strict=True))
            continue
        kind = kinds.get(key, "")
        if value is None or not (key in _NODE_NAMES or "node" in kind.lower()):
            continue
        if kind.lower().startswith(("int", "float", "bool", "str", "number")):
            continue
        strict = bool(_SINGLE_NODE.match(kind.lower())) and not isinstance(value, list)
        out[key] = _as_nodes(value, key, index, projection, strict=strict, depth=0)
    return out


def _as_nodes(
    value: Any,
    parameter: str,
    index: NodeIndex,
    projection: Projection,
    *,
    strict: bool,
    depth: int,
) -> Any:
    """``value`` with each node named by a key turned into the graph's node.

    A list is a node (``[label, key]``) or a list of node arguments (inner lists become
    tuples: pairs of nodes, sets of nodes); a value naming no node stays as it is
    (NetworkX decides), unless ``strict`` (a single-node parameter): then it is a 400
    naming the parameter.
    """
    node = index.find(value)
    if node is not MISSING:
        return node
    if isinstance(value, (list, tuple)):
        items = [
            _as_nodes(v, parameter, index, projection, strict=False, depth=depth + 1) for v in value
        ]
        return tuple(items) if depth else items
    if strict:
        return index.node_of(projection.resolve(value, parameter))  # 400 if no such node
    return value
