"""Ctrl-C cancels the work on the server (issue 15, point 2), end to end.

The real local platform runs one instance (the bank's customers and Zachary's karate
club). A watcher thread waits until the work is seen running on the platform (a query in
the wrapper's ``GET /queries``, an algorithm holding the instance's lock), then sends a
real SIGINT to the main thread, as Ctrl-C does. The test measures the time from that
signal to the SDK giving control back, and checks from outside that the work stopped:
the wrapper lists no running query and answers the next query, the execution is
cancelled and the lock is free, the instance is terminated.

The instance wait is interrupted at its first pause (the wait's own injectable sleep
raises the ``KeyboardInterrupt``): an instance that starts before a signal lands would
make a timing-dependent test.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    GraphOLAPClient,
    InstanceConnection,
    QueryCancelledError,
)
from graph_olap._core.interrupt import Interrupted
from graph_olap._core.ops import Call, Op, Sleep
from graph_olap.resources._waits import WaitOptions, wait_instance, wait_snapshot
from graph_olap_server.runner import ServerThread
from graph_olap_server.storage import snapshot_store

from .defs import CUSTOMER, KARATE_MEMBER, KARATE_TIE

pytestmark = pytest.mark.timeout(300)

USER = "carla"  # her own analyst: her instances never count against another's limit
# five customers deep: ~10^11 rows to filter, hours of work for the engine
LONG_QUERY = (
    "MATCH (a:Customer), (b:Customer), (c:Customer), (d:Customer), (e:Customer) "
    "WHERE (a.customer_id * b.customer_id + c.customer_id * d.customer_id "
    "+ e.customer_id) % 1000003 = 7 RETURN count(*) AS n"
)
SLOW = {  # a NetworkX run that takes hours: holds the lock until cancelled
    "epsilon": 1e-4,
    "kmax": 10**12,
    "seed": 1,
}
BOUND = 5.0  # seconds: generous; the measured figure is printed (run with -s)


@pytest.fixture(scope="module")
def carla(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        yield client


@pytest.fixture(scope="module")
def watcher_client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    """The same user from another client: the watcher thread's own HTTP pool."""
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        yield client


@pytest.fixture(scope="module")
def mapping_id(carla: GraphOLAPClient) -> int:
    mapping = carla.mappings.create(
        f"cancel-{uuid.uuid4().hex[:8]}",
        "customers (for a long query) and the karate club (for a long algorithm)",
        node_definitions=[CUSTOMER, KARATE_MEMBER],
        edge_definitions=[KARATE_TIE],
    )
    return mapping.id


@pytest.fixture(scope="module")
def instance_id(carla: GraphOLAPClient, mapping_id: int) -> Iterator[int]:
    instance = carla.instances.create_from_mapping_and_wait(
        mapping_id, f"cancel-{uuid.uuid4().hex[:8]}", timeout=240
    )
    yield instance.id
    carla.instances.terminate(instance.id)


