"""GraphView: a graph picture that shows itself in a notebook.

In a Jupyter kernel with ``ipysigma`` installed it displays as an interactive sigma.js
widget (WebGL: pan, zoom, search, hover for properties, legend); its display also carries
a static SVG picture (:mod:`graph_olap.viz.svg`) for where widgets do not render
(nbconvert without widget state, GitHub, nbviewer). Both use the same layout, colours and
sizes (:mod:`graph_olap.viz.picture`).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from graph_olap.progress_widget import in_jupyter_kernel
from graph_olap.utils.optional import import_optional
from graph_olap.viz.layout import MAX_LAYOUT_NODES, force_layout
from graph_olap.viz.picture import OTHER_COLOR, RADIUS, Picture, build_picture
from graph_olap.viz.svg import render_svg

__all__ = ["GraphView", "show_graph"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class GraphView:
    """A picture of a graph: nodes coloured by a category, sized by a number.

    Build it with ``result.show_graph(...)`` (a Cypher result holding nodes and
    relationships) or :func:`show_graph` (any NetworkX graph). It displays itself as the
    last expression of a notebook cell.

    Args:
        graph: A NetworkX graph; node attribute ``_label`` is the node label, as
            ``QueryResult.to_networkx()`` makes it.
        color_by: Node attribute whose values pick the colour: ``"label"`` (the default,
            the Cypher label) or any property, e.g. a community id.
        size_by: Numeric node attribute that sets the size, e.g. a PageRank score; None
            draws every node the same size.
        label_by: Node attribute written as the node's caption; by default ``name`` (or
            ``title``) when nodes have one, else the label and id.
        height: Height of the picture in pixels.
        max_nodes: Draw at most this many nodes (the first ones), and the relationships
            between them; the summary line says how many were left out.

    Example:
        >>> view = conn.query("MATCH (a)-[r]->(b) RETURN a, r, b").show_graph(
        ...     color_by="community", size_by="pagerank")
        >>> view            # the interactive picture, as a cell's last expression
        >>> view.save_html("graph.html")   # a static copy to share
    """

    def __init__(
        self,
        graph: Any,
        *,
        color_by: str = "label",
        size_by: str | None = None,
        label_by: str | None = None,
        height: int = 500,
        max_nodes: int = MAX_LAYOUT_NODES,
    ) -> None:
        if height < 100:
            raise ValueError(f"height={height}: give at least 100 pixels")
        if max_nodes < 1:
            raise ValueError(f"max_nodes={max_nodes}: draw at least one node")
        self.picture: Picture = build_picture(
            graph,
            color_by=color_by,
            size_by=size_by,
            label_by=label_by,
            max_nodes=min(max_nodes, MAX_LAYOUT_NODES),
        )
        self.height = height

    def __repr__(self) -> str:
        return f"<GraphView: {self.picture.summary}>"

    @functools.cached_property
    def positions(self) -> dict[Hashable, tuple[float, float]]:
        """Each node's place in the unit square (computed once, the same every time)."""
        picture = self.picture
        return force_layout(
            [node.key for node in picture.nodes],
            [(edge.source, edge.target) for edge in picture.edges],
        )

    def to_html(self) -> str:
        """The static picture as an HTML fragment (inline SVG, legend, summary line).

        Example:
            >>> fragment = view.to_html()
            >>> "<svg" in fragment
            True
        """
        return render_svg(self.picture, self.positions, height=self.height)

    def save_html(self, path: str | Path) -> Path:
        """Write the static picture as a standalone HTML page and return its path.

        Example:
            >>> view.save_html("karate.html")
            PosixPath('karate.html')
        """
        target = Path(path)
        target.write_text(
            '<!doctype html><html><head><meta charset="utf-8"><title>Graph</title></head>'
            f"<body>{self.to_html()}</body></html>",
            encoding="utf-8",
        )
        return target

    def widget(self) -> Any:
        """The interactive ``ipysigma.Sigma`` widget for this picture (needs the
        ``notebook`` extra). Each call makes a new widget.

        Example:
            >>> w = view.widget()
            >>> w           # shows it; w.get_layout() reads positions back after dragging
        """
        sigma = import_optional("ipysigma", extra="notebook")
        nx = import_optional("networkx", extra="notebook")
        picture = self.picture
        graph = nx.MultiDiGraph() if picture.directed else nx.MultiGraph()
        # the colour attribute as text, so the widget's legend names it ("community") and
        # its categories match the palette's keys
        colour = "label" if picture.color_by == "_label" else picture.color_by
        for node in picture.nodes:
            graph.add_node(node.key, **{**node.attributes, colour: node.category})
        for edge in picture.edges:
            graph.add_edge(edge.source, edge.target, **edge.attributes)
        palette = {category: color for category, color, _ in picture.legend}
        options: dict[str, Any] = {
            "height": self.height,
            "node_color": colour,
            "node_color_palette": palette,
            "default_node_color": OTHER_COLOR,
            "node_label": {node.key: node.caption for node in picture.nodes},
            "layout": {
                key: {"x": x * 1000.0, "y": (1.0 - y) * 1000.0}
                for key, (x, y) in self.positions.items()
            },
        }
        if picture.size_by:
            options["node_size"] = picture.size_by
            options["node_size_range"] = RADIUS
        return sigma.Sigma(graph, **options)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> dict[str, Any]:
        """The widget (inside a Jupyter kernel, when ipysigma is installed) with the static
        picture and a text summary beside it, for front ends that cannot show widgets."""
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self.to_html()}
        if in_jupyter_kernel():
            try:
                widget_bundle = self.widget()._repr_mimebundle_()
            except ImportError:
                return bundle
            if isinstance(widget_bundle, Mapping) and WIDGET_MIME in widget_bundle:
                bundle[WIDGET_MIME] = widget_bundle[WIDGET_MIME]
        return bundle


def show_graph(
    graph: Any,
    *,
    color_by: str = "label",
    size_by: str | None = None,
    label_by: str | None = None,
    height: int = 500,
    max_nodes: int = MAX_LAYOUT_NODES,
) -> GraphView:
    """A :class:`GraphView` of a NetworkX graph (arguments as for :class:`GraphView`).

    Example:
        >>> from graph_olap.viz import show_graph
        >>> g = conn.query("MATCH (a)-[r]->(b) RETURN a, r, b").to_networkx()
        >>> show_graph(g, size_by="pagerank")
    """
    return GraphView(
        graph,
        color_by=color_by,
        size_by=size_by,
        label_by=label_by,
        height=height,
        max_nodes=max_nodes,
    )
