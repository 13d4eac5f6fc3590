"""Graph pictures show the whole graph: every node inside the picture, none under a panel.

The widget's checks replay sigma.js's own fitting (its ``createNormalizationFunction`` and
``matrixFromCamera``, sigma 2.4 as ipysigma 0.24 bundles it) on the options the widget
really carries (layout, node sizes, ``stagePadding``), not on our own geometry code.
The panels' places are the measured ones of :mod:`graph_olap.viz.frame`; the live
JupyterLab tests check those against the real page.
"""

from __future__ import annotations

import math
import re
from typing import Any

import networkx as nx
import pytest

from graph_olap.instance.result import QueryResult
from graph_olap.viz import GraphView, show_graph
from graph_olap.viz.frame import (
    LABEL_FONT_SIZE,
    MIN_PADDING,
    MIN_WIDTH,
    Box,
    best_orientation,
    node_boxes,
    panel_boxes,
    stage_padding,
)
from graph_olap.viz.picture import CAPTION_CHAR_WIDTH
from graph_olap.viz.svg import MARGIN, WIDTH


def les_miserables() -> nx.MultiDiGraph:
    """The co-appearance network of the notebook, as ``to_networkx()`` makes graphs."""
    base = nx.les_miserables_graph()
    rank = nx.pagerank(base)
    community = {
        name: i
        for i, group in enumerate(nx.community.louvain_communities(base, seed=3))
        for name in group
    }
    graph = nx.MultiDiGraph()
    for name in base.nodes:
        graph.add_node(
            name, _label="Character", name=name, pagerank=rank[name], community=community[name]
        )
    for a, b in base.edges:
        graph.add_edge(a, b, _label="APPEARS_WITH")
    return graph


def around(graph: nx.MultiDiGraph, who: str) -> nx.MultiDiGraph:
    """One character and everyone they appear with (the notebook's second picture)."""
    keep = {who, *graph.successors(who), *graph.predecessors(who)}
    return graph.subgraph(keep).copy()


def sigma_screen(widget: Any, *, width: float, height: float) -> dict[str, tuple[float, float]]:
    """Where sigma.js draws each node of ``widget`` on a canvas ``width`` x ``height``:
    the layout normalised by its bounding box, the camera at rest, the stage padding."""
    layout = widget.get_layout()
    xs = [p["x"] for p in layout.values()]
    ys = [p["y"] for p in layout.values()]
    ratio = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    graph_w, graph_h = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    viewport_ratio, graph_ratio = height / width, graph_h / graph_w
    if (viewport_ratio < 1 < graph_ratio) or (graph_ratio < 1 < viewport_ratio):
        correction = 1.0
    else:
        correction = min(max(graph_ratio, 1 / graph_ratio), max(1 / viewport_ratio, viewport_ratio))
    side = (min(width, height) - 2 * widget.renderer_settings["stagePadding"]) * correction
    screen = {}
    for key, p in layout.items():
        u, v = 0.5 + (p["x"] - cx) / ratio, 0.5 + (p["y"] - cy) / ratio
        screen[key] = (width / 2 + (u - 0.5) * side, height / 2 - (v - 0.5) * side)
    return screen


def widget_radii(view: GraphView) -> dict[str, float]:
    """Each node's radius in pixels as ipysigma scales ``node_size`` into its range."""
    widget = view.widget()
    size = widget.visual_variables["nodeSize"]
    assert size["type"] == "continuous"
    nodes = widget.data["nodes"]
    if not any(size["attribute"] in node["attributes"] for node in nodes):
        return {node["key"]: float(size["default"]) for node in nodes}
    low, high = size["range"]
    values = {node["key"]: node["attributes"][size["attribute"]] for node in nodes}
    least, most = min(values.values()), max(values.values())
    return {
        key: low + (high - low) * (value - least) / ((most - least) or 1.0)
        for key, value in values.items()
    }


PICTURES = {
    "whole network": lambda: show_graph(
        les_miserables(), color_by="community", size_by="pagerank", height=560, directed=False
    ),
    "one neighbourhood": lambda: show_graph(
        around(les_miserables(), "Valjean"), size_by="pagerank", height=420, directed=False
    ),
    "directed, no captions": lambda: show_graph(nx.gnm_random_graph(60, 90, seed=5, directed=True)),
    "a path": lambda: show_graph(nx.path_graph(12), height=250),
}


