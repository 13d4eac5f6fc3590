"""Graph algorithms through the SDK (``conn.algo``, ``conn.networkx``), end to end.

One instance of a mapping over the sample warehouse's classic graphs (Zachary's karate
club, Les Misérables, the Florentine families) and the bank, run by the real local
platform. Results are checked against NetworkX on the same graphs, rebuilt from the
warehouse file with DuckDB (and checked to be NetworkX's own classic graphs). The lock
tests hold the lock with a NetworkX run made slow by its parameters (not by luck), and
observe the lock with ``lock_status()``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import uuid
from collections.abc import Iterator
from typing import Any

import duckdb
import networkx as nx
import polars as pl
import pytest

from graph_olap import (
    AlgorithmCancelledError,
    AlgorithmExecution,
    AlgorithmFailedError,
    AlgorithmInfo,
    AlgorithmNotFoundError,
    AsyncGraphOLAPClient,
    GraphOLAPClient,
    GraphTooLargeError,
    InstanceConnection,
    ResourceLockedError,
    TimeoutError,
    ValidationError,
)
from graph_olap.instance import ExecutionHandle
from graph_olap.progress import ProgressEvent
from graph_olap_server.runner import ServerThread

from .defs import (
    ACCOUNT,
    CUSTOMER,
    FLORENTINE_FAMILY,
    FLORENTINE_MARRIAGE,
    KARATE_MEMBER,
    KARATE_TIE,
    LESMIS_CHARACTER,
    LESMIS_COOCCURS,
    OWNS,
    TRANSFER,
)

pytestmark = pytest.mark.timeout(300)

USER = "alan"  # his own analyst, so other modules' instances never count against his limit
KARATE = KARATE_MEMBER["label"]
LESMIS = LESMIS_CHARACTER["label"]
FLORENTINE = FLORENTINE_FAMILY["label"]
MEMBER_KEY = KARATE_MEMBER["primary_key"]["name"]
CHARACTER_KEY = LESMIS_CHARACTER["primary_key"]["name"]

SLOW = {  # a NetworkX run that takes hours on any graph: holds the lock until cancelled
    "name": "approximate_current_flow_betweenness_centrality",
    "epsilon": 1e-4,
    "kmax": 10**12,
    "seed": 1,
}


# -- the platform, the instance and the expected graphs ---------------------------------


@pytest.fixture(scope="module")
def alan(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        yield client


@pytest.fixture(scope="module")
def instance_id(alan: GraphOLAPClient) -> Iterator[int]:
    mapping = alan.mappings.create(
        f"classics-{uuid.uuid4().hex[:8]}",
        "karate club, Les Misérables, Florentine families and the bank",
        node_definitions=[KARATE_MEMBER, LESMIS_CHARACTER, FLORENTINE_FAMILY, CUSTOMER, ACCOUNT],
        edge_definitions=[KARATE_TIE, LESMIS_COOCCURS, FLORENTINE_MARRIAGE, OWNS, TRANSFER],
    )
    instance = alan.instances.create_from_mapping_and_wait(
        mapping.id, f"classics-{uuid.uuid4().hex[:8]}", timeout=240
    )
    yield instance.id
    alan.instances.terminate(instance.id)


@pytest.fixture(scope="module")
def conn(alan: GraphOLAPClient, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    with alan.instances.connect(instance_id) as connection:
        yield connection


@pytest.fixture(scope="module")
def warehouse(server: ServerThread) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(server.settings.sample_warehouse_path), read_only=True)
    yield con
    con.close()


def from_warehouse(
    warehouse: duckdb.DuckDBPyConnection,
    node: dict[str, Any],
    edge: dict[str, Any],
    *,
    weight: str | None = None,
) -> nx.Graph:
    """The graph a node and an edge definition describe, read with DuckDB (undirected)."""
    graph = nx.Graph()
    key = node["primary_key"]["name"]
    graph.add_nodes_from(
        r[0] for r in warehouse.execute(f"SELECT {key} FROM ({node['sql']})").fetchall()
    )
    columns = f"{edge['from_key']}, {edge['to_key']}" + (f", {weight}" if weight else "")
    for row in warehouse.execute(f"SELECT {columns} FROM ({edge['sql']})").fetchall():
        graph.add_edge(row[0], row[1], **({"weight": float(row[2])} if weight else {}))
    return graph


def same_graph(ours: nx.Graph, theirs: nx.Graph, *, weight: bool = False) -> bool:
    def edges(g: nx.Graph) -> set[tuple[Any, ...]]:
        return {
            (*sorted((u, v), key=str), float(d.get("weight", 1)) if weight else 1.0)
            for u, v, d in g.edges(data=True)
        }

    return set(ours.nodes) == set(theirs.nodes) and edges(ours) == edges(theirs)


@pytest.fixture(scope="module")
def karate(warehouse: duckdb.DuckDBPyConnection) -> nx.Graph:
    graph = from_warehouse(warehouse, KARATE_MEMBER, KARATE_TIE)
    assert same_graph(graph, nx.karate_club_graph())
    return graph


@pytest.fixture(scope="module")
def lesmis(warehouse: duckdb.DuckDBPyConnection) -> nx.Graph:
    graph = from_warehouse(warehouse, LESMIS_CHARACTER, LESMIS_COOCCURS, weight="weight")
    assert same_graph(graph, nx.les_miserables_graph(), weight=True)
    return graph


@pytest.fixture(scope="module")
def florentine(warehouse: duckdb.DuckDBPyConnection) -> nx.Graph:
    graph = from_warehouse(warehouse, FLORENTINE_FAMILY, FLORENTINE_MARRIAGE)
    assert same_graph(graph, nx.florentine_families_graph())
    return graph


def column(df: pl.DataFrame, key: str, value: str) -> dict[Any, Any]:
    return dict(zip(df[key].to_list(), df[value].to_list(), strict=True))


@contextlib.contextmanager
def cancelled_at_exit(run: ExecutionHandle[Any]) -> Iterator[ExecutionHandle[Any]]:
    try:
        yield run
    finally:
        run.cancel()


# -- native algorithms against NetworkX ---------------------------------------------------


def test_pagerank_matches_networkx_on_karate(
    conn: InstanceConnection[Any], karate: nx.Graph
) -> None:
    df = conn.algo.pagerank(node_labels=KARATE, orientation="undirected")
    assert df.columns == [MEMBER_KEY, "pagerank"] and df.height == 34
    expected = nx.pagerank(nx.karate_club_graph(), weight=None, tol=1e-12)
    ranks = column(df, MEMBER_KEY, "pagerank")
    assert ranks.keys() == expected.keys()
    assert max(abs(ranks[n] - expected[n]) for n in expected) < 1e-6


def test_weighted_pagerank_matches_networkx_on_karate(conn: InstanceConnection[Any]) -> None:
    if not any(p["name"] == "weight" for p in KARATE_TIE.get("properties", [])):
        pytest.skip("the karate ties carry no weight in this warehouse")
    df = conn.algo.pagerank(node_labels=KARATE, orientation="undirected", weight_property="weight")
    expected = nx.pagerank(nx.karate_club_graph(), tol=1e-12)  # NetworkX's own weights
    ranks = column(df, MEMBER_KEY, "pagerank")
    assert max(abs(ranks[n] - expected[n]) for n in expected) < 1e-6


def test_wcc_partition_matches_networkx(
    conn: InstanceConnection[Any], karate: nx.Graph, lesmis: nx.Graph, florentine: nx.Graph
) -> None:
    df = conn.algo.wcc(node_labels=[KARATE, LESMIS, FLORENTINE])
    assert df.columns == ["label", "node_id", "component"]
    ours: dict[Any, set[tuple[str, str]]] = {}
    for label, node, component in df.iter_rows():
        ours.setdefault(component, set()).add((label, str(node)))
    union = nx.union_all(
        [
            nx.relabel_nodes(g, {n: (label, str(n)) for n in g})
            for label, g in ((KARATE, karate), (LESMIS, lesmis), (FLORENTINE, florentine))
        ]
    )
    expected = {frozenset(c) for c in nx.connected_components(union)}
    assert {frozenset(c) for c in ours.values()} == expected


def test_louvain_modularity_is_within_two_percent_of_networkx(
    conn: InstanceConnection[Any], lesmis: nx.Graph
) -> None:
    run = conn.algo.louvain(node_labels=LESMIS, weight_property="weight", wait=False)
    assert isinstance(run, ExecutionHandle) and run.algorithm == "louvain"
    assert run.wait(timeout=60) is run and run.succeeded and run.is_finished
    df = run.result()
    groups: dict[int, set[str]] = {}
    for key, community in df.select(CHARACTER_KEY, "community").iter_rows():
        groups.setdefault(community, set()).add(key)
    ours = nx.community.modularity(lesmis, groups.values(), weight="weight")
    assert run.summary["modularity"] == pytest.approx(ours, abs=1e-6)
    theirs = nx.community.modularity(
        lesmis, nx.community.louvain_communities(lesmis, weight="weight", seed=42), weight="weight"
    )
    assert ours >= theirs * 0.98, (ours, theirs)


def test_shortest_path_lengths_match_networkx(
    conn: InstanceConnection[Any], karate: nx.Graph, lesmis: nx.Graph
) -> None:
    distances = conn.algo.single_source_shortest_paths(
        0, orientation="undirected", node_labels=KARATE
    )
    expected = nx.single_source_shortest_path_length(karate, 0)
    assert column(distances, MEMBER_KEY, "distance") == {k: float(v) for k, v in expected.items()}

    path = conn.algo.shortest_path(16, 26, orientation="undirected", node_labels=KARATE)
    steps = path.sort("step")[MEMBER_KEY].to_list()
    assert steps[0] == 16 and steps[-1] == 26
    assert len(steps) - 1 == nx.shortest_path_length(karate, 16, 26) == path["distance"].max()
    assert all(karate.has_edge(a, b) for a, b in itertools.pairwise(steps))

    weighted = conn.algo.single_source_shortest_paths(
        "Valjean", orientation="undirected", node_labels=LESMIS, weight_property="weight"
    )
    dijkstra = nx.single_source_dijkstra_path_length(lesmis, "Valjean", weight="weight")
    got = column(weighted, CHARACTER_KEY, "distance")
    assert got.keys() == dijkstra.keys()
    assert all(math.isclose(got[k], dijkstra[k]) for k in dijkstra)


# -- mutate, the lock and cancellation --------------------------------------------------


def test_mutate_writes_a_property_that_cypher_reads(conn: InstanceConnection[Any]) -> None:
    run = conn.algo.pagerank(
        node_labels=KARATE, orientation="undirected", mode="mutate", property="pr_alan"
    )
    assert isinstance(run, ExecutionHandle) and run.succeeded and run.mode == "mutate"
    assert run.summary.nodes_written == 34 and run.record.property == "pr_alan"
    assert isinstance(run.record, AlgorithmExecution)
    streamed = column(
        conn.algo.pagerank(node_labels=KARATE, orientation="undirected"), MEMBER_KEY, "pagerank"
    )
    rows = conn.query(f"MATCH (m:{KARATE}) RETURN m.{MEMBER_KEY} AS id, m.pr_alan AS pr")
    assert {r["id"]: r["pr"] for r in rows} == pytest.approx(streamed, abs=1e-12)
    assert not conn.lock_status().locked


def test_the_lock_refuses_a_second_mutate_until_cancelled(conn: InstanceConnection[Any]) -> None:
    first = conn.networkx.run(
        SLOW["name"],
        {k: v for k, v in SLOW.items() if k != "name"},
        node_labels=KARATE,
        orientation="undirected",
        mode="mutate",
        property="slow_alan",
        force=True,
        wait=False,
    )
    with cancelled_at_exit(first):
        assert not first.is_finished
        status = conn.lock_status()  # the lock is taken when the run is accepted
        assert status.locked and status.execution_id == first.id
        assert (status.holder_username, status.algorithm) == (USER, SLOW["name"])

        with pytest.raises(ResourceLockedError) as caught:
            conn.algo.wcc(node_labels=KARATE, mode="mutate", property="wcc_alan")
        err = caught.value
        assert (err.holder_username, err.algorithm, err.execution_id) == (
            USER,
            SLOW["name"],
            first.id,
        )
        assert USER in err.message and SLOW["name"] in err.message
        with pytest.raises(ResourceLockedError):
            conn.query(f"MATCH (m:{KARATE}) SET m.x_alan = 1", write=True)
        assert conn.query_scalar(f"MATCH (m:{KARATE}) RETURN count(m)") == 34  # reads work
        assert conn.algo.degree(node_labels=KARATE).height == 34  # so do stream runs

        with pytest.raises(TimeoutError) as waited:
            first.wait(timeout=1)
        assert first.id in waited.value.message
        assert f"conn.algo.execution({first.id!r}).wait()" in waited.value.message

        cancelled = first.cancel()
        assert cancelled is first and first.status == "cancelled"
    assert not conn.lock_status().locked
    with pytest.raises(AlgorithmCancelledError) as gone:
        conn.algo.execution(first.id).wait(timeout=10)
    assert gone.value.execution_id == first.id
    again = conn.algo.wcc(node_labels=KARATE, mode="mutate", property="wcc_alan")
    assert again.summary.nodes_written == 34


def test_a_failing_algorithm_raises_and_frees_the_lock(conn: InstanceConnection[Any]) -> None:
    with pytest.raises(AlgorithmFailedError) as caught:  # two graphs: not connected
        conn.networkx.run(
            "eccentricity",
            node_labels=[KARATE, FLORENTINE],
            orientation="undirected",
            mode="mutate",
            property="ecc_alan",
        )
    err = caught.value
    assert err.execution_id and err.algorithm == "eccentricity"
    assert "not connected" in err.message and err.execution_id in err.message
    assert conn.algo.execution(err.execution_id).status == "failed"
    assert not conn.lock_status().locked


# -- errors -------------------------------------------------------------------------------


def test_unknown_algorithm_suggests_the_name(conn: InstanceConnection[Any]) -> None:
    with pytest.raises(AlgorithmNotFoundError) as caught:
        conn.algo.run("pagerang")
    assert "pagerank" in caught.value.suggestions and "pagerank" in caught.value.message
    with pytest.raises(AlgorithmNotFoundError) as nx_caught:
        conn.networkx.betweenness_centraliti()
    assert "betweenness_centrality" in nx_caught.value.suggestions


def test_wrong_parameters_are_named(conn: InstanceConnection[Any]) -> None:
    with pytest.raises(ValidationError) as out_of_range:
        conn.algo.pagerank(damping_factor=1.5, node_labels=KARATE)
    assert out_of_range.value.code == "INVALID_PARAMETER"
    assert out_of_range.value.details["parameter"] == "damping_factor"
    assert "damping_factor" in out_of_range.value.message
    with pytest.raises(ValidationError) as unknown:
        conn.algo.run("louvain", resolutoin=2.0)
    assert "resolutoin" in unknown.value.message and "resolution" in unknown.value.message
    with pytest.raises(ValidationError) as label:
        conn.algo.wcc(node_labels="KarateMembr")
    assert KARATE in label.value.message


def test_directed_only_networkx_algorithm_asks_for_natural(conn: InstanceConnection[Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        conn.networkx.run(
            "number_strongly_connected_components", node_labels=KARATE, orientation="undirected"
        )
    assert "natural" in caught.value.message
    assert (
        conn.networkx.run(
            "number_strongly_connected_components", node_labels=KARATE, orientation="natural"
        )
        >= 1
    )


def test_graph_too_large_is_refused_unless_forced(conn: InstanceConnection[Any]) -> None:
    with pytest.raises(GraphTooLargeError) as caught:
        conn.networkx.run(
            "average_node_connectivity", node_labels=[CUSTOMER["label"], ACCOUNT["label"]]
        )
    details = caught.value.details
    assert details["estimated_seconds"] > details["limit_seconds"]
    assert "force=True" in caught.value.message


# -- NetworkX ---------------------------------------------------------------------------


def test_networkx_betweenness_matches_networkx(
    conn: InstanceConnection[Any], karate: nx.Graph
) -> None:
    df = conn.networkx.run("betweenness_centrality", node_labels=KARATE, orientation="undirected")
    assert df.columns[0] == MEMBER_KEY
    got = column(df, MEMBER_KEY, df.columns[-1])
    expected = nx.betweenness_centrality(karate)
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[n], expected[n], abs_tol=1e-12) for n in expected)


def test_networkx_by_attribute_returns_the_value(
    conn: InstanceConnection[Any], karate: nx.Graph
) -> None:
    density = conn.networkx.density(node_labels=KARATE, orientation="undirected")
    assert isinstance(density, float) and density == pytest.approx(nx.density(karate))


def test_networkx_catalog_and_documentation(conn: InstanceConnection[Any]) -> None:
    catalog = conn.networkx.list()
    names = {info.name for info in catalog}
    assert {"pagerank", "density", "betweenness_centrality"} <= names
    assert "density" in dir(conn.networkx)
    info = conn.networkx.describe("betweenness_centrality")
    assert isinstance(info, AlgorithmInfo) and info.kind == "networkx"
    assert info.documentation and "Compute the shortest-path betweenness" in info.documentation
    assert "k" in {p.name for p in info.parameters}


def test_native_catalog_and_description(conn: InstanceConnection[Any]) -> None:
    names = {info.name for info in conn.algo.list()}
    typed = {"pagerank", "wcc", "scc", "louvain", "label_propagation", "kcore", "triangle_count",
             "local_clustering_coefficient", "betweenness", "degree", "shortest_path",
             "single_source_shortest_paths"}  # fmt: skip
    assert typed <= names
    info = conn.algo.describe("pagerank")
    assert info.parameter("damping_factor").default == 0.85
    assert info.result_columns == ["pagerank"] and "mutate" in info.modes


# -- executions, progress, async ------------------------------------------------------


def test_executions_list_runs_newest_first(conn: InstanceConnection[Any]) -> None:
    first = conn.algo.kcore(node_labels=KARATE, wait=False)
    first.wait(timeout=60)
    second = conn.algo.triangle_count(node_labels=KARATE, wait=False)
    second.wait(timeout=60)
    runs = conn.algo.executions(limit=50)
    ids = [r.id for r in runs]
    assert ids.index(second.id) < ids.index(first.id)
    listed = runs[ids.index(second.id)]
    assert listed.algorithm == "triangle_count" and listed.username == USER
    assert listed.succeeded and listed.duration_ms is not None
    assert second.result()["triangles"].sum() == 3 * 45  # karate has 45 triangles
    pandas_df = second.result(backend="pandas")
    assert type(pandas_df).__module__.startswith("pandas") and len(pandas_df) == 34


def test_progress_is_reported(conn: InstanceConnection[Any]) -> None:
    calls: list[tuple[str, int, int]] = []
    events: list[ProgressEvent] = []
    closed: list[bool] = []

    class Reporter:
        def update(self, event: ProgressEvent) -> None:
            events.append(event)

        def close(self, *, success: bool) -> None:
            closed.append(success)

    df = conn.algo.label_propagation(
        node_labels=LESMIS, on_progress=lambda *a: calls.append(a), show_progress=Reporter()
    )
    assert df.height == 77
    assert calls and calls[-1][0] == "done" and closed == [True]
    assert events[-1].resource.startswith("label_propagation execution ex-")


def test_in_a_jupyter_kernel_progress_is_a_bar_that_ends_green(
    conn: InstanceConnection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import IPython

    from graph_olap import progress_widget

    class ZMQInteractiveShell:  # what get_ipython() returns in a kernel
        pass

    shown: list[Any] = []
    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    monkeypatch.setattr(progress_widget, "_default_display", shown.append)
    df = conn.algo.label_propagation(node_labels=LESMIS, show_progress=True)
    assert df.height == 77
    [box] = shown
    bar, label = box.children
    assert bar.bar_style == "success" and bar.value == bar.max
    assert "label_propagation execution ex-" in label.value and " ready in " in label.value


@pytest.mark.anyio
async def test_async_client_runs_algorithms(
    server: ServerThread, instance_id: int, conn: InstanceConnection[Any], karate: nx.Graph
) -> None:
    async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        aconn = await client.instances.connect(instance_id)
        df = await aconn.algo.pagerank(node_labels=KARATE, orientation="undirected")
        sync = conn.algo.pagerank(node_labels=KARATE, orientation="undirected")
        assert df.sort(MEMBER_KEY).equals(sync.sort(MEMBER_KEY))

        run = await aconn.networkx.run(
            "density", node_labels=KARATE, orientation="undirected", wait=False
        )
        assert (await run.wait(timeout=60)) is run and run.succeeded
        assert await run.result() == pytest.approx(nx.density(karate))
        again = await aconn.algo.execution(run.id)
        assert (await again.refresh()).status == "completed"
        with pytest.raises(AlgorithmNotFoundError):
            await aconn.algo.describe("pagerang")
