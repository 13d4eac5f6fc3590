"""Input limits of an instance wrapper (issue 6): oversized and hostile requests are clear
4xx answers, parameters are data (never Cypher), the read endpoint refuses writes, and
the graph and the process are unchanged afterwards. Limits: docs/input-limits.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.wrapper.conftest import TOKEN, Wrapper

JSON = {"content-type": "application/json"}
MAX_BODY = 10_000_000
INJECTION = "'}) MATCH (n) DETACH DELETE n //"
COUNTS = "MATCH (n) WITH count(n) AS nodes MATCH ()-[r]->() RETURN nodes, count(r) AS edges"


def graph_state(wrapper: Wrapper) -> dict[str, Any]:
    """What must not change: node and edge counts, a checksum of names, the schema."""
    counts = wrapper.rows(COUNTS)
    names = wrapper.rows("MATCH (c:Customer) RETURN sum(size(c.name)) AS s, min(c.name) AS m")
    schema = wrapper.http.get("/schema").json()
    return {"counts": counts, "names": names, "schema": schema}


@pytest.fixture(scope="module")
def before(wrapper: Wrapper) -> dict[str, Any]:
    state = graph_state(wrapper)
    assert state["counts"] == [[1000, 2600]]
    return state


@pytest.fixture(autouse=True)
def nothing_lost(wrapper: Wrapper, before: dict[str, Any]) -> Iterator[None]:
    yield
    assert wrapper.proc.poll() is None, f"the wrapper died: {wrapper.log.read_text()[-3000:]}"
    assert wrapper.http.get("/health").json()["status"] == "healthy"
    assert graph_state(wrapper) == before
    assert wrapper.http.get("/algo/executions").status_code == 200  # no poisoned record


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert error["code"] == code, error
    assert set(error) == {"code", "message", "details"}
    return dict(error)


# --- size -----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(wrapper: Wrapper) -> None:
    body = json.dumps({"query": "RETURN $p", "parameters": {"p": "x" * (MAX_BODY + 1)}})
    error = error_of(wrapper.http.post("/query", content=body, headers=JSON), 413,
                     "PAYLOAD_TOO_LARGE")  # fmt: skip
    assert f"larger than {MAX_BODY} bytes" in error["message"]


def test_a_streamed_body_over_the_limit_is_413(wrapper: Wrapper) -> None:
    chunks = [b'{"query": "RETURN 1", "parameters": {"p": "', *([b"x" * 1_000_000] * 11), b'"}}']
    response = wrapper.http.post("/query", content=iter(chunks), headers=JSON)
    assert "content-length" not in response.request.headers
    error_of(response, 413, "PAYLOAD_TOO_LARGE")


def test_cypher_text_over_a_million_characters_names_the_maximum(wrapper: Wrapper) -> None:
    error = error_of(wrapper.query("RETURN 1 " + " " * 1_000_000), 400, "VALIDATION_ERROR")
    assert "query: String should have at most 1000000 characters" in error["message"]
    assert error["details"]["errors"][0]["field"] == "query"


def test_cypher_text_just_under_the_maximum_runs(wrapper: Wrapper) -> None:
    assert wrapper.rows("RETURN 1 AS one // " + "x" * 999_000) == [[1]]


# --- nesting and numbers --------------------------------------------------------------


def test_json_nested_100_000_levels_is_400(wrapper: Wrapper) -> None:
    body = b'{"query": "RETURN $p", "parameters": {"p": ' + b"[" * 100_000 + b"]" * 100_000
    error = error_of(wrapper.http.post("/query", content=body + b"}}", headers=JSON), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "nested too deeply" in error["message"]


@pytest.mark.parametrize("depth", [33, 200, 800])
def test_parameters_nested_deeper_than_32_are_400(wrapper: Wrapper, depth: int) -> None:
    """Deeper values made Arrow fail (500) at 200 levels and crashed the engine at 800."""
    value = json.loads("[" * depth + "1" + "]" * depth)
    error = error_of(wrapper.query("RETURN $p AS p", parameters={"p": value}), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert f"{depth} levels deep; the maximum is 32" in error["message"]
    assert error["details"]["errors"][0]["field"] == "parameters"


def test_parameters_nested_32_deep_are_fine(wrapper: Wrapper) -> None:
    value = json.loads("[" * 32 + "1" + "]" * 32)
    assert wrapper.rows("RETURN $p AS p", parameters={"p": value}) == [[value]]


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_400(wrapper: Wrapper, number: int) -> None:
    error = error_of(wrapper.query("RETURN $p AS p", parameters={"p": [number]}), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "is out of range" in error["message"]
    assert wrapper.rows("RETURN $p AS p", parameters={"p": 2**63 - 1}) == [[2**63 - 1]]


def test_threads_names_its_maximum(wrapper: Wrapper) -> None:
    response = wrapper.http.put(
        "/threads", json={"threads": 10**30}, headers={"X-Wrapper-Token": TOKEN}
    )
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "threads: Input should be less than or equal to 1024" in error["message"]


# --- malformed bodies -----------------------------------------------------------------


def test_a_body_that_is_not_utf8_is_400(wrapper: Wrapper) -> None:
    response = wrapper.http.post("/query", content=b'{"query": "RETURN \xff"}', headers=JSON)
    assert "not valid UTF-8" in error_of(response, 400, "VALIDATION_ERROR")["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_json_is_415(wrapper: Wrapper, content_type: str) -> None:
    response = wrapper.http.post(
        "/query", content=json.dumps({"query": "RETURN 1"}), headers={"content-type": content_type}
    )
    error = error_of(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert content_type in error["message"]


# --- injection through parameters -----------------------------------------------------


def test_a_hostile_parameter_value_is_returned_literally(wrapper: Wrapper) -> None:
    assert wrapper.rows("RETURN $v AS v", parameters={"v": INJECTION}) == [[INJECTION]]


@pytest.mark.parametrize("write", [False, True])
def test_a_hostile_parameter_value_is_matched_as_data(wrapper: Wrapper, write: bool) -> None:
    def count(condition: str) -> Any:
        query = f"MATCH (c:Customer) WHERE {condition} RETURN count(c) AS n"
        return wrapper.rows(query, parameters={"v": INJECTION}, write=write)

    assert count("c.name = $v") == [[0]]
    assert count("c.name <> $v") == [[400]]  # compared as a string with every customer
    assert count("c.name STARTS WITH left($v, 3)") == [[0]]


def test_hostile_parameter_names_and_maps_are_data(wrapper: Wrapper) -> None:
    value = {"k": INJECTION, "list": [INJECTION, "`) DETACH DELETE n"]}
    assert wrapper.rows("RETURN $m.k AS k, $m.list AS l", parameters={"m": value}) == [
        [INJECTION, [INJECTION, "`) DETACH DELETE n"]]
    ]


# --- writes on the read endpoint ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "clause"),
    [("MATCH (n) DETACH DELETE n", "DETACH"),
     ("MATCH (c:Customer) WITH c LIMIT 1 SET c.name = 'x' RETURN c", "SET"),
     ("CREATE (c:Customer {id: 100000, name: 'new'})", "CREATE"),
     ("MERGE (c:Customer {id: 1})", "MERGE"),
     ("match (c:Customer) remove c.name return c", "REMOVE"),
     ("CALL drop_table('OWNS')", "CALL")],
)  # fmt: skip
def test_a_write_sent_to_the_read_endpoint_is_403(
    wrapper: Wrapper, query: str, clause: str
) -> None:
    error = error_of(wrapper.query(query), 403, "WRITE_NOT_ALLOWED")
    assert "pass write=True" in error["message"]
    assert error["details"]["clause"].upper() == clause


def test_a_second_statement_is_refused(wrapper: Wrapper) -> None:
    error = error_of(wrapper.query("RETURN 1; MATCH (n) DETACH DELETE n"), 400, "QUERY_ERROR")
    assert "holds 2 statements; send exactly one" in error["message"]


# --- algorithm parameters -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [("/algo/pagerank", {"parameters": {"damping_factor": "high"}}, "damping_factor"),
     ("/algo/pagerank", {"parameters": {"max_iterations": [1]}}, "max_iterations"),
     ("/algo/pagerank", {"parameters": {"max_iterations": -1}}, "max_iterations"),
     ("/algo/pagerank", {"parameters": {"nope": 1}}, "nope"),
     ("/algo/pagerank", {"mode": "mutate", "property": "x`) DETACH DELETE n //"}, "property"),
     ("/algo/pagerank", {"node_labels": [INJECTION]}, "node_labels"),
     ("/algo/degree", {"relationship_types": "OWNS"}, "relationship_types"),
     ("/networkx/degree_centrality", {"parameters": {"x": {"y": 1}}}, "x")],
)  # fmt: skip
def test_wrong_algorithm_parameters_name_the_parameter(
    wrapper: Wrapper, path: str, body: dict[str, Any], named: str
) -> None:
    response = wrapper.http.post(path, json={**body, "wait_ms": 10_000})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] in ("INVALID_PARAMETER", "VALIDATION_ERROR"), error
    assert named in error["message"]


def test_algorithm_integers_beyond_64_bits_are_400(wrapper: Wrapper) -> None:
    """A run with max_iterations=10**30 used to complete and then fail every listing of
    executions with a 500 (the number could not be encoded)."""
    response = wrapper.http.post(
        "/algo/pagerank", json={"parameters": {"max_iterations": 10**30}, "wait_ms": 10_000}
    )
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "is out of range" in error["message"]


@pytest.mark.parametrize("wait_ms", [-1, 30_001, 10**30])
def test_wait_ms_names_its_range(wrapper: Wrapper, wait_ms: int) -> None:
    response = wrapper.http.post("/algo/pagerank", json={"wait_ms": wait_ms})
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["errors"][0]["field"] == "wait_ms"