@pytest.mark.parametrize("name", list(PICTURES))
@pytest.mark.parametrize("width", [MIN_WIDTH, 848, 1400])
def test_the_widget_draws_every_node_and_caption_clear_of_its_panels(name: str, width: int) -> None:
    view = PICTURES[name]()
    widget = view.widget()
    height = view.height
    screen = sigma_screen(widget, width=width, height=height)
    radii = widget_radii(view)
    captions = {n.key: n.caption for n in view.picture.nodes}
    assert set(screen) == set(captions), "every node of the picture is in the widget"
    canvas = Box(0, 0, width, height)
    panels = panel_boxes(width, height)
    for key, (x, y) in screen.items():
        r = radii[key]
        disc = Box(x - r, y - r, x + r, y + r)
        # sigma writes the caption from 3 px right of the disc, baseline at y + size/3;
        # a line of text reaches at most one font size above its baseline
        baseline = y + LABEL_FONT_SIZE / 3
        text = Box(
            x + r + 3,
            baseline - LABEL_FONT_SIZE,
            x + r + 3 + len(captions[key]) * 0.6 * LABEL_FONT_SIZE,
            baseline + 3,
        )
        for what, box in (("node", disc), ("caption", text)):
            assert box.inside(canvas), f"{name}: the {what} of {captions[key]} leaves the canvas"
            covered = [p for p in panels if box.overlaps(p)]
            assert not covered, f"{name}: the {what} of {captions[key]} is under {covered}"


def test_the_widget_keeps_its_legend_collapsed_and_names_the_graph_type() -> None:
    view = PICTURES["whole network"]()
    widget = view.widget()
    assert widget.ui_settings["hideInfoPanel"] is True  # its legend strip would cover nodes
    assert widget.data["options"] == {"type": "undirected", "multi": False}
    directed = show_graph(les_miserables()).widget()  # as the result is: Cypher direction
    assert directed.data["options"] == {"type": "directed", "multi": False}
    assert directed.renderer_settings["defaultEdgeType"] == "arrow"


def test_positions_travel_as_node_attributes_and_layout_stays_a_layout_model() -> None:
    import ipywidgets

    view = people_result().show_graph()
    widget = view.widget()
    # ipywidgets makes a view of whatever `layout` holds: it must be a Layout model,
    # not ipysigma's positions (the console error of issue 11)
    assert isinstance(widget.layout, ipywidgets.Layout)
    assert widget.get_state()["layout"] == f"IPY_MODEL_{widget.layout.model_id}"
    nodes = {node["key"]: node["attributes"] for node in widget.data["nodes"]}
    for key, (x, y) in view.positions.items():
        assert (nodes[key]["x"], nodes[key]["y"]) == (x * 1000.0, (1.0 - y) * 1000.0)
    # keys that could name a property of the Layout model keep ipysigma's own positions
    named = show_graph(nx.Graph([("get", "name")])).widget()
    assert isinstance(named.layout, dict) and set(named.layout) == {"get", "name"}


def test_parallel_relationships_make_a_multigraph_only_when_there_are_some() -> None:
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", _label="PAID")
    g.add_edge("b", "a", _label="PAID")
    assert show_graph(g).widget().data["options"] == {"type": "directed", "multi": False}
    undirected = show_graph(g, directed=False)
    assert undirected.picture.parallel  # a-b twice once direction is dropped
    assert undirected.widget().data["options"] == {"type": "undirected", "multi": True}
    g.add_edge("a", "b", _label="PAID")
    assert show_graph(g).widget().data["options"]["multi"] is True


def people_result() -> QueryResult:
    rows = [
        [
            {"_id": {"table": 0, "offset": i}, "_label": "Character", "name": n},
            {
                "_id": {"table": 1, "offset": i},
                "_src": {"table": 0, "offset": i},
                "_dst": {"table": 0, "offset": i + 1},
                "_label": "APPEARS_WITH",
            },
            {"_id": {"table": 0, "offset": i + 1}, "_label": "Character", "name": m},
        ]
        for i, (n, m) in enumerate([("Valjean", "Javert"), ("Javert", "Fantine")])
    ]
    return QueryResult(columns=["a", "r", "b"], column_types=["NODE", "REL", "NODE"], rows=rows)


