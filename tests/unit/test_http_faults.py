"""Transport faults, the retry policy and error mapping, for the sync and async clients.

Every test runs twice (``mode`` = sync / async) against an ``httpx.MockTransport`` that
plays a script of answers and failures. Assertions are on what the transport saw (the
requests, their headers), on the delays the fake sleep recorded and on the exception
raised.
"""

from __future__ import annotations

import builtins
import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

import graph_olap
from graph_olap import (
    AlreadyExistsError,
    AuthenticationError,
    ConcurrencyLimitError,
    ConflictError,
    DependencyError,
    ForbiddenError,
    GraphOLAPError,
    InvalidStateError,
    MaintenanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResourceLockedError,
    ServerError,
    ValidationError,
)

pytestmark = pytest.mark.anyio

MAPPING = {"id": 1, "name": "customers", "owner_username": "alice", "current_version": 1}
NODE = {
    "label": "Customer",
    "sql": "SELECT customer_id FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [],
}
REQUEST_ID = "req-7f3a"
BASE_URL_TEXT = "http://olap.test"


def ok() -> httpx.Response:
    return httpx.Response(200, json={"data": MAPPING})


def created() -> httpx.Response:
    return httpx.Response(201, json={"data": MAPPING})


def error(
    status: int,
    code: str = "SOME_ERROR",
    message: str = "something failed",
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return httpx.Response(
        status, json=body, headers={"x-request-id": REQUEST_ID, **(headers or {})}
    )


def get_mapping(client: Any) -> Any:
    return client.mappings.get(1)


def create_mapping(client: Any) -> Any:
    return client.mappings.create(
        "customers", "Customers", node_definitions=[NODE], edge_definitions=[]
    )


def counting(error_type: type[httpx.TransportError], text: str) -> Any:
    """A step that fails with a numbered message, so the last failure can be told apart."""
    count = 0

    def step(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        raise error_type(f"{text} #{count}", request=request)

    return step


async def expect(harness: Any, fn: Any, error_type: type[BaseException]) -> Any:
    with pytest.raises(error_type) as info:
        await harness.call(fn)
    return info.value


# --------------------------------------------------------------------------------------
# Failures before an answer: resets, refusals, timeouts


TRANSIENT = [
    pytest.param(httpx.ConnectError("connection refused"), id="ConnectError"),
    pytest.param(httpx.ReadError("connection reset by peer"), id="ReadError"),
    pytest.param(httpx.WriteError("broken pipe"), id="WriteError"),
    pytest.param(httpx.RemoteProtocolError("server disconnected"), id="RemoteProtocolError"),
    pytest.param(httpx.ConnectTimeout("connect timed out"), id="ConnectTimeout"),
    pytest.param(httpx.ReadTimeout("read timed out"), id="ReadTimeout"),
    pytest.param(httpx.PoolTimeout("pool exhausted"), id="PoolTimeout"),
]


@pytest.mark.parametrize("failure", TRANSIENT)
@pytest.mark.parametrize("failures", [1, 3])
async def test_transport_failure_then_success_is_retried(make, failure, failures):
    harness = make([failure] * failures + [ok()])

    mapping = await harness.call(get_mapping)

    assert mapping.id == 1
    assert harness.attempts == failures + 1
    assert harness.delays == [0.5, 1.0, 2.0][:failures]


@pytest.mark.parametrize(
    ("jitter", "expected"),
    [
        (1.0, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]),
        (0.0, [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]),
        (0.5, [0.375, 0.75, 1.5, 3.0, 6.0, 6.0, 6.0]),
    ],
)
async def test_backoff_grows_exponentially_and_is_capped(make, jitter, expected):
    harness = make([httpx.ConnectError("reset")] * 7 + [ok()], max_retries=7, rng=lambda: jitter)

    await harness.call(get_mapping)

    assert harness.delays == pytest.approx(expected)
    assert harness.attempts == 8


async def test_backoff_with_real_jitter_stays_within_bounds(make):
    harness = make(
        [httpx.ReadError("reset")] * 9 + [ok()], max_retries=9, rng=random.Random(7).random
    )

    await harness.call(get_mapping)

    assert len(harness.delays) == 9
    for attempt, delay in enumerate(harness.delays, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert max(harness.delays) <= 8.0
    # capped from the 5th wait on, and the jitter really varies the waits
    assert len(set(harness.delays[4:])) > 1


# --------------------------------------------------------------------------------------
# Answers that are retried, and answers that are not


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
async def test_transient_status_then_success_is_retried(make, status):
    harness = make([error(status, "TRANSIENT"), ok()])

    mapping = await harness.call(get_mapping)

    assert mapping.name == "customers"
    assert harness.attempts == 2
    assert harness.delays == [0.5]


async def test_500_is_not_retried(make):
    harness = make([error(500, "INTERNAL_ERROR", "boom"), ok()])

    err = await expect(harness, get_mapping, ServerError)

    assert harness.attempts == 1
    assert harness.delays == []
    assert err.status_code == 500
    assert err.code == "INTERNAL_ERROR"
    assert "gave up" not in err.message


ERROR_MAP = [
    (400, "VALIDATION_ERROR", ValidationError),
    (401, "UNAUTHORIZED", AuthenticationError),
    (403, "FORBIDDEN", ForbiddenError),
    (404, "NOT_FOUND", NotFoundError),
    (409, "RESOURCE_LOCKED", ResourceLockedError),
    (409, "CONCURRENCY_LIMIT_EXCEEDED", ConcurrencyLimitError),
    (409, "RESOURCE_HAS_DEPENDENCIES", DependencyError),
    (409, "INVALID_STATE", InvalidStateError),
    (409, "ALREADY_EXISTS", AlreadyExistsError),
    (409, "CONFLICT", ConflictError),
    (422, "VALIDATION_ERROR", ValidationError),
    (500, "INTERNAL_ERROR", ServerError),
]


@pytest.mark.parametrize(
    ("status", "code", "error_type"), ERROR_MAP, ids=[f"{s}-{c}" for s, c, _ in ERROR_MAP]
)
@pytest.mark.parametrize("call", [get_mapping, create_mapping], ids=["GET", "POST"])
async def test_error_answers_map_to_exceptions_and_are_not_retried(
    make, status, code, error_type, call
):
    details = {"resource_id": 1, "hint": f"about {code}"}
    harness = make([error(status, code, f"{code} happened", details=details), ok()])

    err = await expect(harness, call, GraphOLAPError)

    assert type(err) is error_type
    assert err.status_code == status
    assert err.code == code
    assert err.message == f"{code} happened"
    assert err.details == details
    assert err.request_id == REQUEST_ID
    assert str(err) == f"{code} happened (request id: {REQUEST_ID})"
    assert harness.attempts == 1
    assert harness.delays == []
    if status == 409:
        assert isinstance(err, ConflictError)


async def test_forbidden_is_also_permission_denied(make):
    harness = make([error(403, "FORBIDDEN", "admins only")])

    err = await expect(harness, get_mapping, PermissionDeniedError)

    assert isinstance(err, ForbiddenError)
    assert err.status_code == 403


async def test_error_code_beats_status_for_the_class(make):
    # a domain code picks the class even on an unusual status
    harness = make([error(400, "RESOURCE_LOCKED", "locked by algorithm run 9")])

    err = await expect(harness, get_mapping, ResourceLockedError)

    assert err.status_code == 400
    assert harness.attempts == 1


async def test_error_without_code_gets_the_class_default(make):
    harness = make([httpx.Response(404, json={"error": {"message": "Mapping 1 is gone"}})])

    err = await expect(harness, get_mapping, NotFoundError)

    assert err.code == "NOT_FOUND"
    assert err.message == "Mapping 1 is gone"
    assert err.details == {}
    assert err.request_id is None


async def test_maintenance_mode_with_no_retry_hint_raises_at_once(make):
    details = {"until": "2030-01-01T00:00:00Z"}
    harness = make(
        [
            error(
                503,
                "MAINTENANCE_MODE",
                "The platform is in maintenance",
                details=details,
                headers={"x-should-retry": "false"},
            ),
            ok(),
        ]
    )

    err = await expect(harness, get_mapping, MaintenanceError)

    assert isinstance(err, ServerError)
    assert (err.status_code, err.code) == (503, "MAINTENANCE_MODE")
    assert err.message == "The platform is in maintenance"
    assert err.details == details
    assert err.request_id == REQUEST_ID
    assert harness.attempts == 1
    assert harness.delays == []


async def test_maintenance_mode_without_hint_follows_the_503_policy(make):
    # 503 is transient by policy: maintenance without x-should-retry is retried, then reported
    harness = make([error(503, "MAINTENANCE_MODE", "The platform is in maintenance")])

    err = await expect(harness, get_mapping, MaintenanceError)

    assert harness.attempts == 4
    assert harness.delays == [0.5, 1.0, 2.0]
    assert err.message.startswith("The platform is in maintenance")
    assert "gave up after 4 attempts" in err.message
    assert err.details["attempts"] == 4
    assert err.request_id == REQUEST_ID


# --------------------------------------------------------------------------------------
# Retry-After and x-should-retry


def http_date(seconds_from_now: float) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)
    return format_datetime(when, usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected_delay"),
    [(429, "2", 2.0), (429, "0", 0.0), (429, "30", 30.0), (503, "3", 3.0), (429, "1.5", 1.5)],
)
async def test_retry_after_is_honoured_exactly(make, status, retry_after, expected_delay):
    harness = make([error(status, "RATE_LIMITED", headers={"retry-after": retry_after}), ok()])

    await harness.call(get_mapping)

    assert harness.delays == [expected_delay]
    assert harness.attempts == 2


@pytest.mark.parametrize("retry_after", ["120", "31"])
async def test_long_retry_after_raises_rate_limit_at_once(make, retry_after):
    harness = make(
        [error(429, "RATE_LIMITED", "slow down", headers={"retry-after": retry_after}), ok()]
    )

    err = await expect(harness, get_mapping, RateLimitError)

    assert err.retry_after == float(retry_after)
    assert (err.status_code, err.code) == (429, "RATE_LIMITED")
    assert err.request_id == REQUEST_ID
    assert harness.attempts == 1
    assert harness.delays == []


async def test_retry_after_as_http_date_is_waited(make):
    began = time.time()
    harness = make([error(429, "RATE_LIMITED", headers={"retry-after": http_date(10)}), ok()])

    await harness.call(get_mapping)

    assert harness.attempts == 2
    [delay] = harness.delays
    # the date has whole seconds; the wait is shorter by the time the test took so far
    assert 9.0 - (time.time() - began) <= delay <= 10.0


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rfc850_date(seconds_from_now: float) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)
    weekday = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    return f"{weekday[when.weekday()]}, {when:%d}-{MONTHS[when.month - 1]}-{when:%y %H:%M:%S} GMT"


