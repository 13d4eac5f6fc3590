"""The progress bar in a real Jupyter kernel, against the session's local platform.

A small notebook (built here, executed by nbclient in this environment's ``python3``
kernel) starts one instance with ``progress=True``, waits for one whose export fails with
a reporter of its own (a display that records every text the bar's label shows), and
watches a bar's clock move while nothing is reported. Then it starts another instance
with no progress argument, through a proxy that answers each status poll only after
twice the default delay, so that wait is long on every machine and must get its bar;
and, with the delay set visibly to a minute, makes quick waits, which must get none.
No outcome depends on how fast the machine is. The checks read what a user's notebook
keeps: the cells' outputs and the widget state nbclient saves in the notebook's metadata.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import nbclient
import nbformat
import pytest

from graph_olap.progress import AUTO_DELAY_SECONDS
from graph_olap_server.runner import ServerThread
from tests.notebooks.kernel import WIDGET_MIME, is_problem
from tests.reliability.proxy import FaultProxy, Rule

pytestmark = [pytest.mark.timeout(600), pytest.mark.socket]  # against hangs only

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

SLOW_POLL = 2 * AUTO_DELAY_SECONDS
"""Seconds the proxy holds each status poll of the default wait: any machine then waits
longer than the default delay."""

SETUP = """
import json, threading, uuid
import IPython.display
from graph_olap import GraphOLAPClient, InstanceFailedError, notebook
from graph_olap.progress import ProgressEvent, set_auto_delay
from graph_olap.progress_widget import WidgetProgress

client = notebook.connect()
tag = uuid.uuid4().hex[:6]
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
DUPLICATE = {  # its export fails the primary-key check
    **MEMBER, "sql": "SELECT member_id % 3 AS member_id, club FROM sample.classic.karate_members"
}
karate = client.mappings.create(
    f"karate-{tag}", "karate club", node_definitions=[MEMBER], edge_definitions=[KNOWS]
)
broken = client.mappings.create(
    f"dup-{tag}", "duplicate keys", node_definitions=[DUPLICATE], edge_definitions=[]
)
"""

SUCCEED = """
instance = client.instances.create_from_mapping_and_wait(
    karate.id, f"ok-{tag}", progress=True, timeout=90
)
print("STATUS", instance.status)
"""

FAIL = """
labels = []

def show(box):
    box.children[1].observe(lambda change: labels.append(change["new"]), "value")
    IPython.display.display(box)

try:
    client.instances.create_from_mapping_and_wait(
        broken.id, f"dup-{tag}", progress=WidgetProgress(display=show), timeout=90
    )
except InstanceFailedError as err:
    print("FAILED", type(err).__name__)
print("LABELS", json.dumps(labels))
"""

CLOCK = """
ticks = []
ticked = threading.Event()

def watch(box):
    def seen(change):
        ticks.append(change["new"])
        if change["new"].endswith("· 1.0 s"):
            ticked.set()
    box.children[1].observe(seen, "value")
    IPython.display.display(box)

now = [0.0]
clocked = WidgetProgress(display=watch, clock=lambda: now[0], tick=0.01)
clocked.update(ProgressEvent("Instance 0", "starting", "loading_data", 1, 3, 0.0))
now[0] = 1.0  # a second passes and nothing is reported: only the clock thread can redraw
print("TICKED", ticked.wait(120))  # a deadline against hangs only
clocked.close(success=True)
print("TICKS", json.dumps(ticks))
"""

DEFAULT = """
slow = GraphOLAPClient.from_env(api_url=SLOW_URL)  # each status poll answered after SLOW_POLL
second = slow.instances.create_from_mapping_and_wait(karate.id, f"default-{tag}", timeout=300)
print("STATUS", second.status)
"""

QUICK = """
previous = set_auto_delay(60)  # "quick" is then anything under a minute, on any machine
try:
    again = client.instances.wait_until_running(second.id)  # already running: no bar
    with client.instances.connect(second.id) as conn:
        ranks = conn.algo.pagerank()
finally:
    set_auto_delay(previous)
