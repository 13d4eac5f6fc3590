"""The control plane (the `graph-olap server` process) killed with SIGKILL while SDK calls
wait on it, then started again on the same port and data folder.

What holds: writes the platform acknowledged (a mapping and its second version) are
there after the restart; a running instance keeps answering queries while the control
plane is down (wrappers are processes of their own, their access checks are cached) and
is adopted, same process, by the restarted platform; an instance wait that began before
the kill completes after the restart, and exactly one instance exists for that request;
a client with no retries left gets a ConnectionError naming the URL at once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_olap import GraphOLAPClient
from graph_olap import exceptions as exc
from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import ServerThread, free_port
from tests.e2e.server_helpers import wait_for

from .conftest import (
    TALLY,
    TINY_EDGES,
    TINY_NODES,
    CliPlatform,
    count_requests,
    db_rows,
    fast_settings,
    in_thread,
    timed,
    tiny_mapping,
    wrappers,
)

pytestmark = [pytest.mark.socket, pytest.mark.timeout(110)]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    yield folder
    for pid in wrappers(folder):  # safety net: wrappers outlive their control plane
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def started() -> Iterator[list[CliPlatform]]:
    platforms: list[CliPlatform] = []
    yield platforms
    for platform in platforms:
        if platform.proc is not None and platform.proc.poll() is None:
            count_requests(platform.url)
        platform.stop()


def test_control_plane_killed_and_restarted_during_waits(
    data_dir: Path, started: list[CliPlatform]
) -> None:
    port = free_port()
    first = CliPlatform(data_dir, port).start()
    started.append(first)
    # enough retries to ride out a restart (backoff 0.5 s doubling to 8 s: >= 19 s in all)
    patient = GraphOLAPClient(first.url, username="alice", max_retries=8)
    impatient = GraphOLAPClient(first.url, username="alice", max_retries=0)
    default = GraphOLAPClient(first.url, username="alice")  # waits ride out restarts anyway
    ops = GraphOLAPClient(first.url, username="ops", max_retries=0)
    try:
        # acknowledged writes
        mapping = patient.mappings.create(
            "durable", "v1", node_definitions=TINY_NODES, edge_definitions=TINY_EDGES
        )
        patient.mappings.update(mapping.id, "v2", edge_definitions=[])
        running = patient.instances.create_from_mapping_and_wait(
            mapping.id, "before", timeout=60, poll_interval=0.1
        )
        conn = patient.instances.connect(running.id)
        assert conn.query_scalar("MATCH (f:Family) RETURN count(f)") == 15
        ops_conn = ops.instances.connect(running.id)  # has not queried yet: nothing cached
        wrapper_pid = db_rows(data_dir, "SELECT pid FROM instances WHERE id = ?", running.id)[0][
            "pid"
        ]

        # a terminate in progress when the control plane dies: its wrapper is frozen
        # (SIGSTOP), so the platform sits in "stop the process" with the request open
        victim = patient.instances.create_from_mapping_and_wait(
            mapping.id, "victim", timeout=60, poll_interval=0.1
        )
        victim_pid = int(
            db_rows(data_dir, "SELECT pid FROM instances WHERE id = ?", victim.id)[0]["pid"]
        )
        os.kill(victim_pid, signal.SIGSTOP)
        TALLY["processes frozen (SIGSTOP)"] += 1
        terminating, terminated = in_thread(lambda: patient.instances.terminate(victim.id))
        wait_for(
            lambda: (
                db_rows(data_dir, "SELECT status FROM instances WHERE id = ?", victim.id)
                == [{"status": "stopping"}]
            ),
            "the terminate to be under way",
            30,
        )

        # an instance wait in progress when the control plane dies, on a client with the
        # default retries: its polls fail while the platform is away, the wait goes on
        polled = threading.Event()
        waiting, out = in_thread(
            lambda: default.instances.create_from_mapping_and_wait(
                mapping.id,
                "during",
                timeout=90,
                poll_interval=0.2,
                on_progress=lambda *_: polled.set(),
            )
        )
        assert polled.wait(20), "the wait never polled"
        first.kill()
        killed_at = time.monotonic()
        os.kill(victim_pid, signal.SIGCONT)  # it now gets the SIGTERM it was sent, and exits

        # while it is down: the running instance still answers (cached access check) ...
        assert conn.query_scalar("MATCH (f:Family) RETURN count(f)") == 15
        # ... to callers it knows; a caller it must ask about hears why it cannot answer
        with pytest.raises(exc.ServerError) as unavailable:
            ops_conn.query_scalar("MATCH (f:Family) RETURN count(f)")
        assert unavailable.value.status_code == 503
        assert "control plane did not answer" in str(unavailable.value)
        # ... and a call with no retries fails at once, saying where it could not connect
        with timed() as took, pytest.raises(exc.ConnectionError) as raised:
            impatient.mappings.get(mapping.id)
        assert took[0] < 3
        assert first.url in str(raised.value)

        second = CliPlatform(data_dir, port).start()
        started.append(second)
        restart_took = time.monotonic() - killed_at

        waiting.join(90)
        assert not waiting.is_alive(), "the wait hangs after the restart"
        assert "error" not in out, (
            f"the wait did not survive a {restart_took:.1f} s restart: {out['error']!r}"
        )
        during = out["result"]
        assert during.status == "running"
        with patient.instances.connect(during.id) as conn_during:
            assert conn_during.query_scalar("MATCH (f:Family) RETURN count(f)") == 15

        # the terminate, retried with its Idempotency-Key, completes after the restart
        terminating.join(60)
        assert not terminating.is_alive(), "the terminate hangs after the restart"
        assert "error" not in terminated, terminated["error"]
        assert terminated["result"].status == "terminated"
        assert not process_alive(victim_pid)

        # exactly one instance per request; the acknowledged writes survived
        rows = db_rows(
            data_dir, "SELECT id, name, status FROM instances WHERE mapping_id = ?", mapping.id
        )
        assert sorted((r["name"], r["status"]) for r in rows) == [
            ("before", "running"),
            ("during", "running"),
            ("victim", "terminated"),
        ]
        assert patient.mappings.get(mapping.id).current_version == 2
        assert [v.version for v in patient.mappings.list_versions(mapping.id)] == [1, 2]
        assert patient.mappings.get_version(mapping.id, 1).edge_definitions[0].type == "MARRIED"
        assert patient.mappings.get_version(mapping.id, 2).edge_definitions == []

        # the first instance was adopted: same process, still answering
        after = db_rows(data_dir, "SELECT pid, status FROM instances WHERE id = ?", running.id)
        assert after == [{"pid": wrapper_pid, "status": "running"}]
        assert conn.query_scalar("MATCH (f:Family) RETURN count(f)") == 15
        assert ops_conn.query_scalar("MATCH (f:Family) RETURN count(f)") == 15

        # everything ends cleanly
        conn.close()
        ops_conn.close()
        for instance_id in (running.id, during.id):
            assert patient.instances.terminate(instance_id).status == "terminated"
        assert not process_alive(int(wrapper_pid))
        assert wrappers(data_dir) == {}
    finally:
        patient.close()
        impatient.close()
        default.close()
        ops.close()


def test_a_launch_cut_off_by_a_crash_leaves_no_orphan(tmp_path: Path) -> None:
    """A control plane killed between launching a wrapper and recording its pid leaves an
    instance ``starting`` with no pid, and a process nobody knows. The next start kills
    that stray before it launches the instance again: one wrapper, no orphan.

    The crash state is written directly (the kill cannot be timed into a window of
    milliseconds): the row as the crash leaves it, and a process with the launch's
    command line.
    """
    data_dir = tmp_path / "data"
    with ServerThread(fast_settings(data_dir, stop_instances_on_exit=False)) as server:
        with GraphOLAPClient(server.url, username="erin") as client:
            mapping_id = tiny_mapping(client, "cut-off-launch")
            inst = client.instances.create_from_mapping_and_wait(
                mapping_id, "cut-off", timeout=60, poll_interval=0.1
            )
        first_pid = _pid(data_dir, inst.id)
    os.kill(first_pid, signal.SIGKILL)  # gone with the crash; its row is rewritten below
    TALLY["processes killed"] += 1
    wait_for(lambda: not process_alive(first_pid), "the first wrapper to die", 30)
    folder = data_dir / "instances" / str(inst.id)
    stray = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)",
         "--instance-id", str(inst.id), "--data-dir", str(folder)],
    )  # fmt: skip
    try:
        with sqlite3.connect(data_dir / "metadata.db") as con:
            con.execute(
                "UPDATE instances SET status = 'starting', pid = NULL, port = NULL, "
                "instance_url = NULL WHERE id = ?",
                (inst.id,),
            )
        with (
            ServerThread(fast_settings(data_dir)) as server,
            GraphOLAPClient(server.url, username="erin") as client,
        ):
            running = client.instances.wait_until_running(inst.id, timeout=60, poll_interval=0.1)
            wait_for(lambda: stray.poll() is not None, "the platform to kill the stray", 10)
            assert stray.returncode == -signal.SIGKILL
            assert list(wrappers(data_dir)) == [running_pid := _pid(data_dir, inst.id)]
            with client.instances.connect(running.id) as conn:
                assert conn.query_scalar("MATCH (f:Family) RETURN count(f)") == 15
            assert client.instances.terminate(inst.id).status == "terminated"
        assert not process_alive(running_pid)
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait(10)


def _pid(data_dir: Path, instance_id: int) -> int:
    return int(db_rows(data_dir, "SELECT pid FROM instances WHERE id = ?", instance_id)[0]["pid"])