def asctime_date(seconds_from_now: float) -> str:
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)
    return (
        f"{DAYS[when.weekday()]} {MONTHS[when.month - 1]} {when.day:2d} {when:%H:%M:%S} {when.year}"
    )


@pytest.fixture(params=["UTC0", "EST5", "CET-1"], ids=["UTC", "UTC-5", "UTC+1"])
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run with the process's local time zone set: HTTP dates are GMT whatever it is."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.parametrize(
    "date_format", [http_date, rfc850_date, asctime_date], ids=["IMF", "RFC850", "asctime"]
)
async def test_every_http_date_format_is_read_as_gmt(make, local_zone, date_format):
    # RFC 9110 section 5.6.7: recipients must accept all three formats, all in GMT
    began = time.time()
    harness = make([error(429, "RATE_LIMITED", headers={"retry-after": date_format(10)}), ok()])

    await harness.call(get_mapping)

    assert harness.attempts == 2
    [delay] = harness.delays
    assert 9.0 - (time.time() - began) <= delay <= 10.0  # see the test above


async def test_retry_after_http_date_far_ahead_raises_rate_limit(make):
    harness = make([error(429, "RATE_LIMITED", headers={"retry-after": http_date(3600)})])

    err = await expect(harness, get_mapping, RateLimitError)

    assert 3500 < err.retry_after <= 3600
    assert harness.attempts == 1


