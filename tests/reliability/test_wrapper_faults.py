"""A wrapper process (one instance's graph) killed with SIGKILL at the worst moments:
while loading, in the middle of a long query, in the middle of a mutating algorithm that
holds the instance lock.

What the platform does: the instance becomes ``failed`` ("The instance's process stopped
unexpectedly", the last lines of its log) at once (the monitor checks running instances
on every pass, and ``GET /api/instances/{id}`` checks before answering); it is not
restarted, because the graph may hold writes its snapshot has not. The SDK call that was
waiting raises :class:`~graph_olap.InstanceGoneError` (or
:class:`~graph_olap.InstanceFailedError` for a start-up wait) within seconds, and so
does every later call on that connection. The lock died with the process: a new instance
of the same mapping takes it and writes at once.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from graph_olap import GraphOLAPClient
from graph_olap import exceptions as exc
from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import ServerThread
from tests.e2e.server_helpers import wait_for

from .conftest import (
    TALLY,
    cpu_seconds,
    db_rows,
    in_thread,
    timed,
    tiny_mapping,
    wrappers,
)

pytestmark = [pytest.mark.socket, pytest.mark.timeout(90)]

LONG_QUERY = "UNWIND range(1, 400000000) AS x RETURN sum(x) AS total"
"""Runs for minutes on the wrapper (a few million rows a second)."""


@pytest.fixture
def dave(platform: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(platform.url, username="dave") as client:
        yield client


@pytest.fixture(scope="module")
def mapping_id(platform: ServerThread) -> int:
    with GraphOLAPClient(platform.url, username="dave") as client:
        return tiny_mapping(client, "wrapper-faults")


def pid_of(platform: ServerThread, instance_id: int) -> int:
    data_dir = platform.settings.data_dir
    rows = db_rows(data_dir, "SELECT pid FROM instances WHERE id = ?", instance_id)
    assert rows and rows[0]["pid"], f"instance {instance_id} has no process"
    return int(rows[0]["pid"])


def start(client: GraphOLAPClient, mapping_id: int, name: str) -> tuple[int, Any]:
    inst = client.instances.create_from_mapping_and_wait(
        mapping_id, name, timeout=60, poll_interval=0.1
    )
    return inst.id, client.instances.connect(inst.id)


def kill(pid: int) -> float:
    os.kill(pid, signal.SIGKILL)
    TALLY["processes killed"] += 1
    wait_for(lambda: not process_alive(pid), f"pid {pid} to die", 10)
    return time.monotonic()


def assert_failed_cleanly(
    platform: ServerThread, client: GraphOLAPClient, instance_id: int
) -> None:
    """Failed (with the reason), no process, no files but the log, no URL."""
    inst = client.instances.get(instance_id)
    assert inst.status == "failed"
    assert inst.instance_url is None
    assert "stopped unexpectedly" in (inst.error_message or "")
    folder = platform.settings.instance_dir / str(instance_id)
    assert sorted(p.name for p in folder.iterdir()) == ["wrapper.log"]
    assert instance_id not in wrappers(platform.settings.data_dir).values()


def test_wrapper_killed_during_a_long_query(
    platform: ServerThread, dave: GraphOLAPClient, mapping_id: int
) -> None:
    instance_id, conn = start(dave, mapping_id, "long-query")
    pid = pid_of(platform, instance_id)
    idle = cpu_seconds(pid)
    thread, out = in_thread(lambda: conn.query(LONG_QUERY, timeout=120))
    # the query is running when the wrapper burns CPU (an idle wrapper uses next to none)
    wait_for(lambda: cpu_seconds(pid) > idle + 0.3, "the query to run in the wrapper", 30)
    killed = kill(pid)
    thread.join(20)
    assert not thread.is_alive(), "the query call hangs after its instance died"
    err = out.get("error")
    assert isinstance(err, exc.InstanceGoneError), repr(out)
    assert time.monotonic() - killed < 10
    assert f"Instance {instance_id} failed" in str(err)
    assert "stopped unexpectedly" in str(err)
    assert err.details["status"] == "failed"
    assert_failed_cleanly(platform, dave, instance_id)
    with timed() as took, pytest.raises(exc.InstanceGoneError):
        conn.query("RETURN 1")  # later calls say the same, quickly
    assert took[0] < 5


def test_wrapper_killed_during_a_mutating_algorithm_leaves_no_lock(
    platform: ServerThread, dave: GraphOLAPClient, mapping_id: int
) -> None:
    instance_id, conn = start(dave, mapping_id, "mutate")
    pid = pid_of(platform, instance_id)
    execution = conn.algo.pagerank(
        mode="mutate", property="rank", wait=False, max_iterations=10**9, tolerance=0.0
    )
    lock = wait_for(
        lambda: (s := conn.lock_status()).locked and s, "the mutate run to take the lock", 30
    )
    assert lock.execution_id == execution.id
    with pytest.raises(exc.ResourceLockedError):  # the lock is really held
        conn.query("MATCH (f:Family) SET f.note = 'x'", write=True)

    thread, out = in_thread(lambda: execution.wait(timeout=60))
    killed = kill(pid)
    thread.join(20)
    assert not thread.is_alive(), "execution.wait() hangs after its instance died"
    assert isinstance(out.get("error"), exc.InstanceGoneError), repr(out)
    assert time.monotonic() - killed < 10
    assert_failed_cleanly(platform, dave, instance_id)
    with pytest.raises(exc.InstanceGoneError):
        conn.lock_status()

    # the failed instance no longer counts: a new one starts, its lock is free, it writes
    new_id, fresh = start(dave, mapping_id, "after-kill")
    assert fresh.lock_status().locked is False
    summary = fresh.algo.pagerank(mode="mutate", property="rank", timeout=60)
    assert summary is not None
    assert fresh.query_scalar("MATCH (f:Family) WHERE f.rank > 0 RETURN count(f)") == 15
    fresh.query("MATCH (f:Family) SET f.rank = 0.0", write=True)
    assert fresh.lock_status().locked is False
    assert dave.instances.terminate(new_id).status == "terminated"


def test_wrapper_killed_while_loading_fails_the_wait(
    platform: ServerThread, dave: GraphOLAPClient, mapping_id: int
) -> None:
    inst = dave.instances.create_from_mapping(mapping_id, "killed-loading")
    pid = wait_for(
        lambda: (
            db_rows(
                platform.settings.data_dir,
                "SELECT pid, status FROM instances WHERE id = ?",
                inst.id,
            )
            or [{}]
        )[0].get("pid"),
        "the wrapper to be launched",
        30,
    )
    os.kill(int(pid), signal.SIGKILL)
    TALLY["processes killed"] += 1
    with timed() as took, pytest.raises((exc.InstanceFailedError, exc.TimeoutError)) as raised:
        dave.instances.wait_until_running(inst.id, timeout=30, poll_interval=0.1)
    assert isinstance(raised.value, exc.InstanceFailedError), raised.value
    assert took[0] < 15
    assert "exited while starting" in str(raised.value) or "stopped unexpectedly" in str(
        raised.value
    )
    got = dave.instances.get(inst.id)
    assert got.status == "failed"
