"""What an interrupt does inside the SDK's operations, step by step (no I/O).

The operations are driven by hand: the test answers each call, and throws the
``KeyboardInterrupt`` (or ``asyncio.CancelledError``) where the runner would. The real
interrupts against the real platform are tests/e2e/test_cancel.py and
tests/notebooks/test_cancel_kernel.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph_olap import AlgorithmExecution, GraphOLAPClient, InstanceConnection, ValidationError
from graph_olap import exceptions as exc
from graph_olap._core.interrupt import Interrupted, check_on_interrupt
from graph_olap._core.ops import Call, Now, Op
from graph_olap.http import HTTPClient

RECORD = {
    "id": "ex-1",
    "algorithm": "pagerank",
    "kind": "native",
    "mode": "stream",
    "status": "running",
}


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.method} {request.url}")


@pytest.fixture
def conn() -> Iterator[InstanceConnection[Any]]:
    client = GraphOLAPClient("http://olap.test", username="alice")
    runner = HTTPClient(client.config, transport=httpx.MockTransport(_never))
    connection = InstanceConnection(runner, instance_id=12, control_plane_url="http://olap.test")
    yield connection
    connection.close()
    client.close()


def first_call(op: Op[Any]) -> Call:
    """Advance ``op`` to its first HTTP call (answering clock reads with 0)."""
    step = op.send(None)
    while not isinstance(step, Call):
        assert isinstance(step, Now), step
        step = op.send(0.0)
    return step


def test_an_interrupted_query_is_cancelled_by_its_own_id(conn: InstanceConnection[Any]) -> None:
    op = type(conn).query.op(conn, "MATCH (n) RETURN n")
    sent = first_call(op)
    query_id = sent.json["query_id"]
    cancel = op.throw(KeyboardInterrupt())
    assert (cancel.method, cancel.path) == ("POST", f"/query/{query_id}/cancel")
    with pytest.raises(Interrupted) as caught:
        op.send({"query_id": query_id, "interrupted": True})
    assert str(caught.value) == (
        f"Stopped query {query_id} on instance 12 (the platform interrupted it)."
    )
    assert caught.value.stopped and isinstance(caught.value, KeyboardInterrupt)


def test_each_query_has_its_own_id(conn: InstanceConnection[Any]) -> None:
    ids = {first_call(type(conn).query.op(conn, "RETURN 1")).json["query_id"] for _ in range(5)}
    assert len(ids) == 5


def test_a_failed_cancel_says_the_query_may_still_run(conn: InstanceConnection[Any]) -> None:
    op = type(conn).query.op(conn, "MATCH (n) RETURN n")
    query_id = first_call(op).json["query_id"]
    op.throw(KeyboardInterrupt())
    with pytest.raises(Interrupted) as caught:
        op.throw(exc.ConnectionError("connection refused"))
    assert not caught.value.stopped
    assert f"Stopped waiting for query {query_id} on instance 12, but could not cancel" in str(
        caught.value
    )
    assert "connection refused" in str(caught.value)


def test_an_interrupted_algorithm_wait_cancels_the_run_it_started(
    conn: InstanceConnection[Any],
) -> None:
    handle = conn.algo._handle(AlgorithmExecution.model_validate(RECORD))
    op = handle._follow(60.0, None, None, known=False, on_interrupt="cancel")
    poll = first_call(op)
    assert poll.path == "/algo/executions/ex-1"
    cancel = op.throw(KeyboardInterrupt())
    assert (cancel.method, cancel.path) == ("DELETE", "/algo/executions/ex-1")
    with pytest.raises(Interrupted) as caught:
        op.send({"data": {**RECORD, "status": "cancelled"}})
    assert str(caught.value) == (
        "Stopped pagerank execution ex-1 (the platform cancelled it; it wrote nothing and "
        "the instance's lock is free)."
    )


def test_the_wait_of_a_run_just_started_cancels_by_default(
    conn: InstanceConnection[Any],
) -> None:
    handle = conn.algo._handle(AlgorithmExecution.model_validate(RECORD))
    op = handle._follow(60.0, None, None, known=True)  # what conn.algo.<name>() waits with
    step = op.send(None)
    while not isinstance(step, Call):
        step = op.send(0.0)  # the clock; the first observation is the start's answer
    assert op.throw(KeyboardInterrupt()).method == "DELETE"


def test_a_cancelled_task_cancels_the_run_and_stays_cancelled(
    conn: InstanceConnection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    handle = conn.algo._handle(AlgorithmExecution.model_validate(RECORD))
    op = handle._follow(60.0, None, None, known=False, on_interrupt="cancel")
    first_call(op)
    cancelled = asyncio.CancelledError()
    assert op.throw(cancelled).method == "DELETE"
    with (
        caplog.at_level(logging.WARNING, logger="graph_olap"),
        pytest.raises(asyncio.CancelledError) as caught,
    ):
        op.send({"data": {**RECORD, "status": "cancelled"}})
    assert caught.value is cancelled
    assert "Stopped pagerank execution ex-1" in caplog.text


def test_an_interrupted_algorithm_start_cancels_the_execution_it_began(
    conn: InstanceConnection[Any],
) -> None:
    op = type(conn.algo).pagerank.op(conn.algo, max_iterations=5)
    start = first_call(op)
    assert (start.method, start.path) == ("POST", "/algo/pagerank")
    listing = op.throw(KeyboardInterrupt())  # the start's answer (with the id) never came
    assert (listing.method, listing.path) == ("GET", "/algo/executions")
    others = [
        {**RECORD, "id": "ex-other", "parameters": {"max_iterations": 99}},
        {**RECORD, "id": "ex-done", "status": "completed", "parameters": start.json["parameters"]},
    ]
    mine = {**RECORD, "id": "ex-mine", "parameters": start.json["parameters"], "username": "alice"}
    cancel = op.send({"executions": [*others[:1], mine, *others[1:]]})
    assert (cancel.method, cancel.path) == ("DELETE", "/algo/executions/ex-mine")
    with pytest.raises(Interrupted, match="Stopped pagerank execution ex-mine"):
        op.send({"data": {**mine, "status": "cancelled"}})


def test_on_interrupt_takes_cancel_or_keep() -> None:
    assert check_on_interrupt("keep") == "keep"
    with pytest.raises(ValidationError, match="on_interrupt must be 'cancel'"):
        check_on_interrupt("stop")