async def test_retry_after_http_date_in_the_past_retries_at_once(make):
    harness = make([error(503, "BUSY", headers={"retry-after": http_date(-60)}), ok()])

    await harness.call(get_mapping)

    assert harness.delays == [0.0]


async def test_unreadable_retry_after_falls_back_to_backoff(make):
    harness = make([error(429, "RATE_LIMITED", headers={"retry-after": "soon"}), ok()])

    await harness.call(get_mapping)

    assert harness.delays == [0.5]


@pytest.mark.parametrize(
    ("status", "hint", "retried", "error_type"),
    [
        (503, "false", False, ServerError),
        (502, "false", False, ServerError),
        (429, "false", False, RateLimitError),
        (409, "true", True, None),
        (500, "true", True, None),
        (400, "true", True, None),
    ],
)
async def test_server_retry_hint_wins_over_status(make, status, hint, retried, error_type):
    harness = make([error(status, "WHATEVER", headers={"x-should-retry": hint}), ok()])

    if retried:
        assert (await harness.call(get_mapping)).id == 1
        assert harness.attempts == 2
        assert harness.delays == [0.5]
    else:
        err = await expect(harness, get_mapping, error_type)
        assert err.status_code == status
        assert harness.attempts == 1
        assert harness.delays == []


async def test_retry_hint_on_409_that_never_clears_reports_the_conflict(make):
    harness = make([error(409, "RESOURCE_LOCKED", "locked", headers={"x-should-retry": "true"})])

    err = await expect(harness, get_mapping, ResourceLockedError)

    assert harness.attempts == 4
    assert "gave up after 4 attempts" in err.message
    assert "HTTP 409" in err.message


