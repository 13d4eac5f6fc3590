"""``conn.networkx`` on the wrapper side: catalog, checks, size guard, runs and results.

Projections are built from the sample warehouse's ``classic`` tables (read with DuckDB)
or from plain arrays; expected values come from NetworkX run on NetworkX's own copies of
the same graphs (``nx.karate_club_graph()``, ...), never from the code under test.
"""

from __future__ import annotations

import ctypes
import gc
import json
import math
import os
import sys
import threading
import time
from typing import Any

import duckdb
import networkx as nx
import numpy as np
import pytest

from graph_olap_server.errors import APIError
from graph_olap_server.warehouse import generate_sample_warehouse
from graph_olap_server.wrapper.algo import nx_results
from graph_olap_server.wrapper.algo.base import Cancelled, Progress
from graph_olap_server.wrapper.algo.dense_graph import Projection
from graph_olap_server.wrapper.algo.nx_bridge import (
    NetworkXFailed,
    catalog,
    check_size,
    estimate_seconds,
    networkx_graph,
    networkx_info,
    run_networkx,
    validate,
)
from graph_olap_server.wrapper.algo.nx_catalog import check_orientation, entries
from graph_olap_server.wrapper.algo.nx_cost import _COSTS
from graph_olap_server.wrapper.algo.nx_results import to_jsonable

KARATE = nx.karate_club_graph()
LESMIS = nx.les_miserables_graph()
FLORENTINE = nx.florentine_families_graph()


def _projection(duck: duckdb.DuckDBPyConnection, nodes: str, edges: str, **kw: Any) -> Projection:
    keys = [row[0] for row in duck.execute(f"SELECT * FROM classic.{nodes}").fetchall()]
    where = {key: i for i, key in enumerate(keys)}
    rows = duck.execute(f"SELECT * FROM classic.{edges}").fetchall()
    weight = [r[2] for r in rows] if len(rows[0]) > 2 else None
    return Projection.from_arrays(
        [where[r[0]] for r in rows], [where[r[1]] for r in rows], weight, keys=keys, **kw
    )


@pytest.fixture(scope="module")
def classic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Projection]:
    path = tmp_path_factory.mktemp("wh") / "sample.duckdb"
    generate_sample_warehouse(path)
    with duckdb.connect(str(path), read_only=True) as duck:
        return {
            "karate": _projection(duck, "karate_members", "karate_ties", key_name="member_id"),
            "lesmis": _projection(
                duck, "les_miserables_characters", "les_miserables_cooccurrences", key_name="name"
            ),
            "florentine": _projection(
                duck, "florentine_families", "florentine_marriages", key_name="family"
            ),
        }


def _run(name: str, projection: Projection, orientation: str | None = None, **kwargs: Any) -> Any:
    return run_networkx(name, projection, orientation, kwargs, Progress())  # type: ignore[arg-type]


def _by_key(projection: Projection, output: Any) -> dict[Any, Any]:
    table = projection.result_table(output.columns, output.keep).to_pylist()
    key, column = table[0].keys() if table else ("", "")
    return {row[key]: row[column] for row in table}


# -- the classic graphs in the sample warehouse ----------------------------------------------


def test_classic_tables_hold_networkx_graphs(classic: dict[str, Projection]) -> None:
    for graph, projection in zip((KARATE, LESMIS, FLORENTINE), classic.values(), strict=True):
        built = networkx_graph(projection, "undirected")
        assert set(built.nodes) == set(graph.nodes)
        assert {frozenset(e) for e in built.edges} == {frozenset(e) for e in graph.edges}
        assert projection.m == graph.number_of_edges()  # each undirected edge stored once
    karate = networkx_graph(classic["karate"], "undirected")
    assert all(karate[u][v]["weight"] == d["weight"] for u, v, d in KARATE.edges(data=True))
    assert (
        "weight"
        not in next(iter(networkx_graph(classic["florentine"], "natural").edges(data=True)))[2]
    )


# -- the catalog -----------------------------------------------------------------------------


def test_catalog_lists_hundreds_of_graph_functions_and_no_helpers() -> None:
    infos = catalog()
    assert len(infos) > 400
    assert {
        "pagerank", "betweenness_centrality", "density", "shortest_path", "find_cliques",
        "community.louvain_communities", "approximation.max_clique", "bipartite.sets",
        "flow.edmonds_karp", "number_connected_components", "degree",
    } <= set(infos)  # fmt: skip
    for helper in (
        "karate_club_graph", "complete_graph", "ego_graph", "read_edgelist", "write_edgelist",
        "draw", "spring_layout", "to_numpy_array", "from_pandas_edgelist", "relabel_nodes",
        "adjacency_matrix", "set_node_attributes", "double_edge_swap", "union", "compose",
        "complement", "is_isomorphic", "graph_edit_distance", "freeze", "subgraph",
    ):  # fmt: skip
        assert helper not in infos and f"community.{helper}" not in infos, helper
    for info in infos.values():
        assert info.kind == "networkx" and info.signature is not None
        assert info.orientations and info.default_orientation == info.orientations[0]
    json.dumps([i.to_api(full=True) for i in infos.values()], allow_nan=False)
    assert set(_COSTS) <= set(infos)  # the cost table uses catalog names


