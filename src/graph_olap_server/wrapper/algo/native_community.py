"""Native components and communities: WCC (networkit), SCC (scipy), Louvain, label propagation,
k-core, triangles and clustering (networkit).

Group ids (``component``, ``community``) are numbered ``0..k-1`` in order of the first
node (by projection order) of each group. Triangles, clustering and k-core run on the
simple undirected graph: no self loops, parallel relationships (and ``a->b`` with
``b->a``) counted once, as NetworkX does on a ``Graph``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graph_olap_server.wrapper.algo.base import AlgoOutput, Orientation, Param, Progress
from graph_olap_server.wrapper.algo.dense_graph import Projection
from graph_olap_server.wrapper.algo.native_common import (
    NativeAlgorithm,
    modularity,
    native,
    renumber,
    scores,
    seed_networkit,
)

__all__ = ["ALGORITHMS"]


NETWORKIT_WCC_MAX_EDGES = 10_000_000
"""Above this many relationships WCC runs on scipy: networkit's graph, built on the first
run, grows faster than linearly (scale curve, 2 cores: first WCC 0.4 s at 5M, 2.5 s at
20M and 10.0 s at 50M relationships, against scipy's 0.5 s, 2.0 s and 6.9 s) and holds
the graph a second time in memory."""


def _weak_labels(p: Projection) -> np.ndarray:
    """A component label per dense id: networkit's parallel connected components over the
    natural CSR read as undirected. Its graph is built once per projection (0.2 s at 5M
    relationships on 2 cores, with the CSR 0.3 s) and cached; each run then takes 0.1 s,
    where scipy's weak components take 0.3 s on every call. Above
    :data:`NETWORKIT_WCC_MAX_EDGES` relationships, scipy's."""
    if p.m > NETWORKIT_WCC_MAX_EDGES:
        from scipy.sparse.csgraph import connected_components

        csr = p.csr("natural", weighted=False)
        return np.asarray(connected_components(csr, directed=True, connection="weak")[1])
    import networkit as nk

    graph = p.cached(
        ("networkit", "weak components"),
        lambda: nk.graph.GraphFromCsr(
            p.csr("natural", weighted=False), directed=False, weighted=False
        ),
    )
    components = nk.components.ParallelConnectedComponents(graph)
    components.run()
    return np.asarray(components.getPartition().getVector(), dtype=np.int64)


def _components(p: Projection, connection: str, progress: Progress) -> AlgoOutput:
    from scipy.sparse.csgraph import connected_components

    progress.start("computing", total=1)
    if connection == "weak":
        labels = _weak_labels(p)
    else:
        _, labels = connected_components(
            p.csr("natural", weighted=False), directed=True, connection=connection
        )
    component, count = renumber(labels, p.present)
    progress.step()
    sizes = np.bincount(component[component >= 0], minlength=1)
    stats = {"component_count": count, "largest": int(sizes.max())}
    return AlgoOutput(columns={"component": component}, stats=stats)


@native(
    "wcc",
    "Weakly connected components",
    "Groups of nodes joined by relationships in either direction; column component "
    "numbers each group (0, 1, ... in order of the group's first node). The orientation "
    "does not change the result.",
    result_columns=("component",),
    default_orientation="undirected",
)
def wcc(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    return _components(p, "weak", progress)


@native(
    "scc",
    "Strongly connected components",
    "Groups of nodes that reach each other following relationships in their direction; "
    "column component numbers each group (0, 1, ... in order of the group's first node).",
    result_columns=("component",),
    default_orientation="natural",
    orientations=("natural",),
)
def scc(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    return _components(p, "strong", progress)


def _community_output(
    p: Projection, raw: np.ndarray, resolution: float, stats: dict[str, Any]
) -> AlgoOutput:
    community, count = renumber(raw, p.present)
    stats = {
        "community_count": count,
        "modularity": modularity(p, community, resolution),
        **stats,
    }
    return AlgoOutput(columns={"community": community}, stats=stats)


@native(
    "louvain",
    "Louvain communities",
    "Communities that maximise modularity (more relationships inside communities than "
    "chance predicts). method='leiden' (default) runs networkit's parallel Leiden, the "
    "Louvain method with Leiden's refinement step: on 5M relationships it was 1.4-5x faster "
    "than method='plm', with the same modularity on graphs that have communities and 3-7% "
    "lower on structureless random ones (karate, Les Miserables, Florentine families: "
    "within 0.3% of NetworkX's louvain_communities or above). method='plm' runs networkit's "
    "parallel Louvain with refinement (PLM). Runs on the undirected graph; with "
    "weight_property, on the summed weights. Column "
    "community numbers the communities; the summary gives community_count and the "
    "modularity at the given resolution (as networkx.community.modularity computes it).",
    parameters=(
        Param(
            "resolution",
            "float",
            1.0,
            "Higher gives more, smaller communities; lower fewer, larger ones.",
            minimum=0.0,
        ),
        Param(
            "max_iterations",
            "int",
            32,
            "Most node-moving rounds per level (method 'plm'); Leiden runs 3 iterations.",
            minimum=1,
        ),
        Param(
            "method",
            "str",
            "leiden",
            "'leiden' (parallel Leiden: faster, as good or better) or 'plm' (classic "
            "Louvain with refinement).",
            choices=("leiden", "plm"),
        ),
    ),
    result_columns=("community",),
    default_orientation="undirected",
    orientations=("undirected",),
    weighted=True,
)
def louvain(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    import networkit as nk

    graph = p.networkit("undirected")
    progress.start("computing", total=1)
    resolution = params["resolution"]
    if params["method"] == "leiden":
        method = nk.community.ParallelLeiden(graph, gamma=resolution)
    else:
        method = nk.community.PLM(
            graph, refine=True, gamma=resolution, maxIter=params["max_iterations"]
        )
    method.run()
    progress.step()
    raw = scores(method.getPartition().getVector(), p, np.int64)
    return _community_output(p, raw, resolution, {})


@native(
    "label_propagation",
    "Label propagation communities",
    "Communities found by label propagation (networkit PLP): every node starts alone and "
    "repeatedly takes the label most of its neighbours carry (weighted by weight_property "
    "if given) until few labels change. Fast, moderate quality; runs on the undirected "
    "graph. Column community; the summary gives community_count, modularity, iterations.",
    parameters=(
        Param("max_iterations", "int", 100, "Most propagation rounds.", minimum=1),
        Param("seed", "int", None, "Random seed (node order); best effort with threads."),
    ),
    result_columns=("community",),
    default_orientation="undirected",
    orientations=("undirected",),
    weighted=True,
)
def label_propagation(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    import networkit as nk

    graph = p.networkit("undirected")
    progress.start("computing", total=1)
    seed_networkit(params["seed"])
    method = nk.community.PLP(graph, maxIterations=params["max_iterations"])
    method.run()
    progress.step()
    raw = scores(method.getPartition().getVector(), p, np.int64)
    return _community_output(p, raw, 1.0, {"iterations": method.numberOfIterations()})


@native(
    "kcore",
    "k-core decomposition",
    "Core number of each node: the largest k such that the node belongs to a subgraph in "
    "which every node has at least k neighbours (networkit CoreDecomposition on the simple "
    "undirected graph; equal to networkx.core_number). Column core; the summary gives the "
    "graph's degeneracy (largest core number).",
    result_columns=("core",),
    default_orientation="undirected",
    orientations=("undirected",),
)
def kcore(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    import networkit as nk

    graph = p.networkit("undirected", weighted=False, loops=False)
    progress.start("computing", total=1)
    method = nk.centrality.CoreDecomposition(graph)
    method.run()
    progress.step()
    core = scores(method.scores(), p, np.int64)
    present = core[p.present]
    return AlgoOutput(
        columns={"core": core}, stats={"degeneracy": int(present.max()) if len(present) else 0}
    )


def _triangles(p: Projection, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    """Clustering coefficient and triangle count per dense id (simple undirected graph)."""
    import networkit as nk

    graph = p.networkit("undirected", weighted=False, loops=False)
    progress.start("computing", total=1)
    method = nk.centrality.LocalClusteringCoefficient(graph, turbo=True)
    method.run()
    degrees = nk.centrality.DegreeCentrality(graph)
    degrees.run()
    progress.step()
    clustering = scores(method.scores(), p)
    degree = scores(degrees.scores(), p)
    wedges = degree * (degree - 1) / 2.0
    return clustering, np.rint(clustering * wedges).astype(np.int64)


@native(
    "triangle_count",
    "Triangle count",
    "Number of triangles each node belongs to, on the simple undirected graph (self loops "
    "ignored, parallel relationships counted once; equal to networkx.triangles). Column "
    "triangles; the summary gives the graph's total.",
    result_columns=("triangles",),
    default_orientation="undirected",
    orientations=("undirected",),
)
def triangle_count(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    _, triangles = _triangles(p, progress)
    total = int(triangles[p.present].sum()) // 3
    return AlgoOutput(columns={"triangles": triangles}, stats={"triangles": total})


@native(
    "local_clustering_coefficient",
    "Local clustering coefficient",
    "Share of a node's pairs of neighbours that are themselves linked (triangles / "
    "possible triangles; 0 with fewer than two neighbours), on the simple undirected graph "
    "(equal to networkx.clustering). Column clustering; the summary gives the average "
    "over all nodes (networkx.average_clustering).",
    result_columns=("clustering",),
    default_orientation="undirected",
    orientations=("undirected",),
)
def local_clustering_coefficient(
    p: Projection, params: dict[str, Any], orientation: Orientation, progress: Progress
) -> AlgoOutput:
    clustering, _ = _triangles(p, progress)
    present = clustering[p.present]
    average = float(present.mean()) if len(present) else 0.0
    return AlgoOutput(columns={"clustering": clustering}, stats={"average": average})


ALGORITHMS: tuple[NativeAlgorithm, ...] = (
    wcc,
    scc,
    louvain,
    label_propagation,
    kcore,
    triangle_count,
    local_clustering_coefficient,
)
