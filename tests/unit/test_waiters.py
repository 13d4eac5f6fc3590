"""The waiters (snapshots.wait_until_ready, instances.wait_until_running and the
*_and_wait methods), sync and async, against scripted progress over a MockTransport.

The script stands in for what a real platform cannot do on demand: hold an instance in
one phase for 900 seconds of a fake clock, or be interrupted at a chosen poll. The fake
sleep advances the fake clock, so no test waits.
"""

from __future__ import annotations

import builtins
import inspect
import io
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    ConnectionError,
    GraphOLAPClient,
    InstanceFailedError,
    InstanceGoneError,
    PermissionDeniedError,
    ProgressEvent,
    SnapshotFailedError,
    TextProgress,
    TimeoutError,
    ValidationError,
)

pytestmark = pytest.mark.anyio

URL = "http://olap.test"


def steps(*statuses: str, total: int = 5) -> list[dict[str, Any]]:
    return [{"name": f"step{i}", "status": s} for i, s in enumerate(statuses)] + [
        {"name": f"step{i}", "status": "pending"} for i in range(len(statuses), total)
    ]


def progress(status: str, phase: str, done: int = 0, total: int = 5, **extra: Any) -> dict:
    return {
        "id": 12,
        "status": status,
        "phase": phase,
        "steps": steps(*["completed"] * done, total=total),
        **extra,
    }


INSTANCE = {"id": 12, "name": "i", "owner_username": "alice", "snapshot_id": 7, "mapping_id": 3}