def test_a_result_drawn_undirected_has_no_arrows() -> None:
    result = people_result()
    assert "marker-end" in result.show_graph().to_html()
    plain = result.show_graph(directed=False)
    assert not plain.picture.directed
    assert "marker" not in plain.to_html()


def test_the_display_puts_summary_and_legend_around_the_canvas() -> None:
    view = PICTURES["whole network"]()
    box = view.display_widget()
    summary, sigma, legend = box.children
    assert type(sigma).__name__ == "Sigma"
    assert view.picture.summary in summary.value
    for category, colour, count in view.picture.legend:
        assert f"community {category} ({count})" in legend.value
        assert colour in legend.value


def test_padding_is_the_least_that_clears_the_panels() -> None:
    view = PICTURES["whole network"]()
    padding = stage_padding(view.picture, view.positions, height=view.height)
    assert padding == view.widget().renderer_settings["stagePadding"]

    def clear(at: int) -> bool:
        boxes = node_boxes(
            view.picture, view.positions, width=MIN_WIDTH, height=view.height, padding=at
        )
        canvas, panels = Box(0, 0, MIN_WIDTH, view.height), panel_boxes(MIN_WIDTH, view.height)
        return all(
            b.inside(canvas) and not any(b.overlaps(p) for p in panels)
            for pair in boxes.values()
            for b in pair
        )

    assert clear(padding)
    assert padding == MIN_PADDING or not clear(padding - 4), "a smaller padding would do"


def test_a_crowded_corner_is_turned_away_from_the_panels() -> None:
    g = nx.Graph()
    g.add_nodes_from(range(9), _label="N")
    picture = show_graph(g).picture
    # eight nodes crowd the top-right corner, under the search box; one sits bottom-left
    positions: dict[Any, tuple[float, float]] = {
        str(i): (1.0 - 0.03 * (i % 3), 0.03 * (i // 3)) for i in range(8)
    }
    positions["8"] = (0.0, 1.0)
    turned = best_orientation(picture, positions, height=500)
    before = stage_padding(picture, positions, height=500)
    after = stage_padding(picture, turned, height=500)
    assert after < before
    distances = {
        (a, b): math.dist(positions[a], positions[b]) for a in positions for b in positions
    }
    assert distances == pytest.approx(
        {(a, b): math.dist(turned[a], turned[b]) for a in turned for b in turned}
    ), "turning or mirroring keeps the layout's shape"


def test_heights_below_the_widgets_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match=r"height=200: give at least 250 pixels"):
        show_graph(nx.path_graph(3), height=200)


@pytest.mark.parametrize("name", list(PICTURES))
def test_the_static_picture_keeps_nodes_and_captions_inside_and_the_legend_below(
    name: str,
) -> None:
    view = PICTURES[name]()
    html = view.to_html()
    svg = html[html.index("<svg") : html.index("</svg>")]
    viewbox = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert viewbox is not None
    width, height = map(int, viewbox.groups())
    assert (width, height) == (WIDTH, view.height)
    circles = re.findall(r'<circle [^>]*cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', svg)
    assert len(circles) == len(view.picture.nodes)
    for cx, cy, r in ((float(a), float(b), float(c)) for a, b, c in circles):
        assert cx - r >= MARGIN - 0.1 and cx + r <= width - MARGIN + 0.1
        assert cy - r >= MARGIN - 0.1 and cy + r <= height - MARGIN + 0.1
    texts = re.findall(r'<text x="([\d.]+)"( text-anchor="end")? y="([\d.]+)">([^<]*)</text>', svg)
    assert len(texts) == svg.count("<text ")
    for x, end, y, caption in texts:
        extent = len(caption) * CAPTION_CHAR_WIDTH
        left, right = (float(x) - extent, float(x)) if end else (float(x), float(x) + extent)
        assert left >= 0 and right <= width, f"{caption} runs out of the picture"
        assert LABEL_FONT_SIZE <= float(y) <= height
    # the legend is HTML after the picture, never drawn over it
    assert "go-graph-legend" not in svg
    assert html.index("go-graph-legend") > html.index("</svg>")
