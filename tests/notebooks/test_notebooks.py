"""The example notebooks in ``notebooks/``, executed top to bottom in a real Jupyter kernel
(see ``kernel.py``), their outputs checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.notebooks.kernel import (
    WIDGET_MIME,
    cell_with,
    code_cells,
    html_of,
    result_of,
    text_of,
    widget_models,
)

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]

Run = Callable[[str], Any]


def test_basic_workflow(executed_notebook: Run) -> None:
    cells = code_cells(executed_notebook("basic_workflow.ipynb"))

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
        WIDGET_MIME in out.get("data", {})
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


def test_algorithms(executed_notebook: Run) -> None:
    cells = code_cells(executed_notebook("algorithms.ipynb"))

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


def test_visualization(executed_notebook: Run) -> None:
    nb = executed_notebook("visualization.ipynb")
    cells = code_cells(nb)

    communities = int(text_of(cell_with(cells, 'print(f"{communities.summary')).split()[0])
    assert communities >= 2

    whole = cell_with(cells, 'everyone.show_graph(color_by="community", size_by="pagerank", height')
    (sigma,) = widget_models(nb, whole)
    assert sigma["model_name"] == "SigmaModel"
    assert "77 nodes, 254 relationships" in text_of(whole)
    static = html_of(whole)  # the fallback for front ends without widgets
    assert static.count("<circle") == 77
    assert static.count('class="go-graph-legend"') == 1
    assert static.count("border-radius:50%") == communities  # one legend entry each
    radii = {float(r) for r in re.findall(r'<circle [^>]* r="([0-9.]+)"', static)}
    assert len(radii) > 10, "sized by pagerank: many different radii"

    around = cell_with(cells, "around.show_graph(")
    assert widget_models(nb, around)
    circles = html_of(around).count("<circle")
    assert 2 < circles < 77, "only Valjean and the characters he appears with"
    assert "Valjean" in html_of(around)

    assert "77 nodes" in text_of(cell_with(cells, "view.save_html("))