class Script:
    """A client (sync or async) whose MockTransport answers each path from a script.

    ``routes`` maps "METHOD path" to a list of JSON bodies (wrapped in ``data``), played
    in order; the last one repeats. The fake clock advances only by the fake sleeps.
    """

    def __init__(
        self,
        mode: str,
        routes: dict[str, list[Any]],
        *,
        interrupt_at_sleep: int | None = None,
    ) -> None:
        self.mode = mode
        self.routes = {k: list(v) for k, v in routes.items()}
        self.seen: list[str] = []
        self.params: list[dict[str, str]] = []
        self.delays: list[float] = []
        self.interrupt_at_sleep = interrupt_at_sleep
        kwargs: dict[str, Any] = {
            "username": "alice",
            "transport": httpx.MockTransport(self._handle),
            "clock": lambda: 1000.0 + sum(self.delays),
            "rng": lambda: 1.0,
        }
        if mode == "sync":
            self.client: Any = GraphOLAPClient(URL, sleep=self._sleep, **kwargs)
        else:

            async def asleep(seconds: float) -> None:
                self._sleep(seconds)

            self.client = AsyncGraphOLAPClient(URL, sleep=asleep, **kwargs)

    def _sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.interrupt_at_sleep is not None and len(self.delays) >= self.interrupt_at_sleep:
            raise KeyboardInterrupt

    def _handle(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        self.seen.append(key)
        self.params.append(dict(request.url.params))
        script = self.routes.get(key)
        if not script:
            return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": key}})
        body = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(body, httpx.TransportError):
            raise body
        if isinstance(body, httpx.Response):
            return body
        return httpx.Response(200, json={"data": body})

    async def call(self, fn: Callable[[Any], Any]) -> Any:
        result = fn(self.client)
        if inspect.isawaitable(result):
            result = await result
        return result

    def count(self, key: str) -> int:
        return self.seen.count(key)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def instance_routes(*progresses: dict[str, Any], status: str = "running") -> dict:
    return {
        "GET /api/instances/12/progress": list(progresses),
        "GET /api/instances/12": [{**INSTANCE, "status": status}],
    }


async def test_polling_starts_fast_and_slows_to_the_poll_interval(mode: str) -> None:
    pending = [progress("starting", "loading_data", 1)] * 9
    script = Script(mode, instance_routes(*pending, progress("running", "ready", 5)))
    inst = await script.call(lambda c: c.instances.wait_until_running(12, poll_interval=2))
    assert inst.status == "running"
    assert script.delays == pytest.approx([0.2, 0.3, 0.45, 0.675, 1.0125, 1.51875, 2, 2, 2])


async def test_polls_are_held_until_the_progress_changes(mode: str) -> None:
    """With tokens, each poll after the first sends the last token as ``seen`` and is
    held by the platform (``wait_ms``), so the wait never sleeps; once the instance is
    running nothing more is asked."""
    answers = [
        progress("waiting_for_snapshot", "exporting", 1, token="t1"),
        progress("starting", "loading_data", 3, token="t2"),
        progress("running", "ready", 5, token="t3"),
    ]
    script = Script(mode, instance_routes(*answers))
    await script.call(lambda c: c.instances.wait_until_running(12, timeout=600, poll_interval=5))
    polls = [p for k, p in zip(script.seen, script.params, strict=True) if k.endswith("/progress")]
    assert polls == [{}, {"seen": "t1", "wait_ms": "10000"}, {"seen": "t2", "wait_ms": "10000"}]
    assert script.delays == []


async def test_a_hold_never_passes_the_deadline(mode: str) -> None:
    pending = progress("starting", "loading_data", 1, token="same")
    script = Script(mode, instance_routes(pending))
    with pytest.raises(TimeoutError):
        await script.call(lambda c: c.instances.wait_until_running(12, timeout=3))
    holds = [p.get("wait_ms") for p in script.params if p]
    assert holds and all(int(ms) <= 3000 for ms in holds)


async def test_ready_at_once_means_no_sleep(mode: str) -> None:
    script = Script(mode, instance_routes(progress("running", "ready", 5)))
    await script.call(lambda c: c.instances.wait_until_running(12))
    assert script.delays == []


async def test_on_progress_gets_real_phases_only_when_they_change(mode: str) -> None:
    seen: list[tuple[str, int, int]] = []
    script = Script(
        mode,
        instance_routes(
            progress("starting", "pod_scheduled", 0),
            progress("starting", "pod_scheduled", 0),
            progress("starting", "loading_schema", 1),
            progress("starting", "loading_data", 3),
            progress("starting", "loading_data", 3),
            progress("running", "ready", 5),
        ),
    )
    await script.call(
        lambda c: c.instances.wait_until_running(12, on_progress=lambda *a: seen.append(a))
    )
    assert seen == [
        ("pod_scheduled", 0, 5),
        ("loading_schema", 1, 5),
        ("loading_data", 3, 5),
        ("ready", 5, 5),
    ]


async def test_timeout_names_the_instance_its_phase_and_what_to_do(mode: str) -> None:
    script = Script(mode, instance_routes(progress("starting", "loading_data", 3)))
    with pytest.raises(TimeoutError) as info:
        await script.call(lambda c: c.instances.wait_until_running(12, timeout=900))
    message = str(info.value)
    assert message.startswith(
        "Instance 12 is still 'starting' (phase loading_data, 3/5 steps) after 900 s; "
        "it keeps starting: wait again with client.instances.wait_until_running(12)"
    )
    assert "client.instances.terminate(12)" in message
    assert info.value.details["instance_id"] == 12
    assert sum(script.delays) == pytest.approx(900)  # a deadline, not an attempt count
    assert isinstance(info.value, builtins.TimeoutError)


async def test_tiny_timeout_polls_once_more_at_the_deadline(mode: str) -> None:
    script = Script(mode, instance_routes(progress("starting", "downloading", 0)))
    with pytest.raises(TimeoutError):
        await script.call(lambda c: c.instances.wait_until_running(12, timeout=0.05))
    assert script.delays == pytest.approx([0.05])
    assert script.count("GET /api/instances/12/progress") == 2


async def test_failure_raises_with_the_servers_message_and_id(mode: str) -> None:
    failed = progress("failed", "loading_data", 2, error_message="Parquet file is corrupt")
    script = Script(mode, instance_routes(progress("starting", "loading_data", 2), failed))
    with pytest.raises(InstanceFailedError) as info:
        await script.call(lambda c: c.instances.wait_until_running(12))
    assert "Instance 12 failed in phase loading_data: Parquet file is corrupt" in str(info.value)
    assert info.value.details["instance_id"] == 12


async def test_failure_without_message_in_progress_reads_the_instance(mode: str) -> None:
    routes = instance_routes(progress("failed", "failed", 0), status="failed")
    routes["GET /api/instances/12"] = [{**INSTANCE, "status": "failed", "error_message": "boom"}]
    script = Script(mode, routes)
    with pytest.raises(InstanceFailedError, match="boom"):
        await script.call(lambda c: c.instances.wait_until_running(12))


async def test_terminated_while_waiting_is_gone(mode: str) -> None:
    script = Script(mode, instance_routes(progress("terminated", "failed", 0)))
    with pytest.raises(InstanceGoneError, match="terminated while waiting"):
        await script.call(lambda c: c.instances.wait_until_running(12))


async def test_export_then_start_up_phases_come_from_the_instance_progress(mode: str) -> None:
    seen: list[tuple[str, int, int]] = []
    script = Script(
        mode,
        instance_routes(
            progress("waiting_for_snapshot", "queued", 0, total=8),
            progress("waiting_for_snapshot", "exporting", 2, total=8),
            progress("starting", "loading_data", 6, total=8),
            progress("running", "ready", 8, total=8),
        ),
    )
    await script.call(
        lambda c: c.instances.wait_until_running(12, on_progress=lambda *a: seen.append(a))
    )
    assert seen == [("queued", 0, 8), ("exporting", 2, 8), ("loading_data", 6, 8), ("ready", 8, 8)]
    assert script.count("GET /api/instances/12/progress") == 4
    assert script.seen.count("GET /api/instances/12") == 1  # the final answer only


async def test_failed_export_fails_the_instance_wait_at_once(mode: str) -> None:
    routes = instance_routes(progress("waiting_for_snapshot", "failed", 1, total=3))
    routes["GET /api/instances/12"] = [{**INSTANCE, "status": "waiting_for_snapshot"}]
    routes["GET /api/snapshots/7/progress"] = [
        {**progress("failed", "failed", 1, total=3), "id": 7, "error_message": "duplicate keys"}
    ]
    script = Script(mode, routes)
    with pytest.raises(InstanceFailedError) as info:
        await script.call(lambda c: c.instances.wait_until_running(12))
    assert "Instance 12 cannot start: its snapshot 7 failed: duplicate keys" in str(info.value)
    assert script.delays == []


async def test_keyboard_interrupt_names_the_instance_and_leaves_it_running(mode: str) -> None:
    script = Script(
        mode, instance_routes(progress("starting", "loading_data", 3)), interrupt_at_sleep=3
    )
    with pytest.raises(KeyboardInterrupt) as info:
        await script.call(lambda c: c.instances.wait_until_running(12))
    message = str(info.value)
    assert "Stopped waiting for Instance 12" in message
    assert "'starting' (phase loading_data, 3/5 steps)" in message
    assert "keeps starting on the platform" in message
    assert not any(k.startswith("POST") for k in script.seen)  # nothing was terminated


async def test_create_and_wait_interrupted_names_the_new_instance(mode: str) -> None:
    routes = instance_routes(progress("waiting_for_snapshot", "queued", 0, total=0))
    routes["POST /api/instances/from-mapping"] = [
        httpx.Response(201, json={"data": {**INSTANCE, "status": "waiting_for_snapshot"}})
    ]
    script = Script(mode, routes, interrupt_at_sleep=1)
    with pytest.raises(KeyboardInterrupt, match="Instance 12"):
        await script.call(
            lambda c: c.instances.create_from_mapping_and_wait(3, "demo", on_interrupt="keep")
        )


async def test_snapshot_wait_returns_the_ready_snapshot(mode: str) -> None:
    snap = {"id": 7, "mapping_id": 3, "mapping_version": 1, "name": "s", "owner_username": "a"}
    script = Script(
        mode,
        {
            "GET /api/snapshots/7/progress": [
                {"id": 7, "status": "creating", "phase": "exporting", "steps": steps("completed")},
                {"id": 7, "status": "ready", "phase": "ready", "steps": steps(*["completed"] * 5)},
            ],
            "GET /api/snapshots/7": [{**snap, "status": "ready"}],
        },
    )
    result = await script.call(lambda c: c.snapshots.wait_until_ready(7))
    assert result.status == "ready"


async def test_snapshot_failure_and_timeout_messages(mode: str) -> None:
    failed = {"id": 7, "status": "failed", "phase": "failed", "error_message": "NULL keys"}
    script = Script(mode, {"GET /api/snapshots/7/progress": [failed]})
    with pytest.raises(SnapshotFailedError) as info:
        await script.call(lambda c: c.snapshots.wait_until_ready(7))
    assert "Snapshot 7 failed: NULL keys." in str(info.value)
    assert "client.snapshots.retry(7)" in str(info.value)

    slow = {"id": 7, "status": "creating", "phase": "exporting", "steps": steps("completed")}
    script = Script(mode, {"GET /api/snapshots/7/progress": [slow]})
    with pytest.raises(TimeoutError) as timeout:
        await script.call(lambda c: c.snapshots.wait_until_ready(7, timeout=60))
    assert str(timeout.value).startswith(
        "Snapshot 7 is still 'creating' (phase exporting, 1/5 steps) after 60 s; it keeps "
        "exporting: wait again with client.snapshots.wait_until_ready(7)"
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"timeout": 0}, "timeout"), ({"poll_interval": -1}, "poll_interval"),
     ({"timeout": True}, "timeout"), ({"progress": "yes"}, "progress")],
)  # fmt: skip
async def test_bad_wait_arguments_are_refused_before_anything_is_created(
    mode: str, kwargs: dict[str, Any], field: str
) -> None:
    script = Script(mode, {})
    with pytest.raises(ValidationError) as info:
        await script.call(lambda c: c.instances.create_from_mapping_and_wait(3, "x", **kwargs))
    assert info.value.details["field"] == field
    assert script.seen == []