def test_info_describes_the_function_and_unknown_names_suggest() -> None:
    info = networkx_info("betweenness_centrality")
    assert info.description == "Compute the shortest-path betweenness centrality for nodes."
    assert info.signature == "(k=None, normalized=True, weight=None, endpoints=False, seed=None)"
    k = info.parameters[0]
    assert (k.name, k.type, k.default, k.required) == ("k", "any", None, False)
    assert k.description.startswith("int, optional (default=None): If `k` is not `None`")
    assert "Parameters\n----------" in (info.documentation or "")
    assert info.to_api()["documentation"] is None and info.to_api(full=True)["documentation"]
    assert info.weighted and info.default_property == "betweenness_centrality"
    has_path = networkx_info("has_path")
    assert [(p.name, p.required) for p in has_path.parameters] == [
        ("source", True),
        ("target", True),
    ]
    # a subpackage's function answers to its plain name when that is unambiguous
    assert networkx_info("louvain_communities").name == "community.louvain_communities"
    assert networkx_info("nx.pagerank").name == "pagerank"
    assert networkx_info("diameter").name == "diameter"  # nx.diameter, not the approximation
    assert networkx_info("approximation.diameter").name == "approximation.diameter"
    with pytest.raises(APIError) as err:
        networkx_info("pagerenk")
    assert (err.value.status_code, err.value.code) == (404, "ALGORITHM_NOT_FOUND")
    assert "pagerank" in err.value.details["suggestions"] and "pagerank" in err.value.message


def test_parameters_are_checked_against_the_signature() -> None:
    assert validate("pagerank", {"alpha": 0.9, "max_iter": 50}) == {"alpha": 0.9, "max_iter": 50}
    with pytest.raises(APIError) as err:
        validate("pagerank", {"damping": 0.9})
    assert err.value.status_code == 400 and err.value.details["parameter"] == "damping"
    assert "'damping'" in err.value.message and "alpha" in err.value.message
    assert "alpha" in err.value.details["accepted"]
    with pytest.raises(APIError, match="needs 'target'"):
        validate("has_path", {"source": 1})
    with pytest.raises(APIError, match="no parameter 'backend'"):
        validate("pagerank", {"backend": "cugraph"})
    assert validate("maximum_flow", {"_s": 1, "_t": 2, "flow_func": None, "extra": 1})


def test_orientation_is_checked_before_running(classic: dict[str, Projection]) -> None:
    components = entries()["connected_components"]
    assert networkx_info("connected_components").orientations == ("undirected",)
    assert check_orientation(components, None) == "undirected"
    with pytest.raises(APIError, match=r"directed graphs.*Pass orientation='undirected'"):
        check_orientation(components, "natural")
    strong = entries()["strongly_connected_components"]
    with pytest.raises(APIError, match=r"Pass orientation='natural' or 'reverse'"):
        check_orientation(strong, "undirected")
    with pytest.raises(APIError) as err:
        _run("connected_components", classic["karate"], "reverse")
    assert err.value.details["parameter"] == "orientation"
    # refusals NetworkX only raises from inside (no decorator) are learnt on the first run
    assert "natural" in networkx_info("minimum_spanning_tree").orientations
    with pytest.raises(APIError, match="Pass orientation='undirected'"):
        _run("minimum_spanning_tree", classic["karate"], "natural")
    assert networkx_info("minimum_spanning_tree").orientations == ("undirected",)


# -- the size guard --------------------------------------------------------------------------