print("ROWS", ranks.height)
"""

CLEANUP = """
client.instances.terminate(instance.id)
client.instances.terminate(second.id)
slow.close()
print("THREADS", json.dumps([t.name for t in threading.enumerate()]))
"""


ELAPSED = re.compile(r"(\d+)\.(\d) s|(\d+) min (\d\d) s|(\d+) h (\d\d) min")
"""A time as the bar shows it (graph_olap.progress.format_elapsed)."""


def seconds_of(text: str) -> float:
    """The last time in ``text``, in seconds (to the display's precision)."""
    *_, found = ELAPSED.finditer(text)
    s, tenths, m, ms, h, hm = found.groups()
    if s is not None:
        return int(s) + int(tenths) / 10
    if m is not None:
        return int(m) * 60 + int(ms)
    return int(h) * 3600 + int(hm) * 60


@pytest.fixture
def slow_proxy(server: ServerThread) -> Iterator[FaultProxy]:
    """The session platform behind a proxy that holds every status poll ``SLOW_POLL``."""
    with FaultProxy(server.port) as proxy:
        hold = Rule("delay", count=10**6, method="GET", path_prefix="/api/instances",
                    delay=SLOW_POLL)  # fmt: skip
        proxy.add(hold)
        yield proxy


def run_notebook(slow_url: str, env: dict[str, str]) -> tuple[Any, list[Any]]:
    nb = nbformat.v4.new_notebook()
    setup = f"{SETUP}\nSLOW_URL = {slow_url!r}\nSLOW_POLL = {SLOW_POLL!r}\n"
    cells = (setup, SUCCEED, FAIL, CLOCK, DEFAULT, QUICK, CLEANUP)
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, allow_errors=False, store_widget_state=True
    )
    client.execute(env=env)
    for cell in nb.cells:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, errors
        stderr = [out.text for out in cell.outputs if out.get("name") == "stderr"]
        assert not any(is_problem(text) for text in stderr), (cell.source, stderr)
    return nb, nb.cells


def bar_of(nb: Any, cell: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The saved state of the progress bar and its label displayed by ``cell``."""
    views = [out.data[WIDGET_MIME] for out in cell.outputs if WIDGET_MIME in out.get("data", {})]
    assert len(views) == 1, f"expected one widget in {cell.source!r}: {cell.outputs}"
    states = nb.metadata["widgets"][WIDGET_STATE]["state"]
    box = states[views[0]["model_id"]]
    assert box["model_name"] == "HBoxModel"
    bar, label = (states[ref.removeprefix("IPY_MODEL_")] for ref in box["state"]["children"])
    assert bar["model_name"] == "IntProgressModel" and label["model_name"] == "HTMLModel"
    return bar["state"], label["state"]


def line(cell: Any, prefix: str) -> str:
    """What the cell printed after ``prefix``."""
    printed = "".join(out.text for out in cell.outputs if out.output_type == "stream")
    [found] = [x for x in printed.splitlines() if x.startswith(prefix + " ")]
    return found[len(prefix) + 1 :]


def test_progress_bar_in_a_real_kernel(kernel_env: dict[str, str], slow_proxy: FaultProxy) -> None:
    nb, (_, succeed, fail, clock, default, quick, cleanup) = run_notebook(
        slow_proxy.url, kernel_env
    )

    # progress=True in a kernel: an ipywidgets bar that ended full, green, with the time
    assert line(succeed, "STATUS") == "running"
    bar, label = bar_of(nb, succeed)
    assert bar["value"] == bar["max"] >= 1 and bar["bar_style"] == "success"
    assert re.fullmatch(rf"<b>Instance \d+</b> ready in ({ELAPSED.pattern})", label["value"])

    # the failed wait: a red bar with the platform's reason and the time
    assert line(fail, "FAILED") == "InstanceFailedError"
    bar, label = bar_of(nb, fail)
    assert bar["bar_style"] == "danger" and bar["value"] == bar["max"]
    # the wait sees the instance fail, or first its snapshot ("cannot start: its snapshot
    # ... failed"): either way the platform's reason (the duplicate key) and the time
    assert re.search(
        r"</b> (failed|cannot start).*duplicate.*\(\d+\.\d s\)$", label["value"], re.I
    ), label
    labels = json.loads(line(fail, "LABELS"))
    assert labels[-1] == label["value"]
    waiting = [text.rsplit(" · ", 1) for text in labels[:-1]]
    assert all(ELAPSED.fullmatch(elapsed) for _, elapsed in waiting), waiting

    # the clock thread redraws the bar in the kernel while nothing is reported
    assert line(clock, "TICKED") == "True", "the clock never moved in the kernel"
    ticks = [text.rsplit(" · ", 1) for text in json.loads(line(clock, "TICKS"))]
    moved = [(a, b) for a, b in itertools.pairwise(ticks) if a[0] == b[0] and a[1] != b[1]]
    assert moved, f"the clock never moved between updates: {ticks}"
    bar, label = bar_of(nb, clock)
    assert bar["bar_style"] == "success" and label["value"].endswith("ready in 1.0 s")

    # no progress argument: a bar for a wait longer than the default delay, none for a
    # wait shorter than the delay
    assert line(default, "STATUS") == "running"
    bar, label = bar_of(nb, default)
    assert bar["bar_style"] == "success" and "ready in" in label["value"]
    assert slow_proxy.requests("GET", "/api/instances"), "the wait did not go through the proxy"
    assert seconds_of(label["value"]) >= SLOW_POLL, label  # the whole wait, from its start
    assert line(quick, "ROWS") == "34"
    assert not [out for out in quick.outputs if WIDGET_MIME in out.get("data", {})]

    # the clock and delay threads ended with their waits
    threads = json.loads(line(cleanup, "THREADS"))
    assert not {"graph-olap-progress", "graph-olap-progress-delay"} & set(threads), threads
