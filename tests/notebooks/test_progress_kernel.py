"""The progress bar in a real Jupyter kernel, against the session's local platform.

A small notebook (built here, executed by nbclient in this environment's ``python3``
kernel) starts one instance with ``progress=True`` and waits for one whose export fails
with a reporter of its own (a quick clock, and a display that records every text the
bar's label shows), then starts another with no progress argument (a bar appears once
the wait passes a second) and makes quick waits (no bar). The checks read what a user's
notebook keeps: the cells' outputs and the widget state nbclient saves in the notebook's
metadata.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

import nbclient
import nbformat
import pytest

from tests.notebooks.kernel import WIDGET_MIME, is_problem

pytestmark = [pytest.mark.timeout(120), pytest.mark.socket]

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

SETUP = """
import json, threading, uuid
import IPython.display
from graph_olap import InstanceFailedError, notebook
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
        broken.id, f"dup-{tag}", progress=WidgetProgress(display=show, tick=0.05), timeout=90
    )
except InstanceFailedError as err:
    print("FAILED", type(err).__name__)
print("LABELS", json.dumps(labels))
"""

DEFAULT = """
second = client.instances.create_from_mapping_and_wait(karate.id, f"default-{tag}", timeout=90)
print("STATUS", second.status)
"""

QUICK = """
again = client.instances.wait_until_running(second.id)  # already running: no bar
with client.instances.connect(second.id) as conn:
    ranks = conn.algo.pagerank()  # a fraction of a second: no bar
print("ROWS", ranks.height)
"""

CLEANUP = """
client.instances.terminate(instance.id)
client.instances.terminate(second.id)
print("THREADS", json.dumps([t.name for t in threading.enumerate()]))
"""


def run_notebook() -> tuple[Any, list[Any]]:
    nb = nbformat.v4.new_notebook()
    cells = (SETUP, SUCCEED, FAIL, DEFAULT, QUICK, CLEANUP)
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=90, allow_errors=False, store_widget_state=True
    )
    client.execute()
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


def test_progress_bar_in_a_real_kernel(analyst_env: str) -> None:  # env: platform + user
    started = time.monotonic()
    nb, (_, succeed, fail, default, quick, cleanup) = run_notebook()

    # progress=True in a kernel: an ipywidgets bar that ended full, green, with the time
    assert line(succeed, "STATUS") == "running"
    bar, label = bar_of(nb, succeed)
    assert bar["value"] == bar["max"] >= 1 and bar["bar_style"] == "success"
    assert re.fullmatch(r"<b>Instance \d+</b> ready in \d+\.\d s", label["value"]), label

    # the failed wait: a red bar with the platform's reason, and the clock kept running
    assert line(fail, "FAILED") == "InstanceFailedError"
    bar, label = bar_of(nb, fail)
    assert bar["bar_style"] == "danger" and bar["value"] == bar["max"]
    assert re.search(r"</b> failed.*duplicate.*\(\d+\.\d s\)$", label["value"], re.I), label
    labels = json.loads(line(fail, "LABELS"))
    assert labels[-1] == label["value"]
    waiting = [text.rsplit(" · ", 1) for text in labels[:-1]]
    assert all(re.fullmatch(r"\d+\.\d s", elapsed) for _, elapsed in waiting), waiting
    ticks = [
        (a, b) for a, b in itertools.pairwise(waiting) if a[0] == b[0] and a[1] != b[1]
    ]
    assert ticks, f"the clock never moved between the server's updates: {labels}"

    # no progress argument: a bar for the instance start (seconds), none for the quick waits
    assert line(default, "STATUS") == "running"
    bar, label = bar_of(nb, default)
    assert bar["bar_style"] == "success" and "ready in" in label["value"]
    assert line(quick, "ROWS") == "34"
    assert not [out for out in quick.outputs if WIDGET_MIME in out.get("data", {})]

    # the clock and delay threads ended with their waits
    threads = json.loads(line(cleanup, "THREADS"))
    assert not {"graph-olap-progress", "graph-olap-progress-delay"} & set(threads), threads
    assert time.monotonic() - started < 45
