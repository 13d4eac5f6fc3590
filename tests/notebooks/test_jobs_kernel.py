"""A job survives a kernel restart: re-attached by id, its progress bar shown, its result
returned (issue 15, point 3), in a real kernel against the session's local platform.

A ``python3`` kernel of this environment (started with ``jupyter_client``, as JupyterLab
starts one, with a new user's environment) starts a snapshot export without waiting and
prints its job id. The kernel is restarted (the notebook's restart button: a new process,
no variables). The new kernel knows only the id: it lists the job, waits for it with
``progress=True`` and prints what it got. The checks read what the cells showed: the
progress bar's widget, and the Snapshot, ready.
"""

from __future__ import annotations

import queue
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tests.notebooks.kernel import WIDGET_MIME

pytestmark = [pytest.mark.timeout(600), pytest.mark.socket]  # against hangs only

START = """
import uuid
from graph_olap import notebook
client = notebook.connect()
tag = uuid.uuid4().hex[:6]
WIDE = {  # a million rows: an export that takes a moment
    "label": "Row",
    "sql": "SELECT i AS row_id, i % 97 AS bucket FROM range(1000000) t(i)",
    "primary_key": {"name": "row_id", "type": "INT64"},
    "properties": [{"name": "bucket", "type": "INT64"}],
}
mapping = client.mappings.create(
    f"resume-{tag}", "a job to resume", node_definitions=[WIDE], edge_definitions=[]
)
snapshot = client.snapshots.create(mapping.id, f"resume-{tag}")
print("JOB", client.jobs.get(snapshot).id)
"""

RESUME = """
from graph_olap import notebook
client = notebook.connect()
print("LISTED", {job_id!r} in [j.id for j in client.jobs.list(active=False, kind="export")])
result = client.jobs.get({job_id!r}).wait(timeout=300, progress=True)
print("RESULT", type(result).__name__, result.id, result.status)
"""


class Kernel:
    """One kernel and its client: run a cell, collect what it shows; restart it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env)
        self.client: BlockingKernelClient = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> list[dict[str, Any]]:
        """The cell's outputs (streams, errors, results, displays) until it is idle."""
        msg_id = self.client.execute(code)
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
            if kind in ("stream", "error", "execute_result", "display_data"):
                shown.append({"type": kind, **content})
            if kind == "status" and content["execution_state"] == "idle":
                return shown

    def restart(self) -> None:
        self.manager.restart_kernel(now=True)
        self.client.wait_for_ready(timeout=120)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def _text(outputs: list[dict[str, Any]]) -> str:
    return "".join(o.get("text", "") for o in outputs if o["type"] == "stream")


@pytest.fixture
def kernel(kernel_env: dict[str, str]) -> Iterator[Kernel]:
    running = Kernel(kernel_env)
    yield running
    running.close()


def test_a_job_is_resumed_with_its_progress_bar_after_a_kernel_restart(kernel: Kernel) -> None:
    first = kernel.run(START)
    found = re.search(r"JOB (export-\d+)", _text(first))
    assert found, first
    job_id = found.group(1)
    pid_before = kernel.manager.provisioner.process.pid  # type: ignore[union-attr]

    kernel.restart()
    assert kernel.manager.provisioner.process.pid != pid_before  # type: ignore[union-attr]
    shown = kernel.run(RESUME.format(job_id=job_id))

    errors = [o for o in shown if o["type"] == "error"]
    assert not errors, errors
    printed = _text(shown)
    assert "LISTED True" in printed, shown
    snapshot_id = job_id.removeprefix("export-")
    assert f"RESULT Snapshot {snapshot_id} ready" in printed, shown
    bars = [o for o in shown if o["type"] == "display_data" and WIDGET_MIME in o["data"]]
    assert bars, f"no progress bar was shown: {shown}"