def test_size_guard_refuses_slow_runs_and_force_lets_them_run() -> None:
    rng = np.random.default_rng(7)
    n, m = 6000, 30_000
    big = Projection.from_arrays(rng.integers(0, n, m), rng.integers(0, n, m))
    with pytest.raises(APIError) as err:
        check_size("floyd_warshall", big.n, big.m)
    assert (err.value.status_code, err.value.code) == (400, "GRAPH_TOO_LARGE")
    details = err.value.details
    assert details["nodes"] == n and details["relationships"] == m
    assert details["limit_seconds"] == 600 and details["estimated_seconds"] > 600
    assert "node_labels" in err.value.message and "force=True" in err.value.message
    assert estimate_seconds("pagerank", n, m) < 10
    assert check_size("density", n, m) < 1
    with pytest.raises(APIError, match="k=") as err:
        check_size("betweenness_centrality", 100_000, 500_000)
    assert check_size("betweenness_centrality", 100_000, 500_000, {"k": 100}) < 600
    assert estimate_seconds("floyd_warshall", 2 * n, m) > 7 * estimate_seconds(
        "floyd_warshall", n, m
    )

    # force=True skips check_size: the run starts, and cancelling interrupts NetworkX
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            _run("floyd_warshall", big, "undirected")
        except BaseException as exc:
            outcome["raised"] = exc

    # An exception raised into a thread is lost when it lands in a garbage-collection
    # callback running there (a CPython limitation; in the full suite, other tests' garbage
    # made that happen once): no collection runs while this one is raised.
    gc.collect()
    gc.disable()
    try:
        thread = threading.Thread(target=work)
        thread.start()
        deadline = time.monotonic() + 60  # against hangs only
        while not in_networkx(thread):  # cancel it inside NetworkX, however fast it got there
            assert thread.is_alive() and time.monotonic() < deadline, outcome
            time.sleep(0.01)
        assert thread.ident is not None
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(Cancelled)
        )
        thread.join(10)
    finally:
        gc.enable()
    assert not thread.is_alive() and isinstance(outcome["raised"], Cancelled)


