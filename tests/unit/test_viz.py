"""Graph pictures: what build_picture decides, the layout, the static SVG and the bundle."""

from __future__ import annotations

import re
from typing import Any

import networkx as nx
import pytest

from graph_olap.exceptions import ResultShapeError
from graph_olap.instance.result import QueryResult
from graph_olap.viz import GraphView, show_graph
from graph_olap.viz.layout import MAX_LAYOUT_NODES, force_layout
from graph_olap.viz.picture import OTHER_COLOR, PALETTE, RADIUS, build_picture

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def node(offset: int, label: str = "Person", **props: Any) -> dict[str, Any]:
    return {"_id": {"table": 0, "offset": offset}, "_label": label, **props}


def rel(offset: int, src: int, dst: int, kind: str = "KNOWS") -> dict[str, Any]:
    return {
        "_id": {"table": 1, "offset": offset},
        "_src": {"table": 0, "offset": src},
        "_dst": {"table": 0, "offset": dst},
        "_label": kind,
    }


def people() -> QueryResult:
    """a-KNOWS->b, b-KNOWS->c, as the wrapper sends `RETURN a, r, b` rows."""
    ann = node(0, name="Ann", score=3.0, team="red")
    bob = node(1, name="Bob", score=1.0, team="blue")
    cat = node(2, "Robot", name="Cat", score=2.0, team="red")
    return QueryResult(
        columns=["a", "r", "b"],
        column_types=["NODE", "REL", "NODE"],
        rows=[[ann, rel(0, 0, 1), bob], [bob, rel(1, 1, 2), cat]],
    )


def test_colour_follows_the_most_frequent_category_and_size_the_property() -> None:
    picture = people().show_graph(color_by="team", size_by="score").picture

    by_caption = {n.caption: n for n in picture.nodes}
    assert by_caption["Ann"].color == by_caption["Cat"].color == PALETTE[0]  # red: 2 nodes
    assert by_caption["Bob"].color == PALETTE[1]
    assert (by_caption["Ann"].radius, by_caption["Bob"].radius) == (RADIUS[1], RADIUS[0])
    assert by_caption["Cat"].radius == pytest.approx(sum(RADIUS) / 2)
    assert picture.legend == [("red", PALETTE[0], 2), ("blue", PALETTE[1], 1)]
    assert [(e.source, e.target, e.type) for e in picture.edges] == [
        ("0:0", "0:1", "KNOWS"),
        ("0:1", "0:2", "KNOWS"),
    ]
    assert picture.summary == "3 nodes, 2 relationships; colour: team; size: score"


def test_label_is_the_default_colour_and_hover_shows_the_properties() -> None:
    picture = people().show_graph().picture
    assert [c for c, _, _ in picture.legend] == ["Person", "Robot"]
    ann = picture.nodes[0]
    assert ann.attributes == {"label": "Person", "name": "Ann", "score": 3.0, "team": "red"}
    assert picture.edges[0].attributes == {"type": "KNOWS"}
    assert "colour: label" in picture.summary and "size" not in picture.summary


def test_categories_past_the_palette_share_the_other_colour() -> None:
    g = nx.Graph()
    for i in range(len(PALETTE) + 3):
        g.add_node(i, _label="N", group=i)
    picture = build_picture(g, color_by="group")
    colours = [n.color for n in picture.nodes]
    assert colours[: len(PALETTE)] == list(PALETTE)
    assert colours[len(PALETTE) :] == [OTHER_COLOR] * 3
    assert len(picture.legend) == len(PALETTE) + 1
    assert picture.legend[-1] == ("other", OTHER_COLOR, 3)  # one entry, not three greys
    assert "group other" not in show_graph(g, color_by="group").to_html()


def test_captions_are_written_only_when_a_property_gives_them() -> None:
    named = people().show_graph().to_html()
    assert re.findall(r"<text [^>]*>([^<]+)</text>", named) != []
    g = nx.Graph()
    g.add_edge("a", "b")
    nx.set_node_attributes(g, "Account", "_label")
    unnamed = show_graph(g).to_html()
    assert "<text " not in unnamed  # "Account a" beside each node says little
    assert "<title>Account a" in unnamed  # hovering still says it


def test_size_by_a_missing_property_says_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"no node has a numeric 'pagerank'.*mode='mutate'"):
        people().show_graph(size_by="pagerank")


def test_a_result_without_nodes_cannot_be_drawn() -> None:
    result = QueryResult(columns=["n"], column_types=["INT64"], rows=[[1]])
    with pytest.raises(ResultShapeError, match="RETURN whole nodes"):
        result.show_graph()


