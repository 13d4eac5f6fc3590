"""Native centralities: PageRank (scipy power iteration), degree (numpy), betweenness
(networkit).

PageRank follows ``networkx.pagerank`` step for step (row-normalised weights, dangling
nodes' rank spread uniformly, L1 convergence test ``err < n * tolerance``), so the two
agree to the tolerance; at 1M nodes / 5M relationships the scipy iteration is 6x faster
than networkit's PageRank and 12x faster than igraph's, graph builds included
(docs/algorithms.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_olap_server.wrapper.algo.base import AlgoOutput, Orientation, Param, Progress
from graph_olap_server.wrapper.algo.dense_graph import Projection
from graph_olap_server.wrapper.algo.native_common import (
    NativeAlgorithm,
    native,
    scores,
    seed_networkit,
)

__all__ = ["ALGORITHMS"]

# betweenness runs exactly while nodes x relationships stays under this (about 40 s at
# networkit's ~2e-7 s per unit measured here), else it samples sources to fit it
BETWEENNESS_BUDGET = 200_000_000


@native(
    "pagerank",
    "PageRank",
    "Importance of each node from the links pointing to it: a random walker follows an "
    "outgoing relationship with probability damping_factor and jumps to a random node "
    "otherwise; a node's score is the share of time the walker spends there (scores sum "
    "to 1). Nodes without outgoing relationships pass their rank to every node. With "
    "weight_property, a node's rank is split in proportion to its relationships' weights. "
    "Same results as networkx.pagerank.",
    parameters=(
        Param(
            "damping_factor",
            "float",
            0.85,
            "Probability of following a relationship rather than jumping.",
            minimum=0.0,
            maximum=1.0,
        ),
        Param("max_iterations", "int", 100, "Most power iterations to run.", minimum=1),
        Param(
            "tolerance",
            "float",
            1e-10,
            "Convergence: stop when the L1 change of the scores is below nodes x tolerance.",
            minimum=0.0,
        ),
    ),
    result_columns=("pagerank",),
    default_orientation="natural",
    weighted=True,
)
def pagerank(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    alpha = params["damping_factor"]
    max_iterations, tolerance = params["max_iterations"], params["tolerance"]
    count = p.node_count
    progress.start("computing", total=max_iterations, message="power iteration")
    if count == 0:
        return AlgoOutput(columns={"pagerank": np.zeros(p.n)}, stats={"iterations": 0})
    matrix = p.csr(orientation)
    out_weight = np.asarray(matrix.sum(axis=1)).reshape(-1)
    share = np.divide(1.0, out_weight, out=np.zeros(p.n), where=out_weight != 0)
    dangling = (out_weight == 0) & p.present
    jump = p.present / count
    x = jump.copy()
    converged, iterations, error = False, 0, float("nan")
    for iterations in range(1, max_iterations + 1):
        last = x
        x = (last * share) @ matrix  # rank flowing along each relationship
        x += last[dangling].sum() * jump
        x *= alpha
        x += (1 - alpha) * jump
        error = float(np.abs(x - last).sum())
        progress.step(message=f"iteration {iterations}: change {error:.3g}")
        if error < count * tolerance:
            converged = True
            break
    return AlgoOutput(
        columns={"pagerank": x},
        stats={"iterations": iterations, "converged": converged, "last_change": error},
    )


@native(
    "degree",
    "Degree",
    "Number of relationships at each node: outgoing with orientation 'natural', "
    "incoming with 'reverse', both with 'undirected' (a self loop counts twice). With "
    "weight_property, the sum of the relationships' weights instead.",
    result_columns=("degree",),
    default_orientation="natural",
    weighted=True,
)
def degree(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    del params
    progress.start("computing", total=1)
    weight = p.weight
    if orientation == "natural":
        ends = [p.src]
    elif orientation == "reverse":
        ends = [p.dst]
    else:
        ends = [p.src, p.dst]
    values = sum(np.bincount(e, weights=weight, minlength=p.n) for e in ends)
    column = np.asarray(values, dtype=np.float64 if weight is not None else np.int64)
    progress.step()
    present = column[p.present]
    stats = {"max": present.max().item() if len(present) else 0}
    stats["mean"] = float(present.mean()) if len(present) else 0.0
    return AlgoOutput(columns={"degree": column}, stats=stats)


@native(
    "betweenness",
    "Betweenness centrality",
    "Share of shortest paths between other nodes that pass through each node, normalised "
    "like networkx.betweenness_centrality (divided by (n-1)(n-2), and by half that on "
    "undirected graphs). With weight_property, path lengths are sums of weights (parallel "
    "relationships: the lightest). Exact (Brandes) when nodes x relationships is at most "
    "200 million; above that, or when samples is given, estimated from that many sampled "
    "source nodes (networkit EstimateBetweenness).",
    parameters=(
        Param(
            "samples",
            "int",
            None,
            "Source nodes to sample; default: exact when affordable, else as many as fit "
            "the budget (at least 50).",
            minimum=1,
        ),
        Param("seed", "int", None, "Random seed of the sampling."),
    ),
    result_columns=("betweenness",),
    default_orientation="natural",
    weighted=True,
)
def betweenness(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    import networkit as nk

    count = p.node_count
    if count == 0:  # networkit aborts the process on a graph without nodes
        progress.start("computing", total=1)
        empty = {"exact": True, "samples": None}
        return AlgoOutput(columns={"betweenness": np.zeros(p.n)}, stats=empty)
    graph = p.networkit(orientation, parallel="min")
    samples = params["samples"]
    if samples is None and count * max(p.m, 1) > BETWEENNESS_BUDGET:
        samples = max(50, BETWEENNESS_BUDGET // max(p.m, 1))
    exact = samples is None or samples >= count
    progress.start("computing", total=1, message="exact" if exact else f"{samples} samples")
    if exact:
        algorithm: Any = nk.centrality.Betweenness(graph, normalized=True)
    else:
        seed_networkit(params["seed"])
        algorithm = nk.centrality.EstimateBetweenness(
            graph, samples, normalized=True, parallel=True
        )
    algorithm.run()
    progress.step()
    stats: dict[str, Any] = {"exact": exact, "samples": None if exact else samples}
    return AlgoOutput(columns={"betweenness": scores(algorithm.scores(), p)}, stats=stats)


ALGORITHMS: tuple[NativeAlgorithm, ...] = (pagerank, degree, betweenness)
