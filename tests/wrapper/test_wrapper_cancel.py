"""``POST /query/{id}/cancel`` and ``GET /queries`` on a real wrapper, for both engines.

A query that would run for hours (a five-way product of 400 customers, filtered) is sent
with an id from one thread; the test cancels it from another once ``GET /queries``
lists it, and checks the answers: 409 ("The query ... was cancelled") for the query, nothing left
running, the next query answered. A cancel that overtakes its query (sent before the
query arrives) stops the query as soon as it arrives. Only the sender may cancel.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from .conftest import Wrapper

pytestmark = pytest.mark.timeout(120)

LONG = (
    "MATCH (a:Customer), (b:Customer), (c:Customer), (d:Customer), (e:Customer) "
    "WHERE (a.id * b.id + c.id * d.id + e.id) % 1000003 = 7 RETURN count(*) AS n"
)


def running(wrapper: Wrapper) -> list[dict[str, Any]]:
    answer = wrapper.http.get("/queries")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["queries"])


def until(check: Any, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


def test_a_running_query_is_interrupted_by_its_id(wrapper: Wrapper) -> None:
    query_id = uuid.uuid4().hex[:12]
    answers: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(wrapper.query(LONG, query_id=query_id, timeout_ms=600_000))
    )
    sender.start()
    until(lambda: [q["query_id"] for q in running(wrapper)] == [query_id])
    (listed,) = running(wrapper)
    assert listed["username"] == "alice" and listed["running_seconds"] >= 0
    cancelled = wrapper.http.post(f"/query/{query_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == {"query_id": query_id, "interrupted": True}
    assert running(wrapper) == []  # the cancel answers once the query has stopped
    sender.join(30)
    assert not sender.is_alive(), "the query was not stopped"
    (answer,) = answers
    assert answer.status_code == 409, answer.text
    body = answer.json()["error"]
    assert body["code"] == "QUERY_CANCELLED" and body["details"]["query_id"] == query_id
    assert f"The query {query_id} was cancelled" in body["message"]
    assert running(wrapper) == []
    assert wrapper.rows("MATCH (c:Customer) RETURN count(c)") == [[400]]  # the engine is free


def test_a_cancel_that_overtakes_its_query_stops_it_on_arrival(wrapper: Wrapper) -> None:
    query_id = uuid.uuid4().hex[:12]
    early = wrapper.http.post(f"/query/{query_id}/cancel")
    assert early.json() == {"query_id": query_id, "interrupted": False}
    answer = wrapper.query(LONG, query_id=query_id, timeout_ms=600_000)
    assert answer.status_code == 409 and "was cancelled" in answer.json()["error"]["message"]


def test_a_query_id_is_checked(wrapper: Wrapper) -> None:
    bad = wrapper.http.post("/query/not%20an%20id/cancel")
    assert bad.status_code == 400, bad.text
    assert "A query id is 1 to 64 letters" in bad.json()["error"]["message"]
    sent = wrapper.query("RETURN 1 AS one", query_id="bad id")
    assert sent.status_code == 400, sent.text


def test_only_the_sender_may_cancel(wrapper: Wrapper) -> None:
    query_id = uuid.uuid4().hex[:12]
    answers: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(wrapper.query(LONG, query_id=query_id, timeout_ms=600_000))
    )
    sender.start()
    try:
        until(lambda: bool(running(wrapper)))
        other = wrapper.http.post(f"/query/{query_id}/cancel", headers={"X-Username": "mallory"})
        assert other.status_code in (401, 403), other.text  # not trusted, or not hers
        assert [q["query_id"] for q in running(wrapper)] == [query_id]
    finally:
        wrapper.http.post(f"/query/{query_id}/cancel")
        sender.join(30)
    assert answers[0].status_code == 409
