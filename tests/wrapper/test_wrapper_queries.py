"""A real wrapper process per engine: load, query (JSON and Arrow), guard, errors, admin.

Each expected answer is computed by DuckDB from the same Parquet files.
"""

from __future__ import annotations

import concurrent.futures
import io
import time
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from tests.reliability.conftest import cpu_seconds
from tests.wrapper.conftest import TOKEN, Wrapper

ARROW = "application/vnd.apache.arrow.stream"


def _duck(duck: duckdb.DuckDBPyConnection, sql: str) -> list[list[Any]]:
    return [list(row) for row in duck.execute(sql).fetchall()]


def test_health_ready_and_progress(wrapper: Wrapper, duck: duckdb.DuckDBPyConnection) -> None:
    health = wrapper.http.get("/health").json()
    assert health == {
        "status": "healthy",
        "instance_id": 7,
        "phase": "ready",
        "engine": wrapper.engine,
        "error": None,
    }
    assert wrapper.http.get("/ready").json() == {"status": "ready"}
    assert wrapper.http.get("/progress").status_code == 401
    progress = wrapper.http.get("/progress", headers={"X-Wrapper-Token": TOKEN}).json()
    assert progress["phase"] == "ready" and progress["error_message"] is None
    steps = {s["name"]: s for s in progress["steps"]}
    assert list(steps) == ["schema", "node:Customer", "node:Account", "edge:OWNS", "edge:TRANSFER"]
    assert {s["status"] for s in steps.values()} == {"completed"}
    assert [s["kind"] for s in steps.values()] == ["schema", "node", "node", "edge", "edge"]
    for name, table in [("node:Customer", "Customer"), ("edge:TRANSFER", "TRANSFER")]:
        assert steps[name]["row_count"] == _duck(duck, f"SELECT count(*) FROM {table}")[0][0]


def test_counts_per_label_match_the_parquet_rows(
    wrapper: Wrapper, duck: duckdb.DuckDBPyConnection
) -> None:
    schema = wrapper.http.get("/schema").json()
    counts = {n["label"]: n["count"] for n in schema["node_labels"]}
    counts |= {r["type"]: r["count"] for r in schema["relationship_types"]}
    expected = {t: _duck(duck, f"SELECT count(*) FROM {t}")[0][0] for t in counts}
    assert counts == expected == {"Customer": 400, "Account": 600, "OWNS": 600, "TRANSFER": 2000}
    customer = schema["node_labels"][0]
    assert customer["primary_key"] == {"name": "id", "type": "INT64"}
    assert customer["properties"][-1] == {"name": "balance", "type": "DECIMAL(12,2)"}
    assert schema["relationship_types"][0] | {"count": 0} == {
        "type": "OWNS",
        "from": "Customer",
        "to": "Account",
        "properties": [{"name": "since", "type": "DATE"}],
        "count": 0,
    }
    assert wrapper.rows("MATCH (a:Account)-[t:TRANSFER]->(b) RETURN count(t)") == [[2000]]


def test_join_and_aggregate_match_duckdb(wrapper: Wrapper, duck: duckdb.DuckDBPyConnection) -> None:
    join = wrapper.rows(
        "MATCH (c:Customer)-[:OWNS]->(a:Account) WHERE a.kind = 'savings' "
        "RETURN c.id AS id, c.name AS name, count(*) AS n ORDER BY id"
    )
    assert join == _duck(
        duck,
        "SELECT c.id, c.name, count(*) FROM OWNS o JOIN Customer c ON c.id = o.customer_id "
        "JOIN Account a ON a.code = o.account_code WHERE a.kind = 'savings' "
        "GROUP BY ALL ORDER BY 1",
    )
    aggregate = wrapper.rows(
        "MATCH (a:Account)-[t:TRANSFER]->(b:Account) "
        "RETURN a.kind AS kind, count(*) AS n, sum(t.amount) AS total ORDER BY kind"
    )
    expected = _duck(
        duck,
        "SELECT a.kind, count(*), sum(t.amount) FROM TRANSFER t JOIN Account a ON a.code = t.src "
        "GROUP BY 1 ORDER BY 1",
    )
    assert [r[:2] for r in aggregate] == [r[:2] for r in expected]
    assert all(abs(a[2] - e[2]) < 1e-6 for a, e in zip(aggregate, expected, strict=True))