async def test_text_progress_keeps_one_line_and_ends_it(mode: str) -> None:
    stream = io.StringIO()
    script = Script(
        mode,
        instance_routes(
            progress("starting", "loading_schema", 1),
            progress("starting", "loading_data", 3),
            progress("running", "ready", 5),
        ),
    )
    await script.call(lambda c: c.instances.wait_until_running(12, progress=TextProgress(stream)))
    text = stream.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert "\rInstance 12: loading_schema 1/5 steps (0.0 s)" in text
    assert "\rInstance 12: ready 5/5 steps" in text


async def test_custom_reporter_is_told_of_failure(mode: str) -> None:
    events: list[ProgressEvent] = []
    closed: list[bool] = []

    class Reporter:
        def update(self, event: ProgressEvent) -> None:
            events.append(event)

        def close(self, *, success: bool) -> None:
            closed.append(success)

    script = Script(mode, instance_routes(progress("starting", "downloading", 0)))
    with pytest.raises(TimeoutError):
        await script.call(
            lambda c: c.instances.wait_until_running(12, timeout=1, progress=Reporter())
        )
    assert closed == [False]
    assert events[0].resource == "Instance 12" and events[0].phase == "downloading"


REFUSED = httpx.ConnectError("[Errno 111] Connection refused")