# --------------------------------------------------------------------------------------
# Idempotency keys


MUTATIONS = [
    pytest.param(create_mapping, "POST", "/api/mappings", created(), id="create"),
    pytest.param(
        lambda c: c.mappings.update(1, "add city", node_definitions=[NODE]),
        "PUT",
        "/api/mappings/1",
        ok(),
        id="update",
    ),
    pytest.param(
        lambda c: c.mappings.set_lifecycle(1, ttl="P7D"),
        "PUT",
        "/api/mappings/1/lifecycle",
        ok(),
        id="set_lifecycle",
    ),
    pytest.param(
        lambda c: c.mappings.copy(1, "mine"), "POST", "/api/mappings/1/copy", created(), id="copy"
    ),
    pytest.param(
        lambda c: c.mappings.delete(1),
        "DELETE",
        "/api/mappings/1",
        httpx.Response(204),
        id="delete",
    ),
]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ReadTimeout("read timed out"), id="ReadTimeout"),
        pytest.param(httpx.ReadError("connection reset by peer"), id="reset"),
        pytest.param(error(503, "UNAVAILABLE"), id="503"),
    ],
)
async def test_retried_create_reuses_one_idempotency_key(make, failure):
    harness = make([failure, httpx.ConnectError("refused"), created()])

    mapping = await harness.call(create_mapping)

    assert mapping.id == 1
    assert [r.method for r in harness.requests] == ["POST"] * 3
    keys = {r.headers.get("idempotency-key") for r in harness.requests}
    assert len(keys) == 1
    [key] = keys
    assert key is not None
    assert uuid.UUID(key)
    # and the body is the same on every attempt
    assert len({r.content for r in harness.requests}) == 1
    assert b'"label":"Customer"' in harness.requests[0].content


@pytest.mark.parametrize(("call", "method", "path", "answer"), MUTATIONS)
async def test_every_mutating_call_keeps_its_key_across_attempts(make, call, method, path, answer):
    harness = make([httpx.ConnectError("reset"), answer])

    await harness.call(call)

    assert harness.attempts == 2
    assert {r.method for r in harness.requests} == {method}
    assert {r.url.path for r in harness.requests} == {path}
    first, second = (r.headers.get("idempotency-key") for r in harness.requests)
    assert first is not None
    assert first == second


@pytest.mark.parametrize(
    ("call", "answer"),
    [
        pytest.param(get_mapping, ok(), id="get"),
        pytest.param(
            lambda c: c.mappings.list_versions(1),
            httpx.Response(200, json={"data": []}),
            id="list_versions",
        ),
        pytest.param(
            lambda c: c.health.check(),
            httpx.Response(200, json={"status": "healthy"}),
            id="health",
        ),
    ],
)
async def test_reads_carry_no_idempotency_key(make, call, answer):
    harness = make([httpx.ReadError("reset"), answer])

    await harness.call(call)

    assert harness.attempts == 2
    assert all(r.method == "GET" for r in harness.requests)
    assert all("idempotency-key" not in r.headers for r in harness.requests)


