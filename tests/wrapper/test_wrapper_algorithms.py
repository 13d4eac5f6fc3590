"""Algorithms on a real wrapper process per engine: executions, results, mutate, the lock.

Expected values come from NetworkX run on the snapshot's Parquet files (read by DuckDB),
never from the wrapper itself. The graph: 600 accounts with 2000 TRANSFER edges (some
repeated, so the reference is a MultiDiGraph), 400 customers owning them.
"""

from __future__ import annotations

import io
from typing import Any

import duckdb
import networkx as nx
import polars as pl
import pyarrow as pa
import pytest

from tests.wrapper.conftest import Wrapper

ARROW = "application/vnd.apache.arrow.stream"
ACCOUNTS = {"node_labels": ["Account"], "relationship_types": ["TRANSFER"]}
SLOW = "closeness_vitality"  # O(n^2 m) in pure Python: minutes here, so it is still running


def _transfers(duck: duckdb.DuckDBPyConnection) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(code for (code,) in duck.execute("SELECT code FROM Account").fetchall())
    graph.add_edges_from(duck.execute("SELECT src, dst FROM TRANSFER").fetchall())
    return graph


def _run(wrapper: Wrapper, name: str, *, networkx: bool = False, **body: Any) -> dict[str, Any]:
    path = f"/networkx/{name}" if networkx else f"/algo/{name}"
    response = wrapper.http.post(path, json={"wait_ms": 20_000, **body})
    assert response.status_code in (200, 202), response.text
    execution: dict[str, Any] = response.json()
    return execution


def _done(wrapper: Wrapper, name: str, **body: Any) -> dict[str, Any]:
    execution = _run(wrapper, name, **body)
    assert execution["status"] == "completed", execution
    return execution


def _frame(wrapper: Wrapper, execution_id: str) -> pl.DataFrame:
    response = wrapper.http.get(
        f"/algo/executions/{execution_id}/result", headers={"Accept": ARROW}
    )
    assert response.status_code == 200, response.text
    frame = pl.from_arrow(pa.ipc.open_stream(io.BytesIO(response.content)).read_all())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_the_whole_graph_is_projected_in_advance_after_the_load(wrapper: Wrapper) -> None:
    """First in this module, on a fresh wrapper: the first run over every label and type
    finds the projection the wrapper built after loading; another selection is built by
    its first run and reused by the next."""
    whole = _done(wrapper, "wcc")
    assert whole["summary"]["projection"] == "reused"
    first = _done(wrapper, "wcc", **ACCOUNTS)
    assert first["summary"]["projection"] == "built"
    again = _done(wrapper, "wcc", **ACCOUNTS)
    assert again["summary"]["projection"] == "reused"


def test_pagerank_stream_matches_networkx(
    wrapper: Wrapper, duck: duckdb.DuckDBPyConnection
) -> None:
    execution = _done(wrapper, "pagerank", **ACCOUNTS, parameters={"tolerance": 1e-12})
    assert execution["summary"]["nodes"] == 600
    assert execution["summary"]["relationships"] == 2000
    frame = _frame(wrapper, execution["id"])
    assert frame.columns == ["code", "pagerank"]
    expected = nx.pagerank(_transfers(duck), tol=1e-12)
    got = dict(zip(frame["code"], frame["pagerank"], strict=True))
    assert got.keys() == expected.keys()
    assert max(abs(got[k] - expected[k]) for k in expected) < 1e-6


def test_wcc_over_two_labels_keys_rows_by_label(
    wrapper: Wrapper, duck: duckdb.DuckDBPyConnection
) -> None:
    execution = _done(wrapper, "wcc")  # every label, every type
    frame = _frame(wrapper, execution["id"])
    assert frame.columns[:2] == ["label", "node_id"]
    graph = nx.Graph()
    accounts = duck.execute("SELECT code FROM Account").fetchall()
    customers = duck.execute("SELECT id FROM Customer").fetchall()
    graph.add_nodes_from(("Account", code) for (code,) in accounts)
    graph.add_nodes_from(("Customer", str(i)) for (i,) in customers)
    for a, b in duck.execute("SELECT src, dst FROM TRANSFER").fetchall():
        graph.add_edge(("Account", a), ("Account", b))
    for c, a in duck.execute("SELECT customer_id, account_code FROM OWNS").fetchall():
        graph.add_edge(("Customer", str(c)), ("Account", a))
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    groups: dict[int, set[tuple[str, str]]] = {}
    for label, key, component in frame.select("label", "node_id", "component").iter_rows():
        groups.setdefault(component, set()).add((label, str(key)))
    assert {frozenset(g) for g in groups.values()} == expected
    assert execution["summary"]["component_count"] == len(expected)


def test_mutate_writes_a_property_that_cypher_reads(
    wrapper: Wrapper, duck: duckdb.DuckDBPyConnection
) -> None:
    execution = _done(wrapper, "pagerank", **ACCOUNTS, mode="mutate", property="rank")
    assert execution["summary"]["nodes_written"] == 600
    assert execution["property"] == "rank"
    rows = wrapper.rows("MATCH (a:Account) RETURN a.code, a.rank")
    expected = nx.pagerank(_transfers(duck), tol=1e-12)
    assert len(rows) == 600
    assert max(abs(rank - expected[code]) for code, rank in rows) < 1e-6
    # the result lives in the graph, not in the execution
    response = wrapper.http.get(f"/algo/executions/{execution['id']}/result")
    assert response.status_code == 409 and "rank" in _error(response)["message"]


