"""GraphView: a graph picture that shows itself in a notebook.

In a Jupyter kernel with ``ipysigma`` installed it displays as an interactive sigma.js
widget (WebGL: pan, zoom, search, hover for properties) between the summary line and the
legend; its display also carries a static SVG picture (:mod:`graph_olap.viz.svg`) for
where widgets do not render (nbconvert without widget state, GitHub, nbviewer). Both use
the same layout, colours and sizes (:mod:`graph_olap.viz.picture`).

ipysigma's own legend panel covers a 260-pixel strip at the right of its canvas; it starts
collapsed (its "show info" link opens it, with node details on click) and the legend is
written under the canvas instead, as in the static picture. The graph is drawn inside the
padding :func:`graph_olap.viz.frame.stage_padding` finds, clear of the remaining buttons.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from graph_olap._jupyter import in_jupyter_kernel
from graph_olap.utils.optional import import_optional
from graph_olap.viz.frame import best_orientation, stage_padding
from graph_olap.viz.layout import MAX_LAYOUT_NODES, force_layout
from graph_olap.viz.picture import Picture, build_picture
from graph_olap.viz.svg import legend_html, render_svg, summary_html
from graph_olap.viz.widget import make_widget

__all__ = ["MIN_HEIGHT", "GraphView", "show_graph"]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
MIN_HEIGHT = 250
"""The lowest picture ipysigma draws (pixels)."""


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
        height: Height of the picture in pixels (at least 250).
        max_nodes: Draw at most this many nodes (the first ones), and the relationships
            between them; the summary line says how many were left out.
        directed: Draw relationships as arrows (True) or as plain lines (False, for
            relationships whose direction means nothing, such as co-appearances or
            friendships). None, the default, follows the graph: Cypher results are
            directed.

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
        directed: bool | None = None,
    ) -> None:
        if height < MIN_HEIGHT:
            raise ValueError(
                f"height={height}: give at least {MIN_HEIGHT} pixels (the interactive "
                "picture's buttons need them)"
            )
        if max_nodes < 1:
            raise ValueError(f"max_nodes={max_nodes}: draw at least one node")
        self.picture: Picture = build_picture(
            graph,
            color_by=color_by,
            size_by=size_by,
            label_by=label_by,
            max_nodes=min(max_nodes, MAX_LAYOUT_NODES),
            directed=directed,
        )
        self.height = height

    def __repr__(self) -> str:
        return f"<GraphView: {self.picture.summary}>"

    @functools.cached_property
    def positions(self) -> dict[Hashable, tuple[float, float]]:
        """Each node's place in the unit square, y growing downwards (computed once, the
        same every time): the force layout, turned so that its emptiest corners lie
        under the interactive picture's buttons."""
        picture = self.picture
        layout = force_layout(
            [node.key for node in picture.nodes],
            [(edge.source, edge.target) for edge in picture.edges],
        )
        return best_orientation(picture, layout, height=self.height)

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

    @functools.cached_property
    def padding(self) -> int:
        """The widget's padding around the graph (pixels): the smallest that keeps every
        node and caption inside the canvas and clear of the widget's buttons, in outputs
        at least :data:`graph_olap.viz.frame.MIN_WIDTH` wide."""
        return stage_padding(self.picture, self.positions, height=self.height)

    def widget(self) -> Any:
        """The interactive ``ipysigma.Sigma`` widget for this picture (needs the
        ``notebook`` extra), its legend panel collapsed. Each call makes a new widget.

        Example:
            >>> w = view.widget()
            >>> w           # shows it; w.get_layout() reads positions back after dragging
        """
        return make_widget(self.picture, self.positions, height=self.height, padding=self.padding)

    def display_widget(self) -> Any:
        """What a notebook shows: the summary line, :meth:`widget` and the legend, one
        under the other (an ``ipywidgets.VBox``).

        Example:
            >>> box = view.display_widget()
            >>> [type(child).__name__ for child in box.children]
            ['HTML', 'Sigma', 'HTML']
        """
        widgets = import_optional("ipywidgets", extra="notebook")
        sigma = self.widget()
        summary = widgets.HTML(summary_html(self.picture))
        return widgets.VBox([summary, sigma, widgets.HTML(legend_html(self.picture))])

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget (inside a Jupyter kernel, when ipysigma is installed) with the static
        picture and a text summary beside it, for front ends that cannot show widgets."""
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": self.to_html()}
        if in_jupyter_kernel():
            try:
                widget_bundle = self.display_widget()._repr_mimebundle_()
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
    directed: bool | None = None,
) -> GraphView:
    """A :class:`GraphView` of a NetworkX graph (arguments as for :class:`GraphView`).

    Example:
        >>> from graph_olap.viz import show_graph
        >>> g = conn.query("MATCH (a)-[r]->(b) RETURN a, r, b").to_networkx()
        >>> show_graph(g, size_by="pagerank", directed=False)
    """
    return GraphView(
        graph,
        color_by=color_by,
        size_by=size_by,
        label_by=label_by,
        height=height,
        max_nodes=max_nodes,
        directed=directed,
    )