@pytest.fixture(scope="module")
def conn(carla: GraphOLAPClient, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    with carla.instances.connect(instance_id) as connection:
        yield connection


@pytest.fixture(scope="module")
def watch(watcher_client: GraphOLAPClient, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    with watcher_client.instances.connect(instance_id) as connection:
        yield connection


class Interrupter(threading.Thread):
    """Sends SIGINT to the main thread once ``running()`` is true (checked every 50 ms,
    for at most a minute); :attr:`sent_at` is when, on the monotonic clock."""

    def __init__(self, running: Callable[[], bool]) -> None:
        super().__init__(daemon=True)
        self.running = running
        self.sent_at: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.running():
                self.sent_at = time.monotonic()
                main = threading.main_thread().ident
                assert main is not None
                signal.pthread_kill(main, signal.SIGINT)
                return
            self.stop.wait(0.05)


def interrupted_call(running: Callable[[], bool], call: Callable[[], Any]) -> tuple[str, float]:
    """Run ``call`` until the watcher interrupts it; its one-line message and the seconds
    from the signal to control back."""
    watcher = Interrupter(running)
    watcher.start()
    try:
        with pytest.raises(Interrupted) as caught:
            call()
        back = time.monotonic()
    finally:
        watcher.stop.set()
        watcher.join()
    assert watcher.sent_at is not None, "the work was never seen running"
    return str(caught.value), back - watcher.sent_at


def eventually(check: Callable[[], bool], within: float = BOUND) -> float:
    """Seconds until ``check()`` held (polled every 50 ms); fails after ``within``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "the platform still shows the work"
        time.sleep(0.05)
    return time.monotonic() - start


def test_ctrl_c_interrupts_the_query_on_the_instance(
    conn: InstanceConnection[Any], watch: InstanceConnection[Any], instance_id: int
) -> None:
    assert watch.running_queries() == []
    message, seconds = interrupted_call(
        lambda: bool(watch.running_queries()), lambda: conn.query(LONG_QUERY, timeout=600)
    )
    print(f"\nquery: control back {seconds * 1000:.0f} ms after SIGINT")
    assert seconds < BOUND
    assert re.fullmatch(
        rf"Stopped query [0-9a-f]{{12}} on instance {instance_id} "
        r"\(the platform interrupted it\)\.",
        message,
    ), message
    gone = eventually(lambda: watch.running_queries() == [])
    print(f"query: the wrapper listed no running query {gone * 1000:.0f} ms later")
    started = time.monotonic()
    assert conn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0  # the engine is free
    print(f"query: the next query answered in {(time.monotonic() - started) * 1000:.0f} ms")


def test_ctrl_c_interrupts_a_query_df(
    conn: InstanceConnection[Any], watch: InstanceConnection[Any]
) -> None:
    message, seconds = interrupted_call(
        lambda: bool(watch.running_queries()), lambda: conn.query_df(LONG_QUERY, timeout=600)
    )
    assert seconds < BOUND and "(the platform interrupted it)" in message
    eventually(lambda: watch.running_queries() == [])


def test_a_query_cancelled_by_someone_else_raises_query_cancelled(
    conn: InstanceConnection[Any], watch: InstanceConnection[Any]
) -> None:
    """Not the sender's Ctrl-C (that is ``Interrupted``): another client cancels the query
    by its id, and the sender's call raises ``QueryCancelledError`` naming it."""
    raised: list[BaseException] = []

    def send() -> None:
        try:
            conn.query(LONG_QUERY, timeout=600)
        except BaseException as err:
            raised.append(err)

    sender = threading.Thread(target=send)
    sender.start()
    eventually(lambda: bool(watch.running_queries()))
    (running,) = watch.running_queries()
    answer = watch._runner.post(f"/query/{running['query_id']}/cancel")  # type: ignore[union-attr]
    assert answer == {"query_id": running["query_id"], "interrupted": True}
    sender.join(60)
    assert not sender.is_alive()
    (err,) = raised
    assert isinstance(err, QueryCancelledError), repr(err)
    assert err.code == "QUERY_CANCELLED" and err.details["query_id"] == running["query_id"]
    assert f"The query {running['query_id']} was cancelled" in err.message


def test_cancelling_a_finished_query_says_so(conn: InstanceConnection[Any]) -> None:
    answer = conn._runner.post("/query/0123456789ab/cancel")  # type: ignore[union-attr]
    assert answer == {"query_id": "0123456789ab", "interrupted": False}


def test_ctrl_c_cancels_the_algorithm_and_frees_the_lock(
    conn: InstanceConnection[Any], watch: InstanceConnection[Any]
) -> None:
    def run() -> Any:
        return conn.networkx.run(
            "approximate_current_flow_betweenness_centrality",
            SLOW,
            node_labels=KARATE_MEMBER["label"],
            orientation="undirected",
            mode="mutate",
            property="slow_carla",
            force=True,
        )

    message, seconds = interrupted_call(lambda: watch.lock_status().locked, run)
    print(f"\nalgorithm: control back {seconds * 1000:.0f} ms after SIGINT")
    assert seconds < BOUND
    found = re.fullmatch(
        r"Stopped approximate_current_flow_betweenness_centrality execution (\S+) \(the "
        r"platform cancelled it; it wrote nothing and the instance's lock is free\)\.",
        message,
    )
    assert found, message
    assert watch.lock_status().locked is False
    assert conn.algo.execution(found.group(1)).status == "cancelled"


def test_waiting_on_an_existing_execution_keeps_it_by_default(
    conn: InstanceConnection[Any], watch: InstanceConnection[Any]
) -> None:
    run = conn.networkx.run(
        "approximate_current_flow_betweenness_centrality",
        SLOW,
        node_labels=KARATE_MEMBER["label"],
        orientation="undirected",
        mode="mutate",
        property="slow_carla_kept",
        force=True,
        wait=False,
    )
    try:
        message, seconds = interrupted_call(lambda: watch.lock_status().locked, run.wait)
        assert seconds < BOUND
        assert "keeps running on the platform" in message
        assert f"conn.algo.execution({run.id!r}).cancel()" in message
        assert run.refresh().status in ("queued", "running")
    finally:
        run.cancel()
    assert watch.lock_status().locked is False


def _interrupt_at_first_pause(client: GraphOLAPClient, options: WaitOptions, iid: int) -> str:
    return _interrupt_at_first_pause_of(client, wait_instance(iid, options))


def _interrupt_at_first_pause_of(client: GraphOLAPClient, op: Op[Any]) -> str:
    """Drive the wait ``op`` with the client's transport; raise KeyboardInterrupt where
    it first pauses (the work is not done yet), as Ctrl-C during the wait. A pause is a
    sleep, or a poll the platform holds until the progress changes (``wait_ms``)."""
    step = op.send(None)
    while True:
        try:
            held = isinstance(step, Call) and bool((step.params or {}).get("wait_ms"))
            if isinstance(step, Sleep) or held:
                step = op.throw(KeyboardInterrupt())
            else:
                step = op.send(client.http._perform(step))
        except Interrupted as err:
            return str(err)
        except StopIteration:
            pytest.fail("the work was done before its wait paused")


def test_interrupting_an_instance_start_terminates_it_when_asked(
    carla: GraphOLAPClient, mapping_id: int
) -> None:
    created = carla.instances.create_from_mapping(mapping_id, f"stop-{uuid.uuid4().hex[:8]}")
    options = WaitOptions.of(
        timeout=120, poll_interval=1, on_progress=None, progress=False, on_interrupt="cancel"
    )
    message = _interrupt_at_first_pause(carla, options, created.id)
    assert message == (
        f"Stopped instance {created.id}: the platform terminated it while it was starting."
    )
    assert carla.instances.get(created.id).status in ("stopping", "terminated")


def test_interrupting_an_instance_wait_keeps_it_by_default(
    carla: GraphOLAPClient, mapping_id: int
) -> None:
    created = carla.instances.create_from_mapping(mapping_id, f"keep-{uuid.uuid4().hex[:8]}")
    try:
        options = WaitOptions.of(timeout=120, poll_interval=1, on_progress=None, progress=False)
        message = _interrupt_at_first_pause(carla, options, created.id)
        assert f"client.instances.terminate({created.id})" in message
        assert "keeps starting on the platform" in message
        assert carla.instances.get(created.id).status not in ("stopping", "terminated")
    finally:
        carla.instances.terminate(created.id)


BIG = {  # ten million rows: its export is still running at the wait's first pause
    "label": "Big",
    "sql": "SELECT i AS big_id, i % 97 AS bucket FROM range(10000000) t(i)",
    "primary_key": {"name": "big_id", "type": "INT64"},
    "properties": [{"name": "bucket", "type": "INT64"}],
}


def test_interrupting_an_export_wait_cancels_the_export_when_asked(
    carla: GraphOLAPClient, server: ServerThread
) -> None:
    mapping = carla.mappings.create(
        f"big-{uuid.uuid4().hex[:8]}", "a big export", node_definitions=[BIG], edge_definitions=[]
    )
    snapshot = carla.snapshots.create(mapping.id, f"big-{uuid.uuid4().hex[:8]}")
    options = WaitOptions.of(
        timeout=120, poll_interval=1, on_progress=None, progress=False, on_interrupt="cancel"
    )
    op = wait_snapshot(snapshot.id, options)
    message = _interrupt_at_first_pause_of(carla, op)
    assert message == (
        f"Stopped the export of snapshot {snapshot.id}: the platform cancelled it and "
        "removed its files."
    )
    after = carla.snapshots.get(snapshot.id)
    assert after.status == "failed"
    assert after.error_message is not None and f"cancelled by {USER}" in after.error_message
    folder = snapshot_store(server.settings).staging(snapshot.id)  # where the export writes
    # the worker stops at its next step (a DuckDB COPY in progress runs to its end)
    eventually(lambda: not folder.exists() or not any(folder.rglob("*.parquet")), within=120)
    carla.snapshots.delete(snapshot.id)


@pytest.mark.anyio
async def test_cancelling_an_async_query_interrupts_it_on_the_instance(
    server: ServerThread,
    instance_id: int,
    watch: InstanceConnection[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        aconn = await client.instances.connect(instance_id)
        task = asyncio.ensure_future(aconn.query(LONG_QUERY, timeout=600))
        while not await asyncio.to_thread(watch.running_queries):
            assert not task.done(), task
            await asyncio.sleep(0.05)
        cancelled_at = time.monotonic()
        task.cancel()
        with (
            caplog.at_level(logging.WARNING, logger="graph_olap"),
            pytest.raises(asyncio.CancelledError),
        ):
            await task
        seconds = time.monotonic() - cancelled_at
        print(f"\nasync query: the task ended {seconds * 1000:.0f} ms after cancel()")
        assert seconds < BOUND
        assert f"on instance {instance_id} (the platform interrupted it)." in caplog.text
        eventually(lambda: watch.running_queries() == [])
        assert await aconn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0