async def test_separate_creates_use_different_keys(make):
    harness = make([httpx.ReadTimeout("slow"), created(), httpx.ReadTimeout("slow"), created()])

    await harness.call(create_mapping)
    await harness.call(create_mapping)

    keys = [r.headers["idempotency-key"] for r in harness.requests]
    assert len(keys) == 4
    assert keys[0] == keys[1]
    assert keys[2] == keys[3]
    assert keys[0] != keys[2]


# --------------------------------------------------------------------------------------
# Retries running out


@pytest.mark.parametrize("max_retries", [0, 1, 3])
@pytest.mark.parametrize(
    ("error_type", "text"),
    [(httpx.ConnectError, "connection refused"), (httpx.ReadError, "connection reset by peer")],
    ids=["ConnectError", "ReadError"],
)
async def test_exhausted_connection_errors_raise_connection_error(
    make, max_retries, error_type, text
):
    harness = make([counting(error_type, text)], max_retries=max_retries)
    attempts = max_retries + 1

    err = await expect(harness, get_mapping, graph_olap.ConnectionError)

    assert isinstance(err, builtins.ConnectionError)
    assert harness.attempts == attempts
    assert len(harness.delays) == max_retries
    plural = "attempt" if attempts == 1 else "attempts"
    assert f"gave up after {attempts} {plural};" in err.message
    assert f"last failure: {error_type.__name__}: {text} #{attempts}" in err.message
    if attempts > 1:
        assert f"#{attempts - 1}" not in err.message
    assert BASE_URL_TEXT in err.message
    assert err.details == {
        "attempts": attempts,
        "last_error": f"{error_type.__name__}: {text} #{attempts}",
    }
    assert isinstance(err.__cause__, error_type)
    assert err.status_code is None


@pytest.mark.parametrize(
    "error_type", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.WriteTimeout, httpx.PoolTimeout]
)
async def test_exhausted_timeouts_raise_timeout_error(make, error_type):
    harness = make([counting(error_type, "timed out")])

    err = await expect(harness, create_mapping, graph_olap.TimeoutError)

    assert isinstance(err, builtins.TimeoutError)
    assert not isinstance(err, graph_olap.ConnectionError)
    assert harness.attempts == 4
    assert "POST /api/mappings timed out" in err.message
    assert f"gave up after 4 attempts; last failure: {error_type.__name__}: timed out #4" in (
        err.message
    )
    assert err.details["attempts"] == 4


async def test_exhausted_503_raises_server_error_naming_attempts(make):
    harness = make([error(503, "UNAVAILABLE", "warehouse is restarting", details={"part": "db"})])

    err = await expect(harness, get_mapping, ServerError)

    assert type(err) is ServerError
    assert harness.attempts == 4
    assert harness.delays == [0.5, 1.0, 2.0]
    assert err.status_code == 503
    assert err.code == "UNAVAILABLE"
    assert err.message.startswith("warehouse is restarting")
    assert "gave up after 4 attempts; last failure: HTTP 503 Service Unavailable" in err.message
    assert err.details == {"part": "db", "attempts": 4}
    assert err.request_id == REQUEST_ID
    assert "gave up after 4 attempts" in str(err)


async def test_exhausted_429_keeps_retry_after(make):
    harness = make([error(429, "RATE_LIMITED", "slow down", headers={"retry-after": "1"})])

    err = await expect(harness, get_mapping, RateLimitError)

    assert err.retry_after == 1.0
    assert harness.delays == [1.0, 1.0, 1.0]
    assert "gave up after 4 attempts" in err.message


async def test_exhausted_408_raises_timeout_error(make):
    harness = make([error(408, "REQUEST_TIMEOUT", "took too long")])

    err = await expect(harness, get_mapping, graph_olap.TimeoutError)

    assert err.status_code == 408
    assert harness.attempts == 4


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        pytest.param(httpx.ConnectError("refused"), graph_olap.ConnectionError, id="connect"),
        pytest.param(httpx.ReadTimeout("slow"), graph_olap.TimeoutError, id="timeout"),
        pytest.param(error(503, "UNAVAILABLE"), ServerError, id="503"),
        pytest.param(error(502, "BAD_GATEWAY"), ServerError, id="502"),
        pytest.param(
            error(429, "RATE_LIMITED", headers={"retry-after": "2"}), RateLimitError, id="429"
        ),
    ],
)
async def test_max_retries_zero_makes_exactly_one_attempt(make, failure, error_type):
    harness = make([failure, ok()], max_retries=0)

    err = await expect(harness, get_mapping, error_type)

    assert harness.attempts == 1
    assert harness.delays == []
    assert "gave up after 1 attempt;" in err.message


