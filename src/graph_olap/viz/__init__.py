"""Graph pictures for notebooks: ``result.show_graph(...)`` and :func:`show_graph`.

See ``docs/visualization.md``.
"""

from graph_olap.viz.view import GraphView, show_graph

__all__ = ["GraphView", "show_graph"]
