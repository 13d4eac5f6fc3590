"""Interrupting a real kernel mid-query and mid-algorithm stops the work on the platform.

A ``python3`` kernel of this environment (started with ``jupyter_client``, as JupyterLab
starts one) connects to the session's local platform and starts an instance. A cell runs
a query that would take hours; when the platform shows it running (the wrapper's
``GET /queries``, watched by an admin from this process) the test interrupts the kernel
with the kernel manager's ``interrupt_kernel()``, as the notebook's stop button does.
The cell must end with the one line saying what was stopped, the wrapper must list no
running query, and the next cell must run at once. The same for an algorithm holding the
instance's lock. The times from interrupt to the cell's end are printed (run with -s).
"""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from graph_olap import GraphOLAPClient, InstanceConnection
from graph_olap_server.runner import ServerThread

pytestmark = [pytest.mark.timeout(600), pytest.mark.socket]  # against hangs only

BOUND = 5.0  # seconds from interrupt to the cell's end: generous; the real figure is printed

SETUP = """
import uuid
from graph_olap import notebook
client = notebook.connect()
tag = uuid.uuid4().hex[:6]
CUSTOMER = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, city FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [{"name": "name", "type": "STRING"}],
}
MEMBER = {
    "label": "Member",
    "sql": "SELECT member_id, club FROM sample.classic.karate_members",
    "primary_key": {"name": "member_id", "type": "INT64"},
    "properties": [{"name": "club", "type": "STRING"}],
}
KNOWS = {
    "type": "KNOWS", "from_node": "Member", "to_node": "Member",
    "sql": "SELECT member_a, member_b FROM sample.classic.karate_ties",
    "from_key": "member_a", "to_key": "member_b", "properties": [],
}
mapping = client.mappings.create(
    f"cancel-{tag}", "customers and karate", node_definitions=[CUSTOMER, MEMBER],
    edge_definitions=[KNOWS],
)
instance = client.instances.create_from_mapping_and_wait(
    mapping.id, f"cancel-{tag}", progress=False, timeout=240
)
conn = client.instances.connect(instance.id)
print("INSTANCE", instance.id)
"""

LONG_QUERY = """
conn.query(
    "MATCH (a:Customer), (b:Customer), (c:Customer), (d:Customer), (e:Customer) "
    "WHERE (a.customer_id * b.customer_id + c.customer_id * d.customer_id "
    "+ e.customer_id) % 1000003 = 7 RETURN count(*) AS n",
    timeout=600,
)
"""

LONG_ALGORITHM = """
conn.networkx.run(
    "approximate_current_flow_betweenness_centrality",
    {"epsilon": 1e-4, "kmax": 10**12, "seed": 1},
    node_labels="Member", orientation="undirected", mode="mutate",
    property="slow_kernel", force=True, show_progress=False,
)
"""

NEXT = 'print("NEXT", conn.query_scalar("MATCH (c:Customer) RETURN count(c)"))'


class Kernel:
    """One kernel and its client: run a cell, collect what it shows."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env)
        self.client: BlockingKernelClient = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def start(self, code: str) -> str:
        return str(self.client.execute(code))

    def outputs(self, msg_id: str, timeout: float = 300) -> list[dict[str, Any]]:
        """The cell's outputs (stream texts and errors) until it is idle again."""
        shown: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"the cell did not finish within {timeout} s: {shown}")
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind in ("stream", "error", "execute_result"):
                shown.append({"type": kind, **content})
            if kind == "status" and content["execution_state"] == "idle":
                return shown

    def run(self, code: str) -> list[dict[str, Any]]:
        return self.outputs(self.start(code))

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def text(outputs: list[dict[str, Any]]) -> str:
    return "".join(o.get("text", "") for o in outputs if o["type"] == "stream")


@pytest.fixture(scope="module")
def kernel(kernel_env: dict[str, str]) -> Iterator[Kernel]:
    running = Kernel(kernel_env)
    yield running
    running.run("client.instances.terminate(instance.id)")
    running.close()


@pytest.fixture(scope="module")
def instance_id(kernel: Kernel) -> int:
    shown = kernel.run(SETUP)
    found = re.search(r"INSTANCE (\d+)", text(shown))
    assert found, shown
    return int(found.group(1))


@pytest.fixture(scope="module")
def watch(server: ServerThread, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    """An admin's connection to the kernel's instance: sees every user's queries."""
    with (
        GraphOLAPClient(server.url, username="admin", max_retries=1) as admin,
        admin.instances.connect(instance_id) as conn,
    ):
        yield conn


def interrupt_when(kernel: Kernel, code: str, running: Callable[[], bool]) -> tuple[dict, float]:
    """Run ``code``; interrupt the kernel once ``running()`` (polled every 50 ms); the
    cell's error output and the seconds from the interrupt to the cell's end."""
    msg_id = kernel.start(code)
    deadline = time.monotonic() + 60
    while not running():
        assert time.monotonic() < deadline, "the work was never seen running"
        time.sleep(0.05)
    sent = time.monotonic()
    kernel.manager.interrupt_kernel()
    shown = kernel.outputs(msg_id, timeout=60)
    seconds = time.monotonic() - sent
    errors = [o for o in shown if o["type"] == "error"]
    assert len(errors) == 1, shown
    return errors[0], seconds


def test_interrupting_a_query_cell_stops_the_query(
    kernel: Kernel, watch: InstanceConnection[Any], instance_id: int
) -> None:
    error, seconds = interrupt_when(kernel, LONG_QUERY, lambda: bool(watch.running_queries()))
    print(f"\nkernel query: cell ended {seconds * 1000:.0f} ms after interrupt_kernel()")
    assert seconds < BOUND
    assert error["ename"] == "Interrupted"
    assert re.fullmatch(
        rf"Stopped query [0-9a-f]{{12}} on instance {instance_id} "
        r"\(the platform interrupted it\)\.",
        error["evalue"],
    ), error
    assert watch.running_queries() == []  # the cell ended after the wrapper answered
    started = time.monotonic()
    assert "NEXT" in text(kernel.run(NEXT))
    print(f"kernel query: the next cell ran in {(time.monotonic() - started) * 1000:.0f} ms")


def test_interrupting_an_algorithm_cell_cancels_it(
    kernel: Kernel, watch: InstanceConnection[Any], instance_id: int
) -> None:
    error, seconds = interrupt_when(kernel, LONG_ALGORITHM, lambda: watch.lock_status().locked)
    print(f"\nkernel algorithm: cell ended {seconds * 1000:.0f} ms after interrupt_kernel()")
    assert seconds < BOUND
    assert error["ename"] == "Interrupted"
    assert error["evalue"].startswith(
        "Stopped approximate_current_flow_betweenness_centrality execution "
    ), error
    assert "the instance's lock is free" in error["evalue"]
    assert watch.lock_status().locked is False
    assert "NEXT" in text(kernel.run(NEXT))
