"""Load: six analysts at once creating, querying and terminating instances against small
concurrency limits (2 per analyst, 4 on the platform).

Every analyst fires three creates at the same moment (18 concurrent requests for 4
places). A sampler reads the platform's own records (and the wrapper processes on the
machine) every few milliseconds throughout. What must hold: never more live instances
than the limits, per analyst and in all, and the limit is reached exactly (4 admitted,
14 refused); every refusal is a ConcurrencyLimitError whose details name the limit that
was hit; analysts refused everything get their turn as others terminate; everything
finishes before a deadline; a refused request leaves nothing (no snapshot); at the end no
instance is in a transitional state, no wrapper
process is left and no instance folder remains.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from graph_olap import GraphOLAPClient
from graph_olap import exceptions as exc
from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import ServerThread
from tests.e2e.server_helpers import wait_for

from .conftest import (
    count_requests,
    db_rows,
    fast_settings,
    tiny_mapping,
    wrappers,
)

pytestmark = [pytest.mark.socket, pytest.mark.timeout(110)]

ANALYSTS = [f"analyst{i}" for i in range(1, 7)]
PER_ANALYST = 2
CLUSTER_TOTAL = 4
DEADLINE = 80.0
"""Seconds the whole load may take before it counts as a deadlock."""

LIVE = "status NOT IN ('terminated', 'failed')"


@pytest.fixture(scope="module")
def small_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with ServerThread(fast_settings(tmp_path_factory.mktemp("load"))) as server:
        with GraphOLAPClient(server.url, username="ops") as ops:
            ops.ops.update_concurrency_config(per_analyst=PER_ANALYST, cluster_total=CLUSTER_TOTAL)
        yield server
        count_requests(server.url)


class Sampler:
    """Samples the live instances (the platform's records) and wrapper processes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.max_total = 0
        self.max_per_user: Counter[str] = Counter()
        self.max_wrappers = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rows = db_rows(self.data_dir, f"SELECT owner_username FROM instances WHERE {LIVE}")
            per_user = Counter(r["owner_username"] for r in rows)
            self.max_total = max(self.max_total, len(rows))
            for user, count in per_user.items():
                self.max_per_user[user] = max(self.max_per_user[user], count)
            self.max_wrappers = max(self.max_wrappers, len(wrappers(self.data_dir)))
            self.samples += 1
            self._stop.wait(0.01)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_analysts_at_once_against_the_limits(small_platform: ServerThread) -> None:
    url, data_dir = small_platform.url, small_platform.settings.data_dir
    clients = {name: GraphOLAPClient(url, username=name, timeout=30) for name in ANALYSTS}
    try:
        mappings = {name: tiny_mapping(c, f"load-{name}") for name, c in clients.items()}
        go = threading.Barrier(len(ANALYSTS) * 3)
        created: dict[str, list[int]] = {name: [] for name in ANALYSTS}
        refused: list[tuple[str, exc.ConcurrencyLimitError]] = []
        unexpected: list[BaseException] = []
        lock = threading.Lock()

        def create(name: str, attempt: int) -> None:
            go.wait(30)  # every create leaves at the same moment
            try:
                inst = clients[name].instances.create_from_mapping(
                    mappings[name], f"{name}-{attempt}"
                )
            except exc.ConcurrencyLimitError as err:
                with lock:
                    refused.append((name, err))
            except BaseException as err:
                with lock:
                    unexpected.append(err)
            else:
                with lock:
                    created[name].append(inst.id)

        def use_and_terminate(name: str, instance_id: int) -> int:
            client = clients[name]
            client.instances.wait_until_running(instance_id, timeout=60, poll_interval=0.1)
            with client.instances.connect(instance_id) as conn:
                count = conn.query_scalar("MATCH (f:Family) RETURN count(f)")
            assert client.instances.terminate(instance_id).status == "terminated"
            return int(count)

        def turn(name: str, deadline: float) -> int:
            """Refused every time: try again until others have made room."""
            while True:
                try:
                    inst = clients[name].instances.create_from_mapping(
                        mappings[name], f"{name}-turn"
                    )
                except exc.ConcurrencyLimitError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)  # room appears when another analyst terminates
                    continue
                return use_and_terminate(name, inst.id)

        started = time.monotonic()
        deadline = started + DEADLINE
        with Sampler(data_dir) as sampler:
            with ThreadPoolExecutor(len(ANALYSTS) * 3) as pool:
                list(pool.map(lambda a: create(*a), [(n, i) for n in ANALYSTS for i in range(3)]))
            assert not unexpected, unexpected
            admitted = sum(len(ids) for ids in created.values())
            assert (admitted, len(refused)) == (CLUSTER_TOTAL, 3 * len(ANALYSTS) - CLUSTER_TOTAL)

            with ThreadPoolExecutor(len(ANALYSTS) + CLUSTER_TOTAL) as pool:
                used = [
                    pool.submit(use_and_terminate, name, i)
                    for name, ids in created.items()
                    for i in ids
                ]
                waiting = [
                    pool.submit(turn, name, deadline) for name, ids in created.items() if not ids
                ]
                counts = [f.result(timeout=max(1.0, deadline - time.monotonic())) for f in used]
                counts += [f.result(timeout=max(1.0, deadline - time.monotonic())) for f in waiting]
        took = time.monotonic() - started

        # every analyst ran an instance and queried it
        assert counts == [15] * (CLUSTER_TOTAL + len(waiting))
        assert took < DEADLINE

        # the limits held exactly, by the platform's records and by the processes
        assert sampler.samples > 10
        assert sampler.max_total == CLUSTER_TOTAL
        assert max(sampler.max_per_user.values()) <= PER_ANALYST
        assert sampler.max_wrappers <= CLUSTER_TOTAL

        # every refusal is the documented error, naming the limit it hit
        for name, err in refused:
            scope, limit = err.details["scope"], err.details["limit"]
            assert (scope, limit) in {
                ("per_analyst", PER_ANALYST),
                ("cluster_total", CLUSTER_TOTAL),
            }
            assert err.details["current"] >= limit
            assert err.details["instance_ids"] == sorted(err.details["instance_ids"])
            assert set(err.details["instance_ids"]) <= set(created[name])
            assert f"limit is {limit}" in str(err) or f"limit per analyst is {limit}" in str(err)

        # everything accounted for: nothing live or in between, no process, no folder
        rows = db_rows(data_dir, "SELECT id, status FROM instances")
        assert len(rows) == CLUSTER_TOTAL + len(waiting)
        assert {r["status"] for r in rows} == {"terminated"}
        assert wrappers(data_dir) == {}
        assert list((data_dir / "instances").glob("*")) == []
        # a refused request made nothing: one snapshot per admitted instance, all exported
        snapshots = db_rows(data_dir, "SELECT status FROM snapshots")
        assert [s["status"] for s in snapshots] == ["ready"] * len(rows)
    finally:
        for client in clients.values():
            client.close()


