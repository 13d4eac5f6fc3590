"""The static picture: inline SVG with a legend, for where widgets do not render.

nbconvert without widget state, GitHub and nbviewer show ``text/html`` but run no
widget code, and some strip ``<style>``: everything here is styled inline. Hovering a
node shows its properties (an SVG ``<title>``, the browser's own tooltip).
"""

from __future__ import annotations

import html
import math
from collections.abc import Hashable, Mapping

from graph_olap.viz.picture import CAPTION_CHAR_WIDTH, OTHER, Picture

__all__ = ["WIDTH", "legend_html", "render_svg", "summary_html"]

WIDTH = 860
MARGIN = 8
"""Space between the picture's edge and the rim of the outermost nodes (pixels)."""
CAPTIONS = 25
"""How many of the largest (then best connected) nodes get their caption written beside
them, when captions come from a property."""

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:12px"


def render_svg(
    picture: Picture, positions: Mapping[Hashable, tuple[float, float]], *, height: int
) -> str:
    """An HTML fragment: the summary line, the SVG picture and the legend.

    ``positions`` maps node keys (as in ``picture.nodes``) to points in the unit square.

    Example:
        >>> html = render_svg(picture, {"a": (0.0, 0.0), "b": (1.0, 1.0)}, height=400)
        >>> html.count("<circle")
        2
    """
    # every node's rim stays MARGIN inside the picture, whatever its radius
    inset = MARGIN + max((node.radius for node in picture.nodes), default=0.0)
    inner_w, inner_h = WIDTH - 2 * inset, height - 2 * inset

    def point(key: str) -> tuple[float, float]:
        x, y = positions.get(key, (0.5, 0.5))
        return inset + x * inner_w, inset + y * inner_h

    radius = {node.key: node.radius for node in picture.nodes}
    marker = f"go-arrow-{id(picture):x}"  # unique per picture: pages hold several
    parts = [
        f'<svg class="go-graph-svg" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px;'
        f'height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fff">',
        f"<title>{_esc(picture.summary)}</title>",
    ]
    if picture.directed:
        parts.append(
            f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z" fill="#9aa4ae"/></marker></defs>'
        )
    arrow = f' marker-end="url(#{marker})"' if picture.directed else ""
    parts.append('<g stroke="#9aa4ae" stroke-opacity="0.55" stroke-width="1">')
    for edge in picture.edges:
        (x1, y1), (x2, y2) = point(edge.source), point(edge.target)
        if picture.directed:  # end at the target's rim, where the arrow shows
            x2, y2 = _towards(x2, y2, x1, y1, radius.get(edge.target, 0.0) + 1.0)
        tip = _tooltip(edge.type or "relationship", edge.attributes, skip="type")
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"{arrow}>'
            f"<title>{tip}</title></line>"
        )
    parts.append('</g><g stroke="#ffffff" stroke-width="1">')
    for node in sorted(picture.nodes, key=lambda n: n.radius):  # big ones on top
        x, y = point(node.key)
        tip = _tooltip(node.caption, node.attributes)
        parts.append(
            f'<circle class="go-graph-node" cx="{x:.1f}" cy="{y:.1f}" r="{node.radius:.1f}" '
            f'fill="{node.color}" data-label="{_esc(node.label)}"><title>{tip}</title></circle>'
        )
    parts.append(f'</g><g style="{_FONT};fill:#24292f">')
    degree: dict[str, int] = {}
    for edge in picture.edges:
        degree[edge.source] = degree.get(edge.source, 0) + 1
        degree[edge.target] = degree.get(edge.target, 0) + 1
    captioned = picture.nodes if picture.captioned else []
    for node in sorted(captioned, key=lambda n: (-n.radius, -degree.get(n.key, 0)))[:CAPTIONS]:
        x, y = point(node.key)
        right = x + node.radius + 2
        if right + len(node.caption) * CAPTION_CHAR_WIDTH <= WIDTH - MARGIN:
            where = f'x="{right:.1f}"'
        else:  # it would leave the picture: write it on the left of the node
            where = f'x="{x - node.radius - 2:.1f}" text-anchor="end"'
        # a node on the top or bottom edge keeps its caption's 12-pixel line inside
        baseline = min(max(y + 4, 12.0), height - 4)
        parts.append(f'<text {where} y="{baseline:.1f}">{_esc(node.caption)}</text>')
    parts.append("</g></svg>")
    return (
        f'<div class="go-graph" style="{_FONT};color:#24292f">'
        f"{summary_html(picture)}"
        f"{''.join(parts)}{legend_html(picture)}</div>"
    )


def _towards(x: float, y: float, to_x: float, to_y: float, by: float) -> tuple[float, float]:
    """The point ``by`` pixels from (x, y) towards (to_x, to_y) (itself if closer)."""
    dx, dy = to_x - x, to_y - y
    length = math.hypot(dx, dy)
    if length <= by:
        return x, y
    return x + dx * by / length, y + dy * by / length


def summary_html(picture: Picture) -> str:
    """The summary line above the picture (what is shown, how it is encoded).

    Example:
        >>> summary_html(picture)
        '<div class="go-graph-summary" style="margin:4px 0">3 nodes, 2 relationships; ...</div>'
    """
    return f'<div class="go-graph-summary" style="margin:4px 0">{_esc(picture.summary)}</div>'


def legend_html(picture: Picture) -> str:
    """The legend: a coloured dot, the category and its node count, for each colour.

    Example:
        >>> legend_html(picture)
        '<div class="go-graph-legend" ...>...Person (2)</span></div>'
    """
    prefix = "" if picture.color_by == "_label" else f"{picture.color_by} "

    def named(category: str) -> str:
        return category if category == OTHER else prefix + category

    items = "".join(
        f'<span style="display:inline-block;margin-right:14px">'
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{color};margin-right:4px"></span>{_esc(named(category))} ({count:,})</span>'
        for category, color, count in picture.legend
    )
    return f'<div class="go-graph-legend" style="margin:6px 0">{items}</div>'


def _tooltip(title: str, attributes: Mapping[str, object], *, skip: str = "") -> str:
    lines = [title] + [f"{name}: {value}" for name, value in attributes.items() if name != skip]
    return _esc("\n".join(lines))


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)