def test_values_are_json_safe(wrapper: Wrapper) -> None:
    response = wrapper.query(
        "MATCH (c:Customer)-[o:OWNS]->(a:Account) WHERE c.id = 3 "
        "RETURN c, o, a.opened AS opened, c.balance AS balance, c.joined AS joined "
        "ORDER BY a.code LIMIT 1"
    )
    body = response.json()
    assert body["columns"] == ["c", "o", "opened", "balance", "joined"]
    assert body["column_types"] == ["NODE", "REL", "TIMESTAMP", "DECIMAL(12, 2)", "DATE"]
    node, rel, opened, balance, joined = body["rows"][0]
    assert node["_label"] == "Customer" and set(node["_id"]) == {"offset", "table"}
    assert {k: node[k] for k in ("id", "name", "age", "balance")} == {
        "id": 3,
        "name": "customer 3",
        "age": 21,
        "balance": "37.02",
    }
    assert rel["_label"] == "OWNS" and {"_id", "_src", "_dst", "since"} <= set(rel)
    assert (opened, balance, joined) == ("2021-06-01T11:00:00", "37.02", "2020-01-04")
    assert body["row_count"] == 1 and body["truncated"] is False
    assert isinstance(body["execution_time_ms"], int)


def test_parameters_are_bound_by_the_engine(
    wrapper: Wrapper, duck: duckdb.DuckDBPyConnection
) -> None:
    query = "MATCH (c:Customer) WHERE c.age > $age AND c.name STARTS WITH $prefix RETURN count(*)"
    got = wrapper.rows(query, parameters={"age": 60, "prefix": "customer 1"})
    sql = "SELECT count(*) FROM Customer WHERE age > 60 AND name LIKE 'customer 1%'"
    assert got == _duck(duck, sql)
    injected = wrapper.rows(
        "MATCH (c:Customer) WHERE c.name = $name RETURN count(*)",
        parameters={"name": "x' OR 1=1 OR c.name = 'y"},
    )
    assert injected == [[0]]
    missing = wrapper.query("MATCH (c:Customer) WHERE c.id = $nope RETURN c.id")
    assert missing.status_code in (200, 400)


def test_arrow_stream_matches_json(wrapper: Wrapper) -> None:
    query = (
        "MATCH (c:Customer) RETURN c.id AS id, c.name AS name, c.score AS score, "
        "c.joined AS joined, c.balance AS balance ORDER BY id"
    )
    response = wrapper.http.post("/query", json={"query": query}, headers={"Accept": ARROW})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(ARROW)
    assert response.headers["x-row-count"] == "400"
    assert int(response.headers["x-execution-time-ms"]) >= 0
    frame = pl.from_arrow(pa.ipc.open_stream(io.BytesIO(response.content)).read_all())
    assert isinstance(frame, pl.DataFrame)
    as_json = wrapper.rows(query)
    from_arrow = [[r[0], r[1], r[2], r[3].isoformat(), str(r[4])] for r in frame.iter_rows()]
    assert from_arrow == as_json


def test_arrow_stream_comes_in_batches_of_at_most_100k(wrapper: Wrapper) -> None:
    response = wrapper.http.post(
        "/query",
        json={"query": "UNWIND range(1, 250000) AS x RETURN x, x * 2 AS y"},
        headers={"Accept": ARROW},
    )
    reader = pa.ipc.open_stream(io.BytesIO(response.content))
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == 250_000 and max(sizes) <= 100_000 and len(sizes) >= 3
    node = wrapper.http.post(
        "/query",
        json={"query": "MATCH (c:Customer) WHERE c.id = 1 RETURN c"},
        headers={"Accept": ARROW},
    )
    value = pa.ipc.open_stream(io.BytesIO(node.content)).read_all().to_pylist()[0]["c"]
    assert value["_label"] == "Customer" and value["name"] == "customer 1"