async def test_a_wait_rides_out_a_platform_restart(mode: str) -> None:
    """Polls that fail because the platform is away (after the HTTP layer's own retries)
    do not end the wait; it polls again until the deadline."""
    away = [REFUSED] * 9 + [httpx.Response(503, json={"error": {"code": "UNAVAILABLE"}})] * 4
    script = Script(
        mode,
        instance_routes(
            progress("starting", "loading_data", 2), *away, progress("running", "ready", 5)
        ),
    )
    inst = await script.call(lambda c: c.instances.wait_until_running(12, poll_interval=2))
    assert inst.status == "running"
    assert script.count("GET /api/instances/12/progress") == 15


async def test_a_platform_away_until_the_deadline_says_what_the_wait_knew(mode: str) -> None:
    script = Script(mode, instance_routes(progress("starting", "loading_data", 3), REFUSED))
    with pytest.raises(ConnectionError) as info:
        await script.call(lambda c: c.instances.wait_until_running(12, timeout=120))
    message = str(info.value)
    assert message.startswith("Waiting for Instance 12: the platform did not answer for the last")
    assert "of the 120 s wait (Could not reach the Graph OLAP platform at " in message
    assert "last seen 'starting' (phase loading_data, 3/5 steps)" in message
    assert "wait again with client.instances.wait_until_running(12)" in message
    assert info.value.details["instance_id"] == 12
    assert sum(script.delays) >= 120 and isinstance(info.value.__cause__, ConnectionError)


async def test_errors_that_are_not_an_outage_end_the_wait_at_once(mode: str) -> None:
    forbidden = httpx.Response(403, json={"error": {"code": "FORBIDDEN", "message": "no"}})
    script = Script(mode, instance_routes(progress("starting", "loading_data", 3), forbidden))
    with pytest.raises(PermissionDeniedError):
        await script.call(lambda c: c.instances.wait_until_running(12, timeout=120))
    assert script.count("GET /api/instances/12/progress") == 2
