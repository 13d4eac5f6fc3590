"""Native shortest paths (scipy csgraph): one pair, or every node from one source.

With ``weight_property`` a path's length is the sum of its weights (Dijkstra; parallel
relationships count with their lightest weight; negative weights are refused), else the
number of relationships (breadth-first search). Distances are float64.

>>> from graph_olap_server.wrapper.algo.base import Progress
>>> p = Projection.from_arrays([0, 1, 0], [1, 2, 3], keys=["a", "b", "c", "d"])
>>> shortest_path.run(p, {"source": "a", "target": "c"}, None, Progress()).table.to_pydict()
{'step': [0, 1, 2], 'id': ['a', 'b', 'c'], 'distance': [0.0, 1.0, 2.0]}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from graph_olap_server.wrapper.algo.base import AlgoOutput, Orientation, Param, Progress, invalid
from graph_olap_server.wrapper.algo.dense_graph import Projection
from graph_olap_server.wrapper.algo.native_common import NativeAlgorithm, native

__all__ = ["ALGORITHMS"]

_SOURCE = Param("source", "node", None, "Primary key of the start node.", required=True)
_TARGET = Param("target", "node", None, "Primary key of the end node.", required=True)


def _hops(predecessors: np.ndarray, source: int) -> np.ndarray:
    """Breadth-first depths from a predecessor tree (pointer jumping; inf: unreached)."""
    has_parent = predecessors >= 0
    jump = np.where(has_parent, predecessors, source)
    depth = has_parent.astype(np.int64)  # invariant: depth[v] = hops from v to jump[v]
    while True:
        further = jump[jump]
        if np.array_equal(further, jump):
            break
        depth = depth + depth[jump]
        jump = further
    out = depth.astype(np.float64)
    out[~has_parent] = np.inf
    out[source] = 0.0
    return out


def _search(p: Projection, source: int, orientation: Orientation) -> tuple[np.ndarray, np.ndarray]:
    """Distances (inf: unreachable) and predecessors (< 0: none) from ``source``."""
    from scipy.sparse import csgraph

    if p.weight is None:
        matrix = p.csr(orientation, weighted=False)
        _, predecessors = csgraph.breadth_first_order(
            matrix, source, directed=True, return_predecessors=True
        )
        return _hops(predecessors, source), predecessors
    matrix = p.csr(orientation, parallel="min")
    if matrix.nnz and float(matrix.data.min()) < 0:
        raise invalid(
            f"weight_property {p.weight_property!r} has negative values; shortest paths "
            "need weights >= 0.",
            "weight_property",
        )
    distances, predecessors = csgraph.dijkstra(
        matrix, directed=True, indices=source, return_predecessors=True
    )
    return np.asarray(distances, dtype=np.float64), np.asarray(predecessors)


@native(
    "shortest_path",
    "Shortest path between two nodes",
    "One shortest path from source to target: a table with one row per node on the path "
    "(step 0 is the source), its key, and the distance from the source. Lengths count "
    "relationships, or add up weight_property (Dijkstra) when given. No path: an empty "
    "table and found false in the summary.",
    parameters=(_SOURCE, _TARGET),
    result_columns=("step", "distance"),
    default_orientation="natural",
    weighted=True,
    modes=("stream",),
)
def shortest_path(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    source = p.resolve(params["source"], "source")
    target = p.resolve(params["target"], "target")
    progress.start("computing", total=1)
    distances, predecessors = _search(p, source, orientation)
    progress.step()
    path: list[int] = []
    if np.isfinite(distances[target]):
        node = target
        while node != source:
            path.append(node)
            node = int(predecessors[node])
        path.append(source)
        path.reverse()
    ids = np.array(path, dtype=np.int64)
    table = pa.table(
        {
            "step": pa.array(np.arange(len(ids), dtype=np.int64)),
            **p.key_columns(ids),
            "distance": pa.array(distances[ids], type=pa.float64()),
        }
    )
    stats: dict[str, Any] = {"found": bool(path)}
    if path:
        stats.update(distance=float(distances[target]), hops=len(path) - 1)
    return AlgoOutput(table=table, stats=stats)


@native(
    "single_source_shortest_paths",
    "Shortest path lengths from one node",
    "Distance from source to every node it reaches (column distance; unreachable nodes "
    "are left out). Lengths count relationships, or add up weight_property (Dijkstra) "
    "when given.",
    parameters=(_SOURCE,),
    result_columns=("distance",),
    default_orientation="natural",
    weighted=True,
)
def single_source_shortest_paths(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    source = p.resolve(params["source"], "source")
    progress.start("computing", total=1)
    distances, _ = _search(p, source, orientation)
    progress.step()
    reached = np.isfinite(distances)
    distances[~reached] = np.nan
    stats = {"reached": int(reached.sum()), "max_distance": float(distances[reached].max())}
    return AlgoOutput(columns={"distance": distances}, keep=reached, stats=stats)


ALGORITHMS: tuple[NativeAlgorithm, ...] = (shortest_path, single_source_shortest_paths)
