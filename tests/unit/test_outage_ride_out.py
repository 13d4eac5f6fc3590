"""A keyed mutation rides out a platform that is away longer than its retries (issue 17).

Faults from ``httpx.MockTransport`` (the platform refusing connections, answering 503)
and the harness's fake sleep, which records the pauses: no test really waits. Real-time
behaviour over sockets and SIGKILLs is in ``tests/reliability`` (test_network_faults.py,
test_kill_writers.py).
"""

from __future__ import annotations

import httpx
import pytest

import graph_olap
from graph_olap import ServerError
from graph_olap._core.retry import OUTAGE_BACKOFF, OUTAGE_RIDE_OUT

from .test_http_faults import MAPPING, create_mapping, get_mapping

pytestmark = pytest.mark.anyio


def refused() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


def created() -> httpx.Response:
    return httpx.Response(201, json={"data": MAPPING})


async def test_a_create_keeps_its_key_through_an_outage_longer_than_its_retries(make):
    harness = make([*[refused()] * 20, created()])  # 3 retries by default

    mapping = await harness.call(create_mapping)

    assert mapping.id == 1
    assert harness.attempts == 21
    assert len({r.headers["idempotency-key"] for r in harness.requests}) == 1
    assert harness.delays[:3] == [0.5, 1.0, 2.0]  # the usual backoff first (rng 1.0)
    assert harness.delays[3:] == [OUTAGE_BACKOFF] * 17  # then about once a second


async def test_a_503_burst_is_ridden_out_too(make):
    unavailable = httpx.Response(503, json={"error": {"code": "UNAVAILABLE", "message": "x"}})
    harness = make([*[unavailable] * 8, created()])

    assert (await harness.call(create_mapping)).id == 1
    assert harness.attempts == 9


async def test_the_ride_out_ends_after_its_window_saying_what_may_have_happened(make):
    harness = make([refused()])

    with pytest.raises(graph_olap.ConnectionError) as raised:
        await harness.call(create_mapping)

    err = raised.value
    assert sum(harness.delays) == pytest.approx(OUTAGE_RIDE_OUT)
    assert err.details["outage_seconds"] == pytest.approx(OUTAGE_RIDE_OUT)
    assert f"gave up after {harness.attempts} attempts" in err.message
    assert f"The platform was away for {OUTAGE_RIDE_OUT:.0f} s" in err.message
    assert "It may have been done before the platform went away" in err.message
    assert "look (for example, list your resources) before you send it again" in err.message


@pytest.mark.parametrize(
    ("fn", "steps", "client_kwargs", "attempts"),
    [
        pytest.param(get_mapping, [refused()], {}, 4, id="a read"),
        pytest.param(create_mapping, [refused()], {"max_retries": 0}, 1, id="max_retries=0"),
        pytest.param(
            create_mapping, [httpx.ReadTimeout("slow")], {}, 4, id="a timeout (slow, not away)"
        ),
        pytest.param(
            create_mapping,
            [httpx.Response(503, headers={"x-should-retry": "false"}, json={})],
            {},
            1,
            id="a 503 that says do not retry",
        ),
    ],
)
async def test_what_is_not_ridden_out(make, fn, steps, client_kwargs, attempts):
    harness = make(steps, **client_kwargs)

    with pytest.raises(graph_olap.GraphOLAPError) as raised:
        await harness.call(fn)

    assert harness.attempts == attempts
    assert "The platform was away" not in raised.value.message


async def test_a_query_to_an_instance_is_not_ridden_out(make):
    harness = make([refused()], api_url="http://olap.test")

    with pytest.raises(graph_olap.ConnectionError):
        await harness.call(lambda c: c.http.post("/query", json={"query": "RETURN 1"}))

    assert harness.attempts == 4  # not under /api/: an instance has no idempotency records


async def test_a_503_that_outlasts_the_window_is_reported_as_the_503(make):
    unavailable = httpx.Response(503, json={"error": {"code": "UNAVAILABLE", "message": "x"}})
    harness = make([unavailable])

    with pytest.raises(ServerError) as raised:
        await harness.call(create_mapping)

    assert raised.value.status_code == 503
    assert "The platform was away for 60 s" in raised.value.message
