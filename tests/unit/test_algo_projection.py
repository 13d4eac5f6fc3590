"""Selections, projections (keys, holes, library graphs), building and caching.

No engine here (``kuzu`` must not be imported by pytest): :class:`TableEngine` answers
the projection's queries from Arrow tables, exactly as ``EmbeddedEngine.query`` would
(an object with ``.table``). The query texts themselves were checked against Kùzu 0.11.3
by hand (docs/algorithms.md).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.algo.base import Cancelled, Progress
from graph_olap_server.wrapper.algo.projection import (
    Projection,
    ProjectionCache,
    build_projection,
    select,
)
from graph_olap_server.wrapper.manifest import Manifest

# ----------------------------------------------------------------------------- manifest


def manifest(tmp_path: Path) -> Manifest:
    """Person, Company, City; KNOWS Person->Person, WORKS_AT Person->Company,
    LOCATED Person->City and Company->City (one type, two label pairs)."""

    def node(label: str, key: str, key_type: str) -> dict[str, Any]:
        return {
            "label": label,
            "file": f"nodes/{label}.parquet",
            "primary_key": {"name": key, "type": key_type},
            "properties": [{"name": "name", "type": "STRING"}],
        }

    def edge(rel: str, a: str, b: str, props: list[dict[str, str]]) -> dict[str, Any]:
        return {
            "type": rel,
            "from_node": a,
            "to_node": b,
            "file": f"edges/{rel}_{a}_{b}.parquet",
            "properties": props,
        }

    weight = [{"name": "weight", "type": "DOUBLE"}, {"name": "note", "type": "STRING"}]
    return Manifest.from_dict(
        tmp_path,
        {
            "nodes": [
                node("Person", "pid", "INT64"),
                node("Company", "cid", "STRING"),
                node("City", "code", "STRING"),
            ],
            "edges": [
                edge("KNOWS", "Person", "Person", [{"name": "weight", "type": "INT32"}]),
                edge("WORKS_AT", "Person", "Company", [{"name": "weight", "type": "DECIMAL(9,2)"}]),
                edge("LOCATED", "Person", "City", weight),
                edge("LOCATED", "Company", "City", weight),
            ],
        },
    )


def edges_of(selection: Any) -> list[tuple[str, str, str]]:
    return [(e.type, e.from_node, e.to_node) for e in selection.edges]


def test_select_everything_by_default(tmp_path: Path) -> None:
    s = select(manifest(tmp_path), None, None, None)
    assert s.node_labels == ("Person", "Company", "City")
    assert s.relationship_types == ("KNOWS", "WORKS_AT", "LOCATED")
    assert len(s.edges) == 4 and s.key == (s.node_labels, s.relationship_types, None)


def test_select_types_brings_the_labels_at_their_ends(tmp_path: Path) -> None:
    s = select(manifest(tmp_path), None, ["KNOWS"], None)
    assert s.node_labels == ("Person",) and [n.label for n in s.nodes] == ["Person"]
    s = select(manifest(tmp_path), None, ["LOCATED"], "weight")
    assert s.node_labels == ("Person", "Company", "City")
    assert edges_of(s) == [("LOCATED", "Person", "City"), ("LOCATED", "Company", "City")]


def test_select_labels_takes_types_whose_ends_are_selected(tmp_path: Path) -> None:
    s = select(manifest(tmp_path), ["City", "Person"], None, None)
    assert s.node_labels == ("City", "Person")
    assert s.relationship_types == ("KNOWS", "LOCATED")
    assert edges_of(s) == [("KNOWS", "Person", "Person"), ("LOCATED", "Person", "City")]


def test_select_both_exactly_and_refuses_a_type_leaving_the_labels(tmp_path: Path) -> None:
    s = select(manifest(tmp_path), ["Person", "Company"], ["WORKS_AT", "WORKS_AT"], None)
    assert s.relationship_types == ("WORKS_AT",)
    assert edges_of(s) == [("WORKS_AT", "Person", "Company")]
    with pytest.raises(APIError) as err:
        select(manifest(tmp_path), ["Person", "Company"], ["LOCATED"], None)
    assert err.value.status_code == 400 and err.value.details["parameter"] == "node_labels"
    assert "City" in err.value.message


@pytest.mark.parametrize(
    ("labels", "types", "weight", "parameter", "words"),
    [
        (["Persn"], None, None, "node_labels", ["'Persn'", "Person, Company, City"]),
        (None, ["KNOW"], None, "relationship_types", ["'KNOW'", "KNOWS, WORKS_AT, LOCATED"]),
        ([], None, None, "node_labels", ["empty"]),
        (None, None, "score", "weight_property", ["'score'", "weight"]),
        (None, ["LOCATED"], "note", "weight_property", ["STRING", "not a number"]),
    ],
)
def test_bad_selections_are_400_naming_what_exists(
    tmp_path: Path,
    labels: list[str] | None,
    types: list[str] | None,
    weight: str | None,
    parameter: str,
    words: list[str],
) -> None:
    with pytest.raises(APIError) as err:
        select(manifest(tmp_path), labels, types, weight)
    assert err.value.code == "INVALID_PARAMETER" and err.value.details["parameter"] == parameter
    for word in words:
        assert word in err.value.message


def test_weight_must_exist_on_every_selected_type_but_only_those(tmp_path: Path) -> None:
    # weight is INT32 / DECIMAL / DOUBLE on all types: numeric everywhere
    assert select(manifest(tmp_path), None, None, "weight").weight_property == "weight"
    with pytest.raises(APIError):
        select(manifest(tmp_path), None, ["KNOWS", "LOCATED"], "note")


# ----------------------------------------------------------------------------- keys


def two_labels(*, same_key_type: bool = False) -> Projection:
    """A: ids 10, (hole), 30; B: keys "x", "y" (or 1, 2)."""
    b_keys: list[Any] = [1, 2] if same_key_type else ["x", "y"]
    return Projection.from_arrays(
        [0, 2, 3],
        [3, 4, 4],
        labels=[("A", "id", [10, None, 30]), ("B", "name", b_keys)],
    )


def test_single_label_table_is_keyed_by_the_primary_key_and_drops_holes() -> None:
    p = Projection.from_arrays([0, 3], [3, 2], keys=["a", None, "c", "d"], key_name="account")
    assert p.n == 4 and p.node_count == 3 and p.present.tolist() == [True, False, True, True]
    table = p.result_table({"score": np.array([1.0, 2.0, 3.0, 4.0])})
    assert table.to_pydict() == {"account": ["a", "c", "d"], "score": [1.0, 3.0, 4.0]}
    kept = p.result_table({"score": np.arange(4)}, keep=np.array([True, True, False, True]))
    assert kept.to_pydict() == {"account": ["a", "d"], "score": [0, 3]}
    assert p.node_keys() == ["a", None, "c", "d"]


def test_multi_label_table_has_label_and_node_id() -> None:
    p = two_labels()
    table = p.result_table({"v": np.arange(5)})
    assert table.column_names == ["label", "node_id", "v"]
    assert table.column("label").to_pylist() == ["A", "A", "B", "B"]
    # key types differ (int, string): node_id as strings
    assert table.column("node_id").to_pylist() == ["10", "30", "x", "y"]
    assert table.column("v").to_pylist() == [0, 2, 3, 4]
    same = two_labels(same_key_type=True).result_table({"v": np.arange(5)})
    assert same.column("node_id").type == pa.int64()
    assert same.column("node_id").to_pylist() == [10, 30, 1, 2]
    assert p.node_keys() == [("A", 10), None, ("A", 30), ("B", "x"), ("B", "y")]


def test_key_columns_follow_the_given_order() -> None:
    p = two_labels()
    columns = p.key_columns([4, 0, 3, 2])
    assert columns["label"].to_pylist() == ["B", "A", "B", "A"]
    assert columns["node_id"].to_pylist() == ["y", "10", "x", "30"]
    single = Projection.from_arrays([0], [1], keys=[5, 6, 7], key_name="pid")
    assert single.key_columns([2, 0])["pid"].to_pylist() == [7, 5]
    assert single.key_columns([])["pid"].type == pa.int64()


def test_resolve_keys_labels_and_errors() -> None:
    p = two_labels()
    assert p.resolve(30, "source") == 2
    assert p.resolve("30", "source") == 2  # a key typed as text
    assert p.resolve("y", "source") == 4
    assert p.resolve("B:x", "source") == 3
    assert p.resolve(["A", 10], "source") == 0
    with pytest.raises(APIError) as err:
        p.resolve("nobody", "target")
    assert err.value.details["parameter"] == "target" and "'nobody'" in err.value.message
    with pytest.raises(APIError):
        p.resolve(["C", 1], "source")
    ambiguous = two_labels(same_key_type=True)
    ambiguous_p = Projection.from_arrays([0], [1], labels=[("A", "id", [1]), ("B", "id", [1])])
    with pytest.raises(APIError) as err:
        ambiguous_p.resolve(1, "source")
    assert "several labels" in err.value.message
    assert ambiguous.resolve("B:1", "source") == 3


# ----------------------------------------------------------------------------- graphs


def test_csr_orientations_parallel_edges_and_loops() -> None:
    # 0->1 twice (weights 2, 3), 1->0, 2->2 loop, 1->2 with weight 0
    p = Projection.from_arrays([0, 0, 1, 2, 1], [1, 1, 0, 2, 2], [2.0, 3.0, 7.0, 4.0, 0.0])
    natural = p.csr("natural").toarray()
    assert natural.tolist() == [[0, 5, 0], [7, 0, 0], [0, 0, 4]]
    assert p.csr("natural").nnz == 4  # the zero weight stays an entry
    assert (p.csr("reverse").toarray() == natural.T).all()
    undirected = p.csr("undirected").toarray()
    assert undirected.tolist() == [[0, 12, 0], [12, 0, 0], [0, 0, 4]]
    assert p.csr("natural", weighted=False).toarray().tolist() == [[0, 2, 0], [1, 0, 1], [0, 0, 1]]
    assert p.csr("natural", parallel="min").toarray().tolist() == [[0, 2, 0], [7, 0, 0], [0, 0, 4]]
    lightest = p.csr("undirected", parallel="min")
    assert lightest.toarray().tolist() == [[0, 2, 0], [2, 0, 0], [0, 0, 4]]
    assert lightest.nnz == 5  # 1-2 (weight 0) both ways, the loop once
    assert p.csr("natural") is p.csr("natural")  # cached
    with pytest.raises(APIError):
        p.csr("sideways")  # type: ignore[arg-type]


def test_networkit_graphs_merge_parallel_edges_and_drop_holes_and_loops() -> None:
    p = Projection.from_arrays(
        [0, 0, 1, 2, 3], [1, 1, 0, 2, 2], [1.0, 2.0, 3.0, 4.0, 5.0], keys=["a", "b", "c", "d", None]
    )
    undirected = p.networkit("undirected")
    assert not undirected.isDirected() and undirected.isWeighted()
    assert undirected.numberOfNodes() == 4  # the hole is removed
    assert undirected.numberOfEdges() == 3  # {a,b} merged, loop at c, {c,d}
    assert undirected.weight(0, 1) == 6.0
    simple = p.networkit("undirected", weighted=False, loops=False)
    assert simple.numberOfEdges() == 2 and not simple.isWeighted()
    directed = p.networkit("natural")
    assert directed.isDirected() and directed.numberOfEdges() == 4
    assert p.networkit("natural", parallel="min").weight(0, 1) == 1.0
    inner = Projection.from_arrays([0, 2], [2, 3], keys=["a", None, "c", "d"])
    graph = inner.networkit("natural")  # networkit numbers the present nodes: a, c, d
    assert graph.numberOfNodes() == graph.upperNodeIdBound() == 3
    assert sorted(graph.iterEdges()) == [(0, 1), (1, 2)]
    assert inner.present_ids.tolist() == [0, 2, 3]
    assert inner.spread([0.5, 0.25, 0.125]).tolist() == [0.5, 0.0, 0.25, 0.125]


def test_from_arrays_checks_its_input() -> None:
    with pytest.raises(ValueError, match="dense ids"):
        Projection.from_arrays([0], [5], keys=[1, 2])
    with pytest.raises(ValueError, match="same length"):
        Projection.from_arrays([0, 1], [1], keys=[1, 2])


# ----------------------------------------------------------------------------- building


class Result:
    def __init__(self, table: pa.Table) -> None:
        self.table = table


class TableEngine:
    """Answers the projection's queries from tables; counts the queries it sees."""

    def __init__(self, nodes: dict[str, pa.Table], edges: dict[tuple[str, str, str], pa.Table]):
        self.nodes, self.edges = nodes, edges
        self.queries: list[str] = []
        self.generation = 0
        self.delay = 0.0
        self.gate = threading.Event()
        """Queries wait for it (open unless a test closes it: a build the test holds)."""
        self.gate.set()
        self.lock = threading.Lock()

    def query(self, cypher: str, *args: Any, **kwargs: Any) -> Result:
        with self.lock:
            self.queries.append(cypher)
        assert self.gate.wait(60), "the test never opened the gate"  # against hangs only
        time.sleep(self.delay)
        node = re.fullmatch(
            r"MATCH \(n:`(\w+)`\) RETURN offset\(id\(n\)\) AS o, n.`(\w+)` AS k", cypher
        )
        if node:
            return Result(self.nodes[node[1]])
        edge = re.fullmatch(
            r"MATCH \(a:`(\w+)`\)-\[r:`(\w+)`\]->\(b:`(\w+)`\) RETURN offset\(id\(a\)\) AS s, "
            r"offset\(id\(b\)\) AS d(, (CAST\()?r.`(\w+)`( AS DOUBLE\))? AS w)?",
            cypher,
        )
        assert edge, cypher
        if edge[4]:  # LOCATED.weight is a DOUBLE already: read without a cast
            assert bool(edge[5]) == bool(edge[7]) == (edge[2] != "LOCATED"), cypher
        table = self.edges[(edge[2], edge[1], edge[3])]
        return Result(table if edge[4] else table.select(["s", "d"]))