def test_a_dead_wrapper_does_not_hold_a_place(small_platform: ServerThread) -> None:
    """An analyst at the per-analyst limit whose wrapper dies can start another instance
    at once: admission fails the dead instance first instead of counting it until the
    reconciliation job comes round."""
    data_dir = small_platform.settings.data_dir
    with GraphOLAPClient(small_platform.url, username="zoe", max_retries=0) as zoe:
        mapping_id = tiny_mapping(zoe, "dead-place")
        ids = [
            zoe.instances.create_from_mapping_and_wait(mapping_id, f"z{i}", timeout=60).id
            for i in range(PER_ANALYST)
        ]
        with pytest.raises(exc.ConcurrencyLimitError):
            zoe.instances.create_from_mapping(mapping_id, "one-too-many")
        (pid,) = (
            r["pid"] for r in db_rows(data_dir, "SELECT pid FROM instances WHERE id = ?", ids[0])
        )
        os.kill(int(pid), signal.SIGKILL)
        wait_for(lambda: not process_alive(int(pid)), "the wrapper to die", 10)

        again = zoe.instances.create_from_mapping(mapping_id, "replacement")
        assert zoe.instances.get(ids[0]).status == "failed"
        for instance_id in (again.id, ids[1]):
            zoe.instances.terminate(instance_id)
    assert db_rows(data_dir, f"SELECT id FROM instances WHERE {LIVE}") == []
