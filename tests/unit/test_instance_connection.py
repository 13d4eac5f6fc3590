"""InstanceConnection over a MockTransport: what a real wrapper cannot do on demand.

Read timeouts mid-query, a wrapper that refuses connections while the control plane
says the instance runs, a server that ignores ``Accept``, and the retry rules for
queries (a query that timed out on the server is never sent twice). The behaviour a real
wrapper shows (query errors, refused writes, terminated instances) is tested end to end
in tests/e2e/test_instances_sdk.py.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pyarrow as pa
import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    ConnectionError,
    GraphOLAPClient,
    InstanceGoneError,
    InvalidStateError,
    QueryTimeoutError,
)

pytestmark = pytest.mark.anyio

CP = "http://olap.test"
WRAPPER = "http://127.0.0.1:9001"
INSTANCE = {"id": 12, "name": "i", "owner_username": "alice", "mapping_id": 3}
ANSWER = {
    "columns": ["name", "n"],
    "column_types": ["STRING", "INT64"],
    "rows": [["Ada", 1], ["Grace", 2]],
    "row_count": 2,
    "execution_time_ms": 0.4,
    "truncated": False,
}


class Wrapper:
    """A control plane that says instance 12 has ``status``, and a wrapper whose /query
    plays ``query_steps`` (the last one repeats)."""

    def __init__(self, mode: str, query_steps: list[Any], *, status: str = "running") -> None:
        self.mode = mode
        self.status = status
        self.query_steps = query_steps
        self.requests: list[httpx.Request] = []
        self.delays: list[float] = []
        kwargs: dict[str, Any] = {
            "api_key": "sk-SECRET-123",
            "transport": httpx.MockTransport(self._handle),
            "rng": lambda: 1.0,
            "max_retries": 2,
        }
        if mode == "sync":
            self.client: Any = GraphOLAPClient(CP, sleep=self.delays.append, **kwargs)
        else:

            async def sleep(seconds: float) -> None:
                self.delays.append(seconds)

            self.client = AsyncGraphOLAPClient(CP, sleep=sleep, **kwargs)

    def queries(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/query"]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/instances/12":
            assert str(request.url) == f"{CP}/api/instances/12"  # asked of the control plane
            data = {**INSTANCE, "status": self.status, "instance_url": WRAPPER}
            return httpx.Response(200, json={"data": data})
        assert str(request.url).startswith(WRAPPER), request.url
        index = min(len(self.queries()), len(self.query_steps)) - 1
        step = self.query_steps[index]
        if isinstance(step, Exception):
            raise type(step)(str(step), request=request)
        if callable(step):
            return step(request)
        return step

    async def run(self, fn: Callable[[Any], Any]) -> Any:
        async def call(value: Any) -> Any:
            return await value if inspect.isawaitable(value) else value

        conn = await call(self.client.instances.connect(12))
        return await call(fn(conn))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_query_sends_parameters_as_json_with_the_clients_credentials(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.Response(200, json=ANSWER)])
    cypher = "MATCH (c:Customer) WHERE c.city = $city RETURN c.name AS name"
    result = await wrapper.run(lambda conn: conn.query(cypher, {"city": "O'Brien"}, timeout=2))
    assert result.to_dicts() == [{"name": "Ada", "n": 1}, {"name": "Grace", "n": 2}]
    (request,) = wrapper.queries()
    assert str(request.url) == f"{WRAPPER}/query"
    sent = json.loads(request.content)
    assert re.fullmatch(r"[0-9a-f]{12}", sent.pop("query_id"))  # for a cancel on Ctrl-C
    assert sent == {
        "query": cypher,
        "parameters": {"city": "O'Brien"},
        "timeout_ms": 2000,
        "write": False,
        "max_rows": 100_000,  # guarded fetch: query()'s default, a tenth of max_result_rows
        "max_bytes": 512 << 20,
    }
    assert request.headers["authorization"] == "Bearer sk-SECRET-123"
    assert request.extensions["timeout"]["read"] == 30.0  # max(client timeout, 2 + margin)


async def test_repr_names_the_instance_and_url_but_no_secret(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.Response(200, json=ANSWER)])
    text = await wrapper.run(repr)
    assert text == f"<InstanceConnection instance 12 at {WRAPPER}>"


async def test_server_query_timeout_is_not_retried(mode: str) -> None:
    body = {"error": {"code": "QUERY_TIMEOUT", "message": "Query exceeded 2000 ms"}}
    wrapper = Wrapper(mode, [httpx.Response(408, json=body)])
    with pytest.raises(QueryTimeoutError) as info:
        await wrapper.run(lambda conn: conn.query("MATCH (n) RETURN n", timeout=2))
    assert len(wrapper.queries()) == 1
    assert info.value.query == "MATCH (n) RETURN n"


async def test_read_timeout_is_a_query_timeout_and_not_resent(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.ReadTimeout("slow")])
    with pytest.raises(QueryTimeoutError) as info:
        await wrapper.run(lambda conn: conn.query("MATCH (n) RETURN count(n)"))
    assert len(wrapper.queries()) == 1
    assert "did not answer within 30 s" in str(info.value)
    assert "timeout=" in str(info.value)


async def test_refused_connection_is_retried_then_reported_as_transient(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.ConnectError("refused")], status="running")
    with pytest.raises(ConnectionError) as info:
        await wrapper.run(lambda conn: conn.query("RETURN 1"))
    assert len(wrapper.queries()) == 3  # max_retries=2: never sent, so safe to resend
    assert f"Could not reach instance 12 at {WRAPPER}" in str(info.value)
    assert "says it is running" in str(info.value)


async def test_refused_connection_to_a_terminated_instance_says_it_is_gone(mode: str) -> None:
    def terminate_then_refuse(request: httpx.Request) -> httpx.Response:
        wrapper.status = "terminated"
        raise httpx.ConnectError("refused", request=request)

    wrapper = Wrapper(mode, [terminate_then_refuse])
    with pytest.raises(InstanceGoneError) as info:
        await wrapper.run(lambda conn: conn.query("RETURN 1"))
    assert str(info.value).startswith("Instance 12 was terminated (status 'terminated')")
    assert "create_from_mapping_and_wait(3, ...)" in str(info.value)
    assert isinstance(info.value, InvalidStateError)


async def test_query_df_asks_for_arrow_and_decodes_it(mode: str) -> None:
    table = pa.table({"name": ["Ada", "Grace"], "n": pa.array([1, 2], type=pa.int64())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    arrow = httpx.Response(
        200,
        content=sink.getvalue().to_pybytes(),
        headers={"content-type": "application/vnd.apache.arrow.stream", "x-row-count": "2"},
    )
    wrapper = Wrapper(mode, [arrow])
    df = await wrapper.run(lambda conn: conn.query_df("MATCH (c) RETURN c.name AS name, 1 AS n"))
    assert df.to_dicts() == [{"name": "Ada", "n": 1}, {"name": "Grace", "n": 2}]
    assert wrapper.queries()[0].headers["accept"] == "application/vnd.apache.arrow.stream"


async def test_query_df_from_a_server_that_ignores_accept(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.Response(200, json=ANSWER)])
    df = await wrapper.run(lambda conn: conn.query_df("RETURN 1", backend="polars"))
    assert df.to_dicts() == [{"name": "Ada", "n": 1}, {"name": "Grace", "n": 2}]


async def test_connect_to_a_starting_instance_says_how_to_wait(mode: str) -> None:
    wrapper = Wrapper(mode, [], status="starting")
    with pytest.raises(InvalidStateError) as info:
        await wrapper.run(lambda conn: conn)
    assert not isinstance(info.value, InstanceGoneError)
    assert "Instance 12 is not running yet (status 'starting')" in str(info.value)
    assert "client.instances.wait_until_running(12)" in str(info.value)


async def test_closing_the_client_closes_its_connections(mode: str) -> None:
    wrapper = Wrapper(mode, [httpx.Response(200, json=ANSWER)])
    conn = await wrapper.run(lambda c: c)
    assert not conn._runner._client.is_closed
    closed = wrapper.client.close()
    if inspect.isawaitable(closed):
        await closed
    assert conn._runner._client.is_closed