def engine() -> TableEngine:
    chunks = pa.chunked_array([[2, 0], [4]])  # offsets out of order, 3 and 1 are holes
    return TableEngine(
        nodes={
            "Person": pa.table({"o": chunks, "k": pa.chunked_array([[12, 10], [14]])}),
            "Company": pa.table({"o": [0, 1], "k": ["acme", "bolt"]}),
            "City": pa.table({"o": [0], "k": ["LON"]}),
        },
        edges={
            ("KNOWS", "Person", "Person"): pa.table(
                {"s": [0, 2], "d": [2, 4], "w": pa.array([1.5, None], pa.float64())}
            ),
            ("WORKS_AT", "Person", "Company"): pa.table({"s": [4], "d": [1], "w": [2.0]}),
            ("LOCATED", "Person", "City"): pa.table({"s": [0], "d": [0], "w": [3.0]}),
            ("LOCATED", "Company", "City"): pa.table({"s": [1], "d": [0], "w": [4.0]}),
        },
    )


def test_build_projection_numbers_labels_and_reads_every_pair(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    progress = Progress()
    source = engine()
    p = build_projection(source, m, select(m, None, None, "weight"), progress)
    assert [(b.label, b.base, b.size) for b in p.blocks] == [
        ("Person", 0, 5),
        ("Company", 5, 2),
        ("City", 7, 1),
    ]
    assert p.blocks[0].keys.to_pylist() == [10, None, 12, None, 14]
    assert p.blocks[0].key_type == "INT64" and p.blocks[1].key_name == "cid"
    assert p.present.tolist() == [True, False, True, False, True, True, True, True]
    assert p.src.tolist() == [0, 2, 4, 0, 6]
    assert p.dst.tolist() == [2, 4, 6, 7, 7]
    assert p.weight is not None and p.weight.tolist() == [1.5, 1.0, 2.0, 3.0, 4.0]  # null: 1
    assert progress.phase == "projecting" and progress.completed == progress.total == 7
    assert len(source.queries) == 7
    unweighted = build_projection(source, m, select(m, ["Person"], None, None), Progress())
    assert unweighted.weight is None and unweighted.m == 2 and unweighted.n == 5


def test_build_projection_stops_when_cancelled(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    progress = Progress()
    source = engine()
    original = source.query

    def cancel_after_first(cypher: str, *args: Any, **kwargs: Any) -> Result:
        progress.cancelled.set()
        return original(cypher)

    source.query = cancel_after_first  # type: ignore[method-assign]
    with pytest.raises(Cancelled):
        build_projection(source, m, select(m, None, None, None), progress)
    assert len(source.queries) == 1


def test_cache_builds_once_for_concurrent_callers(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    source = engine()
    source.delay = 0.05
    cache = ProjectionCache()
    selection = select(m, None, None, None)
    results: list[Projection] = []

    def get() -> None:
        results.append(cache.get(source, m, selection, Progress()))

    threads = [threading.Thread(target=get) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and all(r is results[0] for r in results)
    assert len(source.queries) == 7  # one build
    assert cache.get(source, m, selection, Progress()) is results[0]
    source.generation += 1  # a write query happened
    rebuilt = cache.get(source, m, selection, Progress())
    assert rebuilt is not results[0] and len(source.queries) == 14
    assert len(cache) == 1  # the old generation was dropped


def test_cache_keeps_four_and_retries_after_a_failed_build(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    source = engine()
    cache = ProjectionCache(capacity=4)
    selections = [
        select(m, labels, None, None)
        for labels in (["Person"], ["Company"], ["City"], ["Person", "City"], None)
    ]
    first = cache.get(source, m, selections[0], Progress())
    for s in selections[1:]:
        cache.get(source, m, s, Progress())
    assert len(cache) == 4
    assert cache.get(source, m, selections[0], Progress()) is not first  # evicted, rebuilt

    broken = engine()
    broken.nodes.pop("City")
    fresh = select(m, ["Company", "City"], None, None)
    with pytest.raises(KeyError):
        cache.get(broken, m, fresh, Progress())
    again = cache.get(source, m, fresh, Progress())
    assert again.node_labels == ("Company", "City") and again.m == 1


def wait_until(condition: Any, what: str) -> None:
    """Poll ``condition`` until true; the deadline is against hangs only."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_a_waiting_caller_can_be_cancelled(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    source = engine()
    source.gate.clear()  # the build stops in its first query until the test opens the gate
    cache = ProjectionCache()
    selection = select(m, None, None, None)
    builder = threading.Thread(target=cache.get, args=(source, m, selection, Progress()))
    builder.start()
    wait_until(lambda: source.queries, "the build to start")
    waiting = Progress()

    def cancel_once_waiting() -> None:
        wait_until(lambda: waiting.message == "waiting for the same projection", "the wait")
        waiting.cancelled.set()

    canceller = threading.Thread(target=cancel_once_waiting)
    canceller.start()
    with pytest.raises(Cancelled):
        cache.get(source, m, selection, waiting)
    canceller.join()
    assert len(source.queries) == 1 and builder.is_alive()  # it did not wait for the build
    source.gate.set()
    builder.join()
    assert len(source.queries) == 7


def test_prefetch_takes_the_slot_at_once_and_callers_reuse_it(tmp_path: Path) -> None:
    m = manifest(tmp_path)
    source = engine()
    source.delay = 0.02
    cache = ProjectionCache()
    selection = select(m, None, None, None)
    thread = cache.prefetch(source, m, selection)
    assert thread is not None
    assert cache.prefetch(source, m, selection) is None  # already being built
    projection, built = cache.lookup(source, m, selection, Progress())  # waits for it
    assert built is False
    thread.join()
    assert len(source.queries) == 7  # one build
    assert cache.lookup(source, m, selection, Progress()) == (projection, False)
    assert cache.prefetch(source, m, selection) is None  # cached


def test_a_failed_prefetch_leaves_the_build_to_the_next_caller(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    m = manifest(tmp_path)
    broken = engine()
    broken.nodes.pop("City")
    cache = ProjectionCache()
    selection = select(m, None, None, None)
    thread = cache.prefetch(broken, m, selection)
    assert thread is not None
    thread.join()
    assert "building the projection in advance failed" in caplog.text
    projection, built = cache.lookup(engine(), m, selection, Progress())
    assert built is True and projection.n > 0
