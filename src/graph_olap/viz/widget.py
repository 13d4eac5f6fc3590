"""The interactive picture: an ipysigma widget built from a :class:`Picture`.

ipysigma (0.24.6, its latest release) keeps node positions in a widget attribute named
``layout``: the name ipywidgets gives every widget's CSS layout (an ``ipywidgets.Layout``
model). ipywidgets' view makes a child view of whatever ``layout`` holds, and a dict of
positions is no model: the browser console shows ``Uncaught (in promise) TypeError:
Cannot read properties of undefined (reading 'then')`` for every widget displayed.

The widget made here gives ``layout`` back its ipywidgets meaning (an empty ``Layout``)
and hands ipysigma the positions as the nodes' ``x`` and ``y`` attributes, which it reads
when no positions are given. ipysigma's script looks each node key up in ``layout``; a
key that could name a property of the ``Layout`` model (a JavaScript identifier such as
``get`` or ``name``) would find one, so graphs with such keys keep ipysigma's own
``layout`` and the console error. Cypher results never have them: their keys are
``table:offset``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Mapping
from typing import Any

from graph_olap.utils.optional import import_optional
from graph_olap.viz.picture import DEFAULT_RADIUS, OTHER_COLOR, RADIUS, Picture

__all__ = ["make_widget", "positions_as_node_attributes"]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")

SCALE = 1000.0
"""The layout's unit square as the widget gets it (sigma.js rescales it anyway)."""


def positions_as_node_attributes(picture: Picture) -> bool:
    """Whether the widget can take positions as node attributes (every node key is safe
    to look up in ipywidgets' ``Layout`` model: no key is a JavaScript identifier).

    Example:
        >>> positions_as_node_attributes(picture)  # keys such as "0:12"
        True
    """
    return not any(_IDENTIFIER.fullmatch(node.key) for node in picture.nodes)


def make_widget(
    picture: Picture,
    positions: Mapping[Hashable, tuple[float, float]],
    *,
    height: int,
    padding: int,
) -> Any:
    """An ``ipysigma.Sigma`` widget of ``picture``: nodes at ``positions`` (unit square,
    y down), legend panel collapsed, the graph inset by ``padding`` pixels.

    Example:
        >>> w = make_widget(picture, {"0:0": (0.0, 0.0), "0:1": (1.0, 1.0)}, height=400,
        ...                 padding=40)
        >>> w.get_layout()["0:1"]
        {'x': 1000.0, 'y': 0.0}
    """
    nx = import_optional("networkx", extra="notebook")
    # the widget's header names the graph type: "Directed Graph", "Undirected Graph",
    # with "Multi" only when two relationships join the same pair
    if picture.parallel:
        graph = nx.MultiDiGraph() if picture.directed else nx.MultiGraph()
    else:
        graph = nx.DiGraph() if picture.directed else nx.Graph()
    # sigma.js's y grows upwards
    layout = {key: {"x": x * SCALE, "y": (1.0 - y) * SCALE} for key, (x, y) in positions.items()}
    as_attributes = positions_as_node_attributes(picture)
    # the colour attribute as text, so the widget's legend names it ("community") and its
    # categories match the palette's keys
    colour = "label" if picture.color_by == "_label" else picture.color_by
    for node in picture.nodes:
        place = layout.get(node.key, {}) if as_attributes else {}
        graph.add_node(node.key, **{**node.attributes, colour: node.category, **place})
    for edge in picture.edges:
        graph.add_edge(edge.source, edge.target, **edge.attributes)
    options: dict[str, Any] = {
        "height": height,
        "hide_info_panel": True,  # its 260-pixel strip would cover nodes
        "node_color": colour,
        "node_color_palette": {category: color for category, color, _ in picture.legend},
        "default_node_color": OTHER_COLOR,
        "node_label": {node.key: node.caption for node in picture.nodes},
    }
    if picture.size_by:
        options["node_size"] = picture.size_by
        options["node_size_range"] = RADIUS
    else:
        options["default_node_size"] = DEFAULT_RADIUS
    if as_attributes:
        widget = _sigma_class()(graph, **options)
        widget.layout = import_optional("ipywidgets", extra="notebook").Layout()
    else:
        widget = import_optional("ipysigma", extra="notebook").Sigma(
            graph, layout=layout, **options
        )
    widget.renderer_settings = {**widget.renderer_settings, "stagePadding": padding}
    return widget


@functools.cache
def _sigma_class() -> Any:
    """``ipysigma.Sigma`` whose ``layout`` may be an ``ipywidgets.Layout`` again."""
    ipysigma = import_optional("ipysigma", extra="notebook")
    widgets = import_optional("ipywidgets", extra="notebook")
    traitlets = import_optional("traitlets", extra="notebook")

    class Sigma(ipysigma.Sigma):  # type: ignore[misc,name-defined]
        """ipysigma's widget with ipywidgets' ``layout`` (see the module docstring)."""

        layout = traitlets.Union(
            [traitlets.Instance(widgets.Layout), traitlets.Dict()], allow_none=True
        ).tag(sync=True, **widgets.widget_serialization)

        def get_layout(self) -> dict[Any, dict[str, float]]:
            """Node positions: ipysigma's once its browser layout ran, else the nodes'."""
            if isinstance(self.layout, dict):
                return dict(super().get_layout())
            return {
                key: {"x": data["x"], "y": data["y"]}
                for key, data in self.graph.nodes(data=True)
                if "x" in data and "y" in data
            }

    return Sigma
