"""Native algorithms against NetworkX on its classic graphs (no engine involved).

Each test builds a :class:`Projection` from a NetworkX graph's edges, runs the native
algorithm, keys the result by node as the API does, and compares with NetworkX.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np
import pytest

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.algo import native_community
from graph_olap_server.wrapper.algo.base import AlgoOutput, Progress
from graph_olap_server.wrapper.algo.native import NATIVE, native_catalog, native_info
from graph_olap_server.wrapper.algo.projection import Projection


def projection_of(graph: nx.Graph, weight: str | None = None) -> Projection:
    """Each NetworkX edge once as a natural edge (undirected graphs: as listed)."""
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    src = [index[u] for u, _, _ in edges]
    dst = [index[v] for _, v, _ in edges]
    w = [float(d.get(weight, 1.0)) for _, _, d in edges] if weight else None
    return Projection.from_arrays(src, dst, w, keys=[str(n) for n in nodes], key_name="node")


def run(name: str, p: Projection, orientation: str | None = None, **params: Any) -> AlgoOutput:
    algorithm = native_info(name)
    return algorithm.run(p, algorithm.coerce(params), orientation, Progress())  # type: ignore[arg-type]


def keyed(p: Projection, output: AlgoOutput, column: str) -> dict[str, Any]:
    assert output.columns is not None
    table = p.result_table(output.columns, output.keep)
    keys, values = table.column("node").to_pylist(), table.column(column).to_pylist()
    return dict(zip(keys, values, strict=True))


def as_str(values: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in values.items()}


def partition(groups: dict[str, int]) -> set[frozenset[str]]:
    out: dict[int, set[str]] = {}
    for node, group in groups.items():
        out.setdefault(group, set()).add(node)
    return {frozenset(s) for s in out.values()}


def random_digraph(n: int = 60, p: float = 0.04, seed: int = 3) -> nx.DiGraph:
    graph = nx.gnp_random_graph(n, p, seed=seed, directed=True)
    assert any(graph.out_degree(v) == 0 for v in graph)  # dangling nodes present
    return graph


KARATE = nx.karate_club_graph()
LES_MIS = nx.les_miserables_graph()
FLORENTINE = nx.florentine_families_graph()


# ----------------------------------------------------------------------------- catalog


def test_catalog_describes_every_algorithm() -> None:
    expected = {
        "pagerank",
        "wcc",
        "scc",
        "louvain",
        "label_propagation",
        "kcore",
        "triangle_count",
        "local_clustering_coefficient",
        "betweenness",
        "degree",
        "shortest_path",
        "single_source_shortest_paths",
    }
    assert set(NATIVE) == expected
    assert [a.name for a in native_catalog()] == sorted(expected)
    for algorithm in native_catalog():
        info = algorithm.info
        assert info.kind == "native" and len(info.description) > 60, info.name
        assert info.default_orientation in info.orientations
        assert info.result_columns
        assert all(p.description for p in info.parameters), info.name
    assert native_info("scc").info.orientations == ("natural",)
    assert native_info("louvain").info.default_orientation == "undirected"
    assert native_info("pagerank").info.weighted and not native_info("wcc").info.weighted


def test_unknown_algorithm_is_404_with_suggestions() -> None:
    with pytest.raises(APIError) as err:
        native_info("pagernk")
    assert err.value.status_code == 404 and err.value.code == "ALGORITHM_NOT_FOUND"
    assert "pagerank" in err.value.details["suggestions"]


def test_bad_parameter_and_orientation_are_400() -> None:
    with pytest.raises(APIError) as err:
        native_info("pagerank").coerce({"damping": 0.5})
    assert err.value.status_code == 400 and err.value.details["parameter"] == "damping"
    with pytest.raises(APIError) as err:
        run("scc", projection_of(KARATE), "undirected")
    assert err.value.details["parameter"] == "orientation"


# ----------------------------------------------------------------------------- pagerank


@pytest.mark.parametrize(
    ("graph", "weight", "orientation"),
    [
        (KARATE, None, "undirected"),
        (LES_MIS, "weight", "undirected"),
        (random_digraph(), None, "natural"),
        (random_digraph(seed=5), None, "reverse"),
    ],
)
def test_pagerank_matches_networkx(graph: nx.Graph, weight: str | None, orientation: str) -> None:
    p = projection_of(graph, weight)
    output = run("pagerank", p, orientation)
    reference = graph.reverse() if orientation == "reverse" else graph
    expected = as_str(nx.pagerank(reference, weight=weight, tol=1e-12, max_iter=1000))
    got = keyed(p, output, "pagerank")
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in got) < 1e-6
    assert output.stats["converged"] and output.stats["iterations"] > 1


def test_pagerank_weighted_directed_and_not_converged() -> None:
    graph = random_digraph(seed=11)
    rng = np.random.default_rng(1)
    for u, v in graph.edges:
        graph[u][v]["w"] = float(rng.integers(1, 10))
    p = projection_of(graph, "w")
    got = keyed(p, run("pagerank", p), "pagerank")
    expected = as_str(nx.pagerank(graph, weight="w", tol=1e-12, max_iter=1000))
    assert max(abs(got[k] - expected[k]) for k in got) < 1e-6
    short = run("pagerank", p, max_iterations=2)
    assert short.stats == {**short.stats, "iterations": 2, "converged": False}


def test_pagerank_ignores_holes() -> None:
    # node "x" was deleted: a hole between a and b in the key order
    p = Projection.from_arrays([0, 2, 3], [2, 3, 0], keys=["a", None, "b", "c"], key_name="node")
    got = keyed(p, run("pagerank", p), "node")
    assert set(got) == {"a", "b", "c"}
    values = keyed(p, run("pagerank", p), "pagerank")
    assert sum(values.values()) == pytest.approx(1.0)
    assert values["a"] == pytest.approx(1 / 3)


# ----------------------------------------------------------------------------- components


@pytest.mark.parametrize("library", ["networkit", "scipy"])
def test_wcc_and_scc_match_networkx(library: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if library == "scipy":  # what graphs over NETWORKIT_WCC_MAX_EDGES relationships use
        monkeypatch.setattr(native_community, "NETWORKIT_WCC_MAX_EDGES", 0)
    graph = random_digraph(80, 0.02, seed=7)
    p = projection_of(graph)
    weak = run("wcc", p)
    expected = {frozenset(map(str, c)) for c in nx.weakly_connected_components(graph)}
    assert partition(keyed(p, weak, "component")) == expected
    assert weak.stats["component_count"] == len(expected)
    assert weak.stats["largest"] == max(len(c) for c in expected)
    strong = run("scc", p)
    expected = {frozenset(map(str, c)) for c in nx.strongly_connected_components(graph)}
    assert partition(keyed(p, strong, "component")) == expected
    assert strong.stats["component_count"] == len(expected)


@pytest.mark.parametrize("library", ["networkit", "scipy"])
def test_component_ids_are_dense_and_skip_holes(
    library: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if library == "scipy":
        monkeypatch.setattr(native_community, "NETWORKIT_WCC_MAX_EDGES", 0)
    p = Projection.from_arrays([2, 4], [3, 0], keys=["a", None, "c", "d", "e"], key_name="node")
    output = run("wcc", p)
    assert keyed(p, output, "component") == {"a": 0, "e": 0, "c": 1, "d": 1}
    assert output.stats["component_count"] == 2


# ----------------------------------------------------------------------------- communities


@pytest.mark.parametrize("method", ["leiden", "plm"])
@pytest.mark.parametrize(
    ("graph", "weight"), [(KARATE, None), (LES_MIS, "weight"), (FLORENTINE, None)]
)
def test_louvain_modularity_close_to_networkx(
    graph: nx.Graph, weight: str | None, method: str
) -> None:
    p = projection_of(graph, weight)
    output = run("louvain", p, method=method)
    communities = keyed(p, output, "community")
    groups = [set(c) for c in partition(communities)]
    relabelled = nx.relabel_nodes(graph, str)
    ours = nx.community.modularity(relabelled, groups, weight=weight)
    assert output.stats["modularity"] == pytest.approx(ours, abs=1e-9)
    assert output.stats["community_count"] == len(groups)
    theirs = max(
        nx.community.modularity(
            graph,
            nx.community.louvain_communities(graph, weight=weight, seed=seed),
            weight=weight,
        )
        for seed in range(3)
    )
    assert ours >= theirs * 0.98


@pytest.mark.parametrize("method", ["leiden", "plm"])
def test_louvain_resolution_changes_the_communities(method: str) -> None:
    p = projection_of(LES_MIS, "weight")
    coarse = run("louvain", p, resolution=0.2, method=method).stats["community_count"]
    fine = run("louvain", p, resolution=3.0, method=method).stats["community_count"]
    assert coarse < fine


def test_label_propagation_finds_separate_cliques() -> None:
    graph = nx.disjoint_union(nx.complete_graph(6), nx.complete_graph(5))
    p = projection_of(graph)
    output = run("label_propagation", p, seed=1)
    got = partition(keyed(p, output, "community"))
    assert got == {frozenset(map(str, range(6))), frozenset(map(str, range(6, 11)))}
    groups = [set(g) for g in got]
    expected_q = nx.community.modularity(nx.relabel_nodes(graph, str), groups)
    assert output.stats["modularity"] == pytest.approx(expected_q)
    assert output.stats["community_count"] == 2


# ----------------------------------------------------------------------------- structure


def messy_graph() -> tuple[Projection, nx.Graph]:
    """A directed edge list with self loops, parallel and reciprocal edges; and the
    simple undirected NetworkX graph it means for k-core, triangles and clustering."""
    rng = np.random.default_rng(4)
    src = rng.integers(0, 40, 220)
    dst = rng.integers(0, 40, 220)
    src = np.concatenate([src, [3, 3, 5]])
    dst = np.concatenate([dst, [3, 3, 5]])
    p = Projection.from_arrays(src, dst, keys=[str(i) for i in range(40)], key_name="node")
    simple = nx.Graph()
    simple.add_nodes_from(range(40))
    simple.add_edges_from((int(a), int(b)) for a, b in zip(src, dst, strict=True) if a != b)
    return p, nx.relabel_nodes(simple, str)


@pytest.mark.parametrize("case", ["karate", "les_mis", "messy"])
def test_kcore_triangles_clustering_match_networkx(case: str) -> None:
    if case == "messy":
        p, graph = messy_graph()
    else:
        source = KARATE if case == "karate" else LES_MIS
        p, graph = projection_of(source), nx.relabel_nodes(source, str)
    assert keyed(p, run("kcore", p), "core") == nx.core_number(graph)
    triangles = run("triangle_count", p)
    assert keyed(p, triangles, "triangles") == nx.triangles(graph)
    assert triangles.stats["triangles"] == sum(nx.triangles(graph).values()) // 3
    clustering = run("local_clustering_coefficient", p)
    got = keyed(p, clustering, "clustering")
    expected = nx.clustering(graph)
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-12
    assert clustering.stats["average"] == pytest.approx(nx.average_clustering(graph))


# ----------------------------------------------------------------------------- centrality


@pytest.mark.parametrize(
    ("graph", "weight", "orientation"),
    [
        (KARATE, None, "undirected"),
        (random_digraph(), None, "natural"),
        (LES_MIS, "weight", "undirected"),
        (FLORENTINE, None, "undirected"),
    ],
)
def test_betweenness_exact_matches_networkx(
    graph: nx.Graph, weight: str | None, orientation: str
) -> None:
    p = projection_of(graph, weight)
    output = run("betweenness", p, orientation)
    got = keyed(p, output, "betweenness")
    expected = as_str(nx.betweenness_centrality(graph, weight=weight))
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-9
    assert output.stats["exact"] is True


def test_betweenness_sampled_estimates() -> None:
    graph = nx.barabasi_albert_graph(300, 2, seed=2)
    p = projection_of(graph)
    output = run("betweenness", p, "undirected", samples=150, seed=1)
    assert output.stats == {"exact": False, "samples": 150}
    got = keyed(p, output, "betweenness")
    expected = as_str(nx.betweenness_centrality(graph))
    top = sorted(expected, key=expected.__getitem__)[-5:]
    assert sum(got[k] for k in top) == pytest.approx(sum(expected[k] for k in top), rel=0.25)


@pytest.mark.parametrize("orientation", ["natural", "reverse", "undirected"])
def test_degree_counts_parallel_edges_and_weights(orientation: str) -> None:
    multi = nx.MultiDiGraph()
    multi.add_nodes_from(range(6))
    edges = [(0, 1, 2.0), (0, 1, 3.0), (1, 2, 1.0), (2, 2, 4.0), (3, 0, 0.5), (4, 3, 1.0)]
    multi.add_weighted_edges_from(edges)
    src, dst, w = zip(*edges, strict=True)
    plain = Projection.from_arrays(src, dst, keys=[str(i) for i in range(6)], key_name="node")
    heavy = Projection.from_arrays(src, dst, w, keys=[str(i) for i in range(6)], key_name="node")
    view = {"natural": multi.out_degree, "reverse": multi.in_degree, "undirected": multi.degree}
    expected = view[orientation]
    got = keyed(plain, run("degree", plain, orientation), "degree")
    assert got == {str(k): v for k, v in expected()}
    got_w = keyed(heavy, run("degree", heavy, orientation), "degree")
    assert got_w == pytest.approx({str(k): v for k, v in expected(weight="weight")})


# ----------------------------------------------------------------------------- paths


def test_shortest_paths_match_networkx_unweighted_and_weighted() -> None:
    graph = random_digraph(70, 0.05, seed=9)
    p = projection_of(graph)
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    checked = 0
    for s in range(0, 70, 7):
        for t in range(3, 70, 11):
            output = run("shortest_path", p, source=str(s), target=str(t))
            assert output.table is not None
            rows = output.table.to_pylist()
            if t not in lengths[s]:
                assert rows == [] and output.stats["found"] is False
                continue
            checked += 1
            assert rows[0]["node"] == str(s) and rows[-1]["node"] == str(t)
            assert rows[-1]["distance"] == lengths[s][t] == len(rows) - 1
            assert all(
                graph.has_edge(int(a["node"]), int(b["node"])) for a, b in itertools.pairwise(rows)
            )
    assert checked > 10

    weighted = projection_of(LES_MIS, "weight")
    for s, t in [("Valjean", "Napoleon"), ("Cosette", "Gavroche"), ("Myriel", "Myriel")]:
        output = run("shortest_path", weighted, "undirected", source=s, target=t)
        rows = output.table.to_pylist()  # type: ignore[union-attr]
        expected = nx.dijkstra_path_length(LES_MIS, s, t, weight="weight")
        assert rows[-1]["distance"] == pytest.approx(expected)
        assert output.table.column_names == ["step", "node", "distance"]  # type: ignore[union-attr]
        hops = sum(LES_MIS[a["node"]][b["node"]]["weight"] for a, b in itertools.pairwise(rows))
        assert hops == pytest.approx(expected)


def test_single_source_shortest_paths_match_networkx() -> None:
    graph = random_digraph(70, 0.03, seed=2)
    p = projection_of(graph)
    output = run("single_source_shortest_paths", p, source="0")
    assert keyed(p, output, "distance") == as_str(nx.single_source_shortest_path_length(graph, 0))
    weighted = projection_of(LES_MIS, "weight")
    output = run("single_source_shortest_paths", weighted, "undirected", source="Valjean")
    got = keyed(weighted, output, "distance")
    expected = nx.single_source_dijkstra_path_length(LES_MIS, "Valjean", weight="weight")
    assert got == pytest.approx(expected)
    assert output.stats["reached"] == len(expected)


def test_paths_use_the_lightest_parallel_edge_and_refuse_negative_weights() -> None:
    p = Projection.from_arrays([0, 0, 1], [1, 1, 2], [5.0, 2.0, 0.0], keys=["a", "b", "c"])
    out = run("shortest_path", p, source="a", target="c")
    assert out.table.column("distance").to_pylist() == [0.0, 2.0, 2.0]  # type: ignore[union-attr]
    negative = Projection.from_arrays([0], [1], [-1.0], keys=["a", "b"])
    with pytest.raises(APIError) as err:
        run("single_source_shortest_paths", negative, source="a")
    assert err.value.details["parameter"] == "weight_property"
    with pytest.raises(APIError) as err:
        run("shortest_path", p, source="a", target="zz")
    assert err.value.details["parameter"] == "target" and "'zz'" in err.value.message


# ----------------------------------------------------------------------------- holes, edge cases


def with_holes(graph: nx.Graph, weight: str | None = None) -> Projection:
    """``graph`` with a hole (a deleted node's offset) before every node."""
    nodes = list(graph)
    index = {node: 2 * i + 1 for i, node in enumerate(nodes)}
    keys: list[str | None] = []
    for node in nodes:
        keys += [None, str(node)]
    edges = list(graph.edges(data=True))
    src = [index[u] for u, _, _ in edges]
    dst = [index[v] for _, v, _ in edges]
    w = [float(d[weight]) for _, _, d in edges] if weight else None
    return Projection.from_arrays(src, dst, w, keys=keys, key_name="node")


def test_holes_change_nothing() -> None:
    p = with_holes(LES_MIS, "weight")
    assert p.n == 2 * len(LES_MIS) and p.node_count == len(LES_MIS)
    between = keyed(p, run("betweenness", p, "undirected"), "betweenness")
    expected = nx.betweenness_centrality(LES_MIS, weight="weight")
    assert max(abs(between[k] - expected[k]) for k in expected) < 1e-9
    ranks = keyed(p, run("pagerank", p, "undirected"), "pagerank")
    expected = nx.pagerank(LES_MIS, weight="weight", tol=1e-12, max_iter=1000)
    assert max(abs(ranks[k] - expected[k]) for k in expected) < 1e-6
    assert keyed(p, run("kcore", p), "core") == nx.core_number(LES_MIS)
    assert keyed(p, run("triangle_count", p), "triangles") == nx.triangles(LES_MIS)
    louvain = run("louvain", p)
    groups = [set(g) for g in partition(keyed(p, louvain, "community"))]
    assert louvain.stats["modularity"] == pytest.approx(
        nx.community.modularity(LES_MIS, groups, weight="weight")
    )
    assert run("wcc", p).stats["component_count"] == 1
    sampled = run("betweenness", p, "undirected", samples=30, seed=3)
    assert set(keyed(p, sampled, "betweenness")) == set(LES_MIS)


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_empty_edgeless_and_hole_only_graphs(name: str) -> None:
    names = {param.name for param in native_info(name).info.parameters}
    params = {k: "a" for k in ("source", "target") if k in names}
    empty = Projection(blocks=[], src=np.zeros(0, np.int64), dst=np.zeros(0, np.int64))
    edgeless = Projection.from_arrays([], [], keys=["a", None, "b"], key_name="node")
    only_holes = Projection.from_arrays([], [], keys=[None, None], key_name="node")
    for p in (empty, edgeless, only_holes):
        if params and not p.node_count:
            with pytest.raises(APIError):
                run(name, p, **params)
            continue
        output = run(name, p, **params)
        if output.columns is not None:
            table = p.result_table(output.columns, output.keep)
            expected_rows = 1 if params else p.node_count  # only the source is reachable
            assert table.num_rows == expected_rows
        else:
            assert output.table is not None and output.table.num_rows == 1  # a -> a