def test_writes_are_refused_unless_asked_for(wrapper: Wrapper) -> None:
    create = "CREATE (:Customer {id: 100000, name: 'new'})"
    refused = wrapper.query(create)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "WRITE_NOT_ALLOWED"
    assert "write=True" in refused.json()["error"]["message"]
    assert wrapper.query(create, write=True).status_code == 200
    assert wrapper.rows("MATCH (c:Customer {id: 100000}) RETURN c.name") == [["new"]]
    deleted = wrapper.query("MATCH (c:Customer {id: 100000}) DELETE c", write=True)
    assert deleted.status_code == 200, deleted.text
    assert wrapper.rows("MATCH (c:Customer) RETURN count(*)") == [[400]]


def test_query_errors_carry_the_engine_message(wrapper: Wrapper) -> None:
    syntax = wrapper.query("MATCH (c:Customer RETURN c")
    assert syntax.status_code == 400
    error = syntax.json()["error"]
    assert error["code"] == "QUERY_ERROR" and "Parser exception" in error["message"]
    assert error["details"] == {"query": "MATCH (c:Customer RETURN c"}
    binder = wrapper.query("MATCH (c:Nope) RETURN c").json()["error"]
    assert binder["code"] == "QUERY_ERROR" and "Nope" in binder["message"]
    two = wrapper.query("RETURN 1; RETURN 2")
    assert two.status_code == 400 and "one Cypher statement" in two.json()["error"]["message"]
    invalid = wrapper.http.post("/query", json={"cypher": "RETURN 1"})
    assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "VALIDATION_ERROR"


NEVER = (
    "MATCH (a:Account), (b:Account), (c:Account), (d:Account) "
    "WHERE a.kind + b.kind + c.kind + d.kind = 'never' RETURN count(*)"
)
"""600^4 rows to look at: on any machine it ends at its timeout, never before."""

SLOW_MS = 5000
"""The timeout of the slow query that runs while other calls are answered: far longer
than those calls take even on a loaded machine (it bounds the test's duration)."""


def test_timeout_stops_the_query(wrapper: Wrapper) -> None:
    response = wrapper.query(NEVER, timeout_ms=100)
    assert response.status_code == 408, response.text
    error = response.json()["error"]
    assert error["code"] == "QUERY_TIMEOUT" and error["details"]["timeout_ms"] == 100
    assert wrapper.rows("RETURN 1") == [[1]]  # the connection is usable afterwards


def test_auth_threads_and_lock(wrapper: Wrapper) -> None:
    anonymous = wrapper.http.post("/query", json={"query": "RETURN 1"}, headers={"X-Username": ""})
    assert anonymous.status_code == 401
    bob = wrapper.http.get("/schema", headers={"X-Username": "bob"})
    assert bob.status_code == 403 and bob.json()["error"]["code"] == "FORBIDDEN"
    assert wrapper.http.put("/threads", json={"threads": 1}).status_code == 401
    changed = wrapper.http.put("/threads", json={"threads": 1}, headers={"X-Wrapper-Token": TOKEN})
    assert changed.json() == {"threads": 1}
    assert wrapper.rows("MATCH (c:Customer) RETURN count(*)") == [[400]]
    wrapper.http.put("/threads", json={"threads": 2}, headers={"X-Wrapper-Token": TOKEN})
    lock = wrapper.http.get("/lock").json()
    assert lock["locked"] is False and lock["holder_id"] is None


def test_a_slow_query_blocks_neither_health_nor_other_reads(wrapper: Wrapper) -> None:
    pid = wrapper.proc.pid
    idle = cpu_seconds(pid)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        running = pool.submit(wrapper.query, NEVER, timeout_ms=SLOW_MS)
        deadline = time.monotonic() + 60  # against hangs only
        while cpu_seconds(pid) < idle + 0.3:  # the engine is busy with the slow query
            assert time.monotonic() < deadline and not running.done(), "it never ran"
            time.sleep(0.01)
        assert wrapper.http.get("/health").json()["status"] == "healthy"
        reads = [
            pool.submit(wrapper.rows, "MATCH (c:Customer) WHERE c.id < $n RETURN count(*)",
                        parameters={"n": n})
            for n in (10, 20, 30)
        ]  # fmt: skip
        assert [r.result() for r in reads] == [[[10]], [[20]], [[30]]]
        assert not running.done()  # all answered while the slow query kept running
        assert running.result().status_code == 408
