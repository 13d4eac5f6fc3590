"""The example notebooks in ``notebooks/``, executed top to bottom in a real Jupyter kernel.

Each runs against the session's local platform (``GRAPH_OLAP_API_URL``) as its own analyst
(``GRAPH_OLAP_USERNAME``), in the ``python3`` kernel of this interpreter's environment.
The notebooks on disk stay without outputs: they are executed in memory.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_olap_server.runner import ServerThread

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT = 300
PREFIX_CHECK = "import sys; print(sys.prefix)"


@pytest.fixture
def analyst_env(server: ServerThread) -> Iterator[str]:
    """The platform's URL and a new analyst in os.environ (the kernel inherits them)."""
    username = f"nb-{uuid.uuid4().hex[:8]}"
    wanted = {"GRAPH_OLAP_API_URL": server.url, "GRAPH_OLAP_USERNAME": username}
    cleared = ("GRAPH_OLAP_API_KEY", "GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_IN_CLUSTER_MODE")
    saved = {name: os.environ.get(name) for name in (*wanted, *cleared)}
    for name in cleared:
        os.environ.pop(name, None)
    os.environ.update(wanted)
    try:
        yield username
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(name: str) -> list[Any]:
    """Run the notebook in a fresh kernel; its code cells, with their outputs.

    A last cell (not in the file) prints the kernel's ``sys.prefix``, to check that the
    kernel is this environment's Python.
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells), f"{name} is saved with outputs"
    nb.cells.append(nbformat.v4.new_code_cell(PREFIX_CHECK))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    prefix = text_of(cells.pop()).strip()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    for cell in cells:
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"{cell.source}\n{errors}"
        streams = [out for out in cell.outputs if out.output_type == "stream"]
        assert all(out.name == "stdout" or not is_problem(out.text) for out in streams), (
            cell.source,
            streams,
        )
    return cells


def is_problem(text: str) -> bool:
    return bool(re.search(r"Traceback|Error|Warning", text))


def cell_with(cells: list[Any], source: str) -> Any:
    """The one code cell whose source contains ``source``."""
    found = [cell for cell in cells if source in cell.source]
    assert len(found) == 1, f"{len(found)} cells contain {source!r}"
    return found[0]


def html_of(cell: Any) -> str:
    return "".join(
        out.data["text/html"]
        for out in cell.outputs
        if out.output_type in ("execute_result", "display_data") and "text/html" in out.data
    )


def text_of(cell: Any) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def result_of(cell: Any) -> str:
    """The cell's value (text/plain of its execute_result)."""
    results = [out for out in cell.outputs if out.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return str(results[0].data["text/plain"])


def test_basic_workflow(analyst_env: str) -> None:
    cells = execute("basic_workflow.ipynb")

    assert "go-root" in html_of(cell_with(cells, "client = notebook.connect()"))
    assert result_of(cell_with(cells, "client.health.check()")) == "'healthy'"
    tables = text_of(cell_with(cells, 'list_tables("sample", "bank")')).split()
    assert {"sample.bank.customers", "sample.bank.accounts"} <= set(tables)
    assert "customer_id" in text_of(cell_with(cells, "list_columns"))

    mapping_html = html_of(cell_with(cells, "client.mappings.create("))
    assert "Customer" in mapping_html and "TRANSFERRED_TO" in mapping_html

    started = cell_with(cells, "create_from_mapping_and_wait")
    assert "running" in html_of(started)
    assert any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        or out.output_type == "stream"
        for out in started.outputs[:-1]
    ), "no progress shown"

    by_city = html_of(cell_with(cells, "by_city = conn.query_df("))
    assert "<table" in by_city and "city" in by_city

    busiest = result_of(cell_with(cells, "busiest = conn.query_one("))
    assert "'account'" in busiest and "'transfers'" in busiest
    assert int(result_of(cell_with(cells, "query_scalar"))) > 0

    query_html = html_of(cell_with(cells, "result = conn.query("))
    assert "go-root" in query_html and "<table" in query_html
    assert "customer" in query_html and "balance" in query_html

    terminated = cell_with(cells, "client.instances.terminate(")
    assert re.search(r"terminat|stopp", html_of(terminated) + text_of(terminated))


def test_algorithms(analyst_env: str) -> None:
    cells = execute("algorithms.ipynb")

    assert "Member" in html_of(cell_with(cells, "client.mappings.create("))
    started = text_of(cell_with(cells, "create_from_mapping_and_wait"))
    assert "34 members, 78 friendships" in started

    top = cell_with(cells, "conn.algo.pagerank(")
    assert "<table" in html_of(top) and "pagerank" in html_of(top)
    assert result_of(cell_with(cells, "ranks.height")) == "34"

    louvain = cell_with(cells, 'conn.algo.louvain(mode="mutate"')
    assert "louvain" in html_of(louvain) and "completed" in html_of(louvain)
    assert "communities, modularity" in text_of(cell_with(cells, "community_count"))
    communities = html_of(cell_with(cells, "m.community AS community"))
    assert "<table" in communities and "community" in communities

    brokers = html_of(cell_with(cells, "conn.networkx.betweenness_centrality()"))
    assert "<table" in brokers and "betweenness" in brokers

    executions = html_of(cell_with(cells, "conn.algo.executions()"))
    for algorithm in ("pagerank", "louvain", "betweenness_centrality"):
        assert algorithm in executions