def in_networkx(thread: threading.Thread) -> bool:
    """Whether ``thread`` is running NetworkX code now."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if f"{os.sep}networkx{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


# -- results ---------------------------------------------------------------------------------


def test_node_dicts_become_columns(classic: dict[str, Projection]) -> None:
    out = _run("betweenness_centrality", classic["karate"], "undirected")
    assert list(out.columns) == ["betweenness_centrality"] and out.keep is None
    got = _by_key(classic["karate"], out)
    assert got == pytest.approx(nx.betweenness_centrality(KARATE))
    ranks = _by_key(classic["lesmis"], _run("pagerank", classic["lesmis"], "undirected"))
    assert ranks == pytest.approx(nx.pagerank(LESMIS))  # weighted, as NetworkX's default
    weighted = _run("pagerank", classic["karate"], "undirected", weight="weight")
    assert _by_key(classic["karate"], weighted) == pytest.approx(nx.pagerank(KARATE))
    personal = _run("pagerank", classic["karate"], "undirected", personalization={"33": 1})
    expected = nx.pagerank(KARATE, personalization={33: 1})  # JSON keys are strings
    assert _by_key(classic["karate"], personal) == pytest.approx(expected)
    assert list(_run("hits", classic["florentine"], "undirected").columns) == [
        "hubs",
        "authorities",
    ]
    two_parts = Projection.from_arrays([0, 1, 3], [1, 2, 4])
    reach = _run("single_source_shortest_path_length", two_parts, "undirected", source=1)
    assert _by_key(two_parts, reach) == {0: 1, 1: 0, 2: 1}  # nodes 3 and 4 are left out


def test_partitions_become_community_or_component_columns(classic: dict[str, Projection]) -> None:
    out = _run("community.louvain_communities", classic["karate"], "undirected", seed=7)
    communities: dict[int, set[int]] = {}
    for member, number in _by_key(classic["karate"], out).items():
        communities.setdefault(number, set()).add(member)
    assert out.stats["communities"] == len(communities) >= 3
    assert nx.community.modularity(KARATE, communities.values()) > 0.4
    parts = Projection.from_arrays([0, 1, 3, 5], [1, 2, 4, 5], keys=list("abcdefg"))
    out = _run("connected_components", parts, "undirected")
    components = _by_key(parts, out)
    expected = list(
        nx.connected_components(nx.Graph([("a", "b"), ("b", "c"), ("d", "e"), ("f", "f")]))
    )
    assert out.stats["components"] == 4  # g is alone too
    for component in expected:
        assert len({components[v] for v in component}) == 1
    assert len(set(components.values())) == 4


def test_scalars_paths_and_generators_are_values(
    classic: dict[str, Projection], monkeypatch: pytest.MonkeyPatch
) -> None:
    karate, lesmis = classic["karate"], classic["lesmis"]
    assert _run("density", karate, "undirected").value == nx.density(KARATE)
    assert _run("number_connected_components", lesmis).value == 1
    assert _run("average_clustering", karate, "undirected").value == pytest.approx(
        nx.average_clustering(KARATE)
    )
    path = _run("shortest_path", lesmis, "undirected", source="Napoleon", target="Cosette")
    assert path.kind == "value" and path.value[0] == "Napoleon" and path.value[-1] == "Cosette"
    assert len(path.value) - 1 == nx.shortest_path_length(LESMIS, "Napoleon", "Cosette")
    assert all(LESMIS.has_edge(u, v) for u, v in zip(path.value[:-1], path.value[1:], strict=True))
    length = _run(
        "shortest_path_length", lesmis, "undirected", source="Napoleon", target="Cosette",
        weight="weight",
    )  # fmt: skip
    assert length.value == nx.shortest_path_length(LESMIS, "Napoleon", "Cosette", weight="weight")
    cliques = _run("find_cliques", karate, "undirected")
    assert {frozenset(c) for c in cliques.value} == {frozenset(c) for c in nx.find_cliques(KARATE)}
    assert cliques.stats["items"] == len(cliques.value)
    monkeypatch.setattr(nx_results, "MAX_ITEMS", 5)
    cut = _run("find_cliques", karate, "undirected")
    assert len(cut.value) == 5 and cut.stats["truncated"] is True and "5" in cut.stats["note"]


def test_edge_dicts_become_tables(classic: dict[str, Projection]) -> None:
    out = _run("edge_betweenness_centrality", classic["florentine"], "undirected")
    assert out.table is not None
    assert out.table.column_names == ["source", "target", "edge_betweenness_centrality"]
    got = {frozenset((r["source"], r["target"])): r["edge_betweenness_centrality"]
           for r in out.table.to_pylist()}  # fmt: skip
    expected = nx.edge_betweenness_centrality(FLORENTINE)
    assert got == pytest.approx({frozenset(e): v for e, v in expected.items()})


def test_node_arguments_and_several_labels() -> None:
    # A:1 -> B:x -> A:2, with B's key spelt as a string
    projection = Projection.from_arrays(
        [0, 2], [2, 1], labels=[("A", "id", [1, 2]), ("B", "code", ["x"])]
    )
    out = _run("shortest_path", projection, "natural", source="A:1", target=["A", 2])
    assert out.value == ["A:1", "B:x", "A:2"]
    degrees = _run("degree", projection, "natural")
    table = projection.result_table(degrees.columns, degrees.keep).to_pylist()
    assert table == [
        {"label": "A", "node_id": "1", "degree": 1},
        {"label": "A", "node_id": "2", "degree": 1},
        {"label": "B", "node_id": "x", "degree": 2},
    ]
    with pytest.raises(APIError) as err:
        _run("shortest_path", projection, "natural", source="A:1", target="A:9")
    assert err.value.status_code == 400 and err.value.details["parameter"] == "target"
    with pytest.raises(NetworkXFailed, match=r"NetworkXNoPath: No path between"):
        _run("shortest_path", projection, "natural", source="A:2", target="A:1")


def test_parallel_relationships_and_the_weight_property() -> None:
    projection = Projection.from_arrays(
        [0, 0, 1], [1, 1, 0], [1.0, 3.0, 5.0], keys=["a", "b"], weight_property="amount"
    )
    assert networkx_graph(projection, "natural")["a"]["b"]["weight"] == 4.0
    assert networkx_graph(projection, "undirected")["a"]["b"]["weight"] == 9.0
    assert networkx_graph(projection, "undirected", parallel="min")["a"]["b"]["weight"] == 1.0
    assert nx.is_frozen(networkx_graph(projection, "natural"))
    # distances keep the lightest relationship; weight="amount" names the edge weight
    out = _run(
        "dijkstra_path_length", projection, "natural", source="a", target="b", weight="amount"
    )
    assert out.value == 1.0
    strength = _run("degree", projection, "natural", weight="amount")
    assert _by_key(projection, strength) == {"a": 9.0, "b": 9.0}
    # a function that changes its graph without saying so runs on a copy
    assert _run("negative_edge_cycle", projection, "natural").value is False


def test_failures_and_cancellation(classic: dict[str, Projection]) -> None:
    with pytest.raises(NetworkXFailed, match=r"eigenvector_centrality raised Power.*1 iter"):
        _run("eigenvector_centrality", classic["karate"], "natural", max_iter=1)
    with pytest.raises(
        NetworkXFailed, match=r"AttributeError.*its signature is pagerank\(alpha=0.85"
    ):
        _run("pagerank", classic["karate"], "natural", personalization=3)
    progress = Progress()
    progress.cancelled.set()
    with pytest.raises(Cancelled):
        run_networkx("density", classic["karate"], None, {}, progress)


def test_values_are_json_safe() -> None:
    graph = nx.Graph([(1, 2, {"w": 1.5})])
    value = {
        (1, 2): np.float64(0.5),
        "set": {3, 1, 2},
        "tuple": (np.int64(1), math.nan, math.inf, -math.inf),
        "graph": graph,
        "array": np.array([[1, 2], [3, 4]]),
        "complex": 1 + 2j,
    }
    converted = to_jsonable(value)
    assert converted == {
        "1:2": 0.5,
        "set": [1, 2, 3],
        "tuple": [1, None, "Infinity", "-Infinity"],
        "graph": {"directed": False, "nodes": [1, 2], "edges": [[1, 2, {"w": 1.5}]]},
        "array": [[1, 2], [3, 4]],
        "complex": {"real": 1.0, "imag": 2.0},
    }
    json.dumps(converted, allow_nan=False)