def test_max_nodes_keeps_the_first_nodes_and_says_so() -> None:
    g = nx.path_graph(10)
    picture = GraphView(g, max_nodes=4).picture
    assert [n.key for n in picture.nodes] == ["0", "1", "2", "3"]
    assert len(picture.edges) == 3
    assert picture.summary.startswith("showing 4 of 10 nodes and 3 of 9 relationships")


@pytest.mark.parametrize(
    ("option", "message"), [({"height": 50}, "height=50"), ({"max_nodes": 0}, "max_nodes=0")]
)
def test_bad_options_are_refused(option: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GraphView(nx.path_graph(3), **option)  # type: ignore[arg-type]


def test_layout_is_repeatable_spread_and_pulls_neighbours_together() -> None:
    g = nx.barbell_graph(8, 0)  # two cliques joined by one edge
    nodes, edges = list(g.nodes), list(g.edges)
    first = force_layout(nodes, edges)
    assert first == force_layout(nodes, edges)
    xs, ys = zip(*first.values(), strict=True)
    assert min(xs) == min(ys) == 0.0 and max(xs) == max(ys) == 1.0

    def spread(group: range) -> float:
        points = [first[i] for i in group]
        return max(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a in points for b in points)

    left, right = range(8), range(8, 16)
    centre = [sum(first[i][k] for i in group) / 8 for group in (left, right) for k in (0, 1)]
    between = abs(centre[0] - centre[2]) + abs(centre[1] - centre[3])
    assert spread(left) < between and spread(right) < between


def test_layout_refuses_more_nodes_than_it_can_hold() -> None:
    with pytest.raises(ValueError, match=f"at most {MAX_LAYOUT_NODES}"):
        force_layout(list(range(MAX_LAYOUT_NODES + 1)), [])
    assert force_layout([], []) == {}
    assert force_layout(["only"], []) == {"only": (0.5, 0.5)}


def test_static_picture_escapes_property_values() -> None:
    g = nx.Graph()
    g.add_node("x", _label="Person", name='<script>alert("x")</script>')
    html = show_graph(g).to_html()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_static_picture_draws_every_node_and_relationship(tmp_path: Any) -> None:
    view = people().show_graph(color_by="team", size_by="score")
    html = view.to_html()
    assert html.count("<circle") == 3 and html.count("<line") == 2
    assert re.search(r"<title>Ann\nlabel: Person\nname: Ann\nscore: 3.0\nteam: red</title>", html)
    assert "team red (2)" in html and "team blue (1)" in html
    page = view.save_html(tmp_path / "people.html")
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert view.to_html() in page.read_text(encoding="utf-8")


def test_outside_a_kernel_the_bundle_is_the_static_picture() -> None:
    view = people().show_graph()
    bundle = view._repr_mimebundle_()
    assert WIDGET_MIME not in bundle
    assert bundle["text/html"] == view.to_html()
    assert bundle["text/plain"] == "<GraphView: 3 nodes, 2 relationships; colour: label>"


def test_the_widget_carries_the_same_picture() -> None:
    view = people().show_graph(color_by="team", size_by="score")
    widget = view.widget()
    assert widget.height == f"{view.height}px"
    assert set(widget.get_layout()) == {"0:0", "0:1", "0:2"}
    x, y = view.positions["0:0"]
    assert widget.get_layout()["0:0"] == {"x": x * 1000.0, "y": (1.0 - y) * 1000.0}


def test_relationships_of_a_directed_graph_end_in_arrows_at_the_rim() -> None:
    directed = people().show_graph().to_html()  # to_networkx() is a MultiDiGraph
    assert directed.count("marker-end=") == 2 and directed.count("<marker ") == 1
    undirected = show_graph(nx.path_graph(3)).to_html()
    assert "marker" not in undirected

    view = show_graph(nx.DiGraph([("a", "b")]))
    line = re.search(r'<line [^>]*x2="([\d.]+)" y2="([\d.]+)"', view.to_html())
    assert line is not None
    x2, y2 = map(float, line.groups())
    target = re.search(r'<circle [^>]*cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"[^>]*>\s*'
                       r"<title>b", view.to_html())  # fmt: skip
    assert target is not None
    cx, cy, r = map(float, target.groups())
    gap = ((x2 - cx) ** 2 + (y2 - cy) ** 2) ** 0.5
    assert gap == pytest.approx(r + 1.0, abs=0.2), "the arrow ends at the target's rim"
