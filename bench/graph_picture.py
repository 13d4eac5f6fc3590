"""What a graph picture costs, against NetworkX's own layout.

``result.show_graph()`` lays the graph out in Python (``graph_olap.viz.layout``, one layout
for the widget and the static SVG) and renders the SVG. This times, on seeded random
graphs with 3 relationships per node:

* the layout alone vs ``networkx.spring_layout`` (the in-process alternative an analyst
  would reach for; same model, Fruchterman-Reingold), and the ratio ours / NetworkX;
* fitting the widget's frame (``graph_olap.viz.frame``: the layout's best orientation
  and the padding that keeps every node clear of the widget's buttons);
* the whole static picture (``GraphView(...).to_html()``: picture, layout, frame, SVG) and
  its size in bytes.

Run: ``.venv/bin/python bench/graph_picture.py [--sizes 100,300,1000]`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import networkx as nx

from graph_olap.viz import GraphView
from graph_olap.viz.frame import best_orientation, stage_padding
from graph_olap.viz.layout import force_layout


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def labelled(n: int) -> nx.MultiDiGraph:
    """A random directed graph as ``QueryResult.to_networkx()`` makes them."""
    base = nx.gnm_random_graph(n, 3 * n, seed=11, directed=True)
    graph = nx.MultiDiGraph()
    for node in base.nodes:
        graph.add_node(f"0:{node}", _label="Person", name=f"p{node}", score=float(node % 17))
    for src, dst in base.edges:
        graph.add_edge(f"0:{src}", f"0:{dst}", _label="KNOWS")
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="node counts, comma-separated")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, networkx {nx.__version__}")
    print(
        f"{'nodes':>6} {'edges':>6} {'ours s':>8} {'nx.spring s':>12} {'ratio':>7} "
        f"{'frame s':>8} {'picture s':>10} {'HTML KB':>8}"
    )
    force_layout(["a", "b"], [("a", "b")])  # imports and first-call costs out of the way
    nx.spring_layout(nx.path_graph(3), seed=7)
    for n in (int(size) for size in args.sizes.split(",")):
        graph = labelled(n)
        nodes, edges = list(graph.nodes), [(u, v) for u, v, _ in graph.edges]
        ours, layout = timed(lambda nodes=nodes, edges=edges: force_layout(nodes, edges))
        theirs, _ = timed(lambda graph=graph: nx.spring_layout(graph, seed=7))
        picture = GraphView(graph, size_by="score").picture

        def frame(picture: Any = picture, layout: Any = layout) -> int:
            turned = best_orientation(picture, layout, height=500)
            return stage_padding(picture, turned, height=500)

        fitted, _ = timed(frame)
        whole, html = timed(
            lambda graph=graph: GraphView(graph, color_by="label", size_by="score").to_html()
        )
        print(
            f"{n:>6} {graph.number_of_edges():>6} {ours:>8.2f} {theirs:>12.2f} "
            f"{ours / theirs:>6.2f}x {fitted:>8.3f} {whole:>10.2f} {len(html) / 1024:>8.0f}"
        )


if __name__ == "__main__":
    main()