# --------------------------------------------------------------------------------------
# Answers the SDK cannot read


@pytest.mark.parametrize(
    ("body", "preview"),
    [
        ('{"data": {"id": 1,', '{"data": {"id": 1,'),
        ("<html>\n  <body>Please log in</body>\n</html>", "<html> <body>Please log in</body>"),
    ],
    ids=["truncated-json", "login-page"],
)
async def test_malformed_json_in_success_raises_invalid_response(make, body, preview):
    harness = make([httpx.Response(200, text=body, headers={"x-request-id": REQUEST_ID}), ok()])

    err = await expect(harness, get_mapping, ServerError)

    assert err.code == "INVALID_RESPONSE"
    assert err.status_code == 200
    assert err.request_id == REQUEST_ID
    assert preview in err.message
    assert "not JSON" in err.message
    assert "GET /api/mappings/1" in err.message
    assert harness.attempts == 1


async def test_malformed_json_preview_is_truncated(make):
    harness = make([httpx.Response(200, text="x" * 5000)])

    err = await expect(harness, get_mapping, ServerError)

    assert "x" * 200 + "..." in err.message
    assert "x" * 201 not in err.message


PROXY_502 = """<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.25.3</center>
</body>
</html>
"""


async def test_html_502_from_a_proxy_gives_a_readable_error_after_retries(make):
    harness = make([httpx.Response(502, text=PROXY_502, headers={"content-type": "text/html"})])

    err = await expect(harness, get_mapping, ServerError)

    assert harness.attempts == 4
    assert err.status_code == 502
    assert err.code == "SERVER_ERROR"
    assert "GET /api/mappings/1 failed with HTTP 502 Bad Gateway" in err.message
    assert "<h1>502 Bad Gateway</h1>" in err.message
    assert "nginx/1.25.3" in err.message
    assert "gave up after 4 attempts" in err.message
    assert "\n" not in err.message
    assert "JSONDecodeError" not in err.message


@pytest.mark.parametrize(
    ("answer", "error_type", "fragment"),
    [
        (httpx.Response(404, text="no such route"), NotFoundError, "'no such route'"),
        (httpx.Response(500), ServerError, "empty body"),
        (httpx.Response(400, json=["not", "an", "envelope"]), ValidationError, "HTTP 400"),
        (httpx.Response(401, json={"error": "bad token"}), AuthenticationError, "'{"),
    ],
    ids=["text-404", "empty-500", "list-400", "string-error-401"],
)
async def test_error_bodies_without_the_envelope_still_read_well(
    make, answer, error_type, fragment
):
    harness = make([answer])

    err = await expect(harness, get_mapping, error_type)

    assert type(err) is error_type
    assert err.status_code == answer.status_code
    assert fragment in err.message
    assert f"GET /api/mappings/1 failed with HTTP {answer.status_code}" in err.message
    assert harness.attempts == 1


async def test_non_transport_httpx_failure_is_not_retried(make):
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.DecodingError("bad gzip", request=request)

    harness = make([broken, ok()])

    err = await expect(harness, get_mapping, GraphOLAPError)

    assert err.code == "TRANSPORT_ERROR"
    assert "bad gzip" in err.message
    assert harness.attempts == 1


def test_retries_are_logged_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, json={"error": {"code": "X", "message": "busy"}})
        return httpx.Response(200, json={"status": "healthy"})

    client = graph_olap.GraphOLAPClient(
        "http://platform.test", api_key="sk-CANARY-log", transport=httpx.MockTransport(handler),
        sleep=lambda _s: None,
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="graph_olap"):
        assert client.health.check().status == "healthy"
    assert len(seen) == 2
    assert "retrying in" in caplog.text
    assert "HTTP 503" in caplog.text
    assert "attempt 2 of 4" in caplog.text
    assert "sk-CANARY-log" not in caplog.text