def test_mutate_never_overwrites_the_mappings_properties(wrapper: Wrapper) -> None:
    response = wrapper.http.post(
        "/algo/pagerank", json={**ACCOUNTS, "mode": "mutate", "property": "kind"}
    )
    assert response.status_code == 400
    assert "kind" in _error(response)["message"] and "mapped" in _error(response)["message"]
    assert wrapper.rows("MATCH (a:Account {code: 'A3'}) RETURN a.kind") == [["savings"]]


def test_the_lock_is_held_by_a_mutating_run_and_released_by_cancel(wrapper: Wrapper) -> None:
    first = _run(wrapper, SLOW, networkx=True, **ACCOUNTS, mode="mutate", force=True, wait_ms=0)
    try:
        lock = wrapper.http.get("/lock").json()
        assert lock["locked"] is True
        assert lock["execution_id"] == first["id"]
        assert (lock["holder_username"], lock["algorithm"]) == ("alice", SLOW)
        second = wrapper.http.post("/algo/pagerank", json={**ACCOUNTS, "mode": "mutate"})
        assert second.status_code == 409
        error = _error(second)
        assert error["code"] == "RESOURCE_LOCKED"
        assert "alice" in error["message"] and SLOW in error["message"]
        assert error["details"]["execution_id"] == first["id"]
        written = wrapper.query("MATCH (a:Account {code: 'A1'}) SET a.kind = 'x'", write=True)
        assert written.status_code == 409
        # a long poll given an old progress token answers at once (within 10 s, not 30)
        moved = wrapper.http.get(
            f"/algo/executions/{first['id']}",
            params={"wait_ms": 30_000, "seen": "queued:0"},
            timeout=10,
        ).json()
        assert moved["status"] == "running" and moved["progress"]["token"] != "queued:0"
        # reads and stream runs keep working under the lock
        assert wrapper.rows("MATCH (a:Account) RETURN count(a)") == [[600]]
        assert _done(wrapper, "wcc", **ACCOUNTS)["status"] == "completed"
    finally:
        cancelled = wrapper.http.delete(f"/algo/executions/{first['id']}").json()
    assert cancelled["status"] == "cancelled"
    assert wrapper.http.get("/lock").json()["locked"] is False
    assert _done(wrapper, "wcc", **ACCOUNTS, mode="mutate", property="cc")["status"] == "completed"


def test_a_failing_mutate_reports_why_and_frees_the_lock(wrapper: Wrapper) -> None:
    execution = _run(
        wrapper,
        "eigenvector_centrality",
        networkx=True,
        **ACCOUNTS,
        mode="mutate",
        parameters={"max_iter": 1},
    )
    assert execution["status"] == "failed"
    assert execution["error"]["code"] == "ALGORITHM_FAILED"
    assert "eigenvector_centrality" in execution["error"]["message"]
    assert wrapper.http.get("/lock").json()["locked"] is False
    assert "eigen" not in str(
        wrapper.rows("CALL table_info('Account') RETURN name")
    )  # nothing was written


def test_errors_name_what_to_fix(wrapper: Wrapper) -> None:
    unknown = wrapper.http.post("/algo/pagerenk", json={})
    assert unknown.status_code == 404
    assert _error(unknown)["code"] == "ALGORITHM_NOT_FOUND"
    assert "pagerank" in _error(unknown)["details"]["suggestions"]
    bad = wrapper.http.post("/algo/pagerank", json={"parameters": {"damping": 0.9}})
    assert bad.status_code == 400 and "damping_factor" in _error(bad)["message"]
    label = wrapper.http.post("/algo/wcc", json={"node_labels": ["Acount"]})
    assert label.status_code == 400 and "Account" in _error(label)["message"]
    weight = wrapper.http.post("/algo/pagerank", json={**ACCOUNTS, "weight_property": "nope"})
    assert weight.status_code == 400 and "nope" in _error(weight)["message"]
    missing = wrapper.http.get("/algo/executions/ex-missing")
    assert missing.status_code == 404


def test_results_are_dropped_after_the_newest_sixteen(wrapper: Wrapper) -> None:
    first = _done(wrapper, "degree", **ACCOUNTS)
    for _ in range(16):
        _done(wrapper, "degree", **ACCOUNTS)
    response = wrapper.http.get(f"/algo/executions/{first['id']}/result")
    assert response.status_code == 410
    assert _error(response)["code"] == "RESULT_EXPIRED"
    listed = wrapper.http.get("/algo/executions", params={"limit": 3}).json()["executions"]
    assert len(listed) == 3 and listed[0]["algorithm"] == "degree"


@pytest.mark.parametrize("path", ["/algo", "/networkx"])
def test_catalogs_list_algorithms_with_parameters(wrapper: Wrapper, path: str) -> None:
    algorithms = wrapper.http.get(path).json()["algorithms"]
    names = {a["name"] for a in algorithms}
    assert "pagerank" in names
    assert all(isinstance(a["parameters"], list) for a in algorithms)
