"""Where the interactive picture draws each node, and the padding that keeps every node
and caption clear of the widget's own panels.

The ipysigma widget lays buttons and panels over its canvas: the graph description and
zoom buttons at the top left, the search box and the "show info" link at the top right
(the legend panel itself is collapsed, see :mod:`graph_olap.viz.view`), the download
buttons at the bottom right. sigma.js fits the layout's unit square into the canvas: a
square of side ``min(width, height) - 2 * padding``, centred. A larger padding draws the
graph smaller, further from the edges and the panels; :func:`stage_padding` finds the
smallest padding at which nothing is covered.

The output's width is not known in Python (it is the browser's). Panels hang from the
left and right edges while the graph stays centred, so a wider output only moves them
further from the graph: a padding that works at :data:`MIN_WIDTH` works at any width
from there up.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from graph_olap.utils.optional import import_optional
from graph_olap.viz.picture import CAPTION_CHAR_WIDTH, Picture

__all__ = [
    "LABEL_FONT_SIZE",
    "MIN_PADDING",
    "MIN_WIDTH",
    "Box",
    "best_orientation",
    "node_boxes",
    "panel_boxes",
    "stage_padding",
]

MIN_WIDTH = 720
"""The narrowest output (pixels) the padding is computed for: JupyterLab's notebook in a
1,280-pixel window with its file browser open leaves about 850."""

MIN_PADDING = 24
"""Padding around the graph even where no panel is near (pixels)."""

LABEL_FONT_SIZE = 12
"""ipysigma's caption size (pixels): captions are drawn right of the node, 3 px away."""

_STEP = 4

# The panels of ipysigma 0.24 with the legend collapsed, measured in JupyterLab 4.6 in
# Chromium (width and height from the widget's corner, measured + slack for other fonts):
_LEFT_PANEL = (170, 204)  # "Multi Undirected Graph" box and three rows of buttons: 156 x 197
_SEARCH = (266, 62)  # the search box, top right: 261 x 55
_SHOW_INFO = (86, 102)  # the "show info" link under it, right-aligned: 72 x 86
_DOWNLOADS = (196, 40)  # png / svg / gexf / json buttons, bottom right: 181 x 30


@dataclass(frozen=True)
class Box:
    """A rectangle in widget pixels, ``left <= x <= right`` and ``top <= y <= bottom``."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any point.

        Example:
            >>> Box(0, 0, 10, 10).overlaps(Box(5, 5, 20, 20))
            True
        """
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def inside(self, other: Box) -> bool:
        """Whether this rectangle lies wholly within ``other``.

        Example:
            >>> Box(1, 1, 2, 2).inside(Box(0, 0, 10, 10))
            True
        """
        return (
            self.left >= other.left
            and self.top >= other.top
            and self.right <= other.right
            and self.bottom <= other.bottom
        )


def panel_boxes(width: float, height: float) -> list[Box]:
    """The widget's own panels in a widget of this size, as ipysigma places them.

    Example:
        >>> [b.right for b in panel_boxes(800, 500)]
        [170, 800, 800, 800]
    """
    (left_w, left_h), (search_w, search_h) = _LEFT_PANEL, _SEARCH
    (info_w, info_h), (down_w, down_h) = _SHOW_INFO, _DOWNLOADS
    return [
        Box(0, 0, left_w, left_h),
        Box(width - search_w, 0, width, search_h),
        Box(width - info_w, 0, width, info_h),
        Box(width - down_w, height - down_h, width, height),
    ]


def node_boxes(
    picture: Picture,
    positions: Mapping[Hashable, tuple[float, float]],
    *,
    width: float,
    height: float,
    padding: float,
) -> dict[str, list[Box]]:
    """Each node's disc and caption, in the pixels of a widget of this size.

    ``positions`` are in the unit square with y growing downwards (as
    :func:`~graph_olap.viz.layout.force_layout` gives them); the widget gets y flipped,
    since sigma.js's y grows upwards.

    Example:
        >>> boxes = node_boxes(picture, {"a": (0.5, 0.5)}, width=800, height=500,
        ...                    padding=50)
        >>> boxes["a"][0]  # the disc of a 6-pixel node in the middle
        Box(left=394.0, top=244.0, right=406.0, bottom=256.0)
    """
    disc, caption = _boxes(picture, positions, width=width, height=height, paddings=[padding])
    return {
        node.key: [Box(*(float(side[0, i]) for side in box)) for box in (disc, caption)]
        for i, node in enumerate(picture.nodes)
    }


def stage_padding(
    picture: Picture,
    positions: Mapping[Hashable, tuple[float, float]],
    *,
    height: int,
    width: int = MIN_WIDTH,
) -> int:
    """The smallest padding (pixels) at which every node and caption lies inside the
    canvas and clear of the widget's panels, in a widget ``width`` by ``height``.

    When even the largest padding (a graph drawn in a quarter of the height) cannot keep
    them clear, that largest padding.

    Example:
        >>> stage_padding(picture, view.positions, height=500)
        56
    """
    np: Any = import_optional("numpy", extra="notebook")
    paddings = list(range(MIN_PADDING, _largest(width, height), _STEP))
    if not picture.nodes or not paddings:
        return MIN_PADDING
    boxes = _boxes(picture, positions, width=width, height=height, paddings=paddings)
    clear = np.ones(len(paddings), dtype=bool)
    for left, top, right, bottom in boxes:
        inside = (left >= 0) & (top >= 0) & (right <= width) & (bottom <= height)
        clear &= inside.all(axis=1)
        for panel in panel_boxes(width, height):
            hit = (
                (left < panel.right)
                & (panel.left < right)
                & (top < panel.bottom)
                & (panel.top < bottom)
            )
            clear &= ~hit.any(axis=1)
    found = np.flatnonzero(clear)
    return paddings[int(found[0])] if len(found) else _largest(width, height)


def best_orientation(
    picture: Picture,
    positions: Mapping[Hashable, tuple[float, float]],
    *,
    height: int,
    width: int = MIN_WIDTH,
) -> dict[Hashable, tuple[float, float]]:
    """``positions`` turned or mirrored (one of the square's 8 symmetries) so that the
    widget needs the least padding: a force layout means the same whichever way round,
    so its empty corners can go where the widget's panels are.

    Example:
        >>> turned = best_orientation(picture, view.positions, height=500)
        >>> sorted(turned) == sorted(view.positions)
        True
    """
    best: dict[Hashable, tuple[float, float]] = dict(positions)
    least = stage_padding(picture, best, height=height, width=width)
    for symmetry in _SYMMETRIES[1:]:
        turned = {key: symmetry(x, y) for key, (x, y) in positions.items()}
        padding = stage_padding(picture, turned, height=height, width=width)
        if padding < least:
            best, least = turned, padding
    return best


def _boxes(
    picture: Picture,
    positions: Mapping[Hashable, tuple[float, float]],
    *,
    width: float,
    height: float,
    paddings: list[int] | list[float],
) -> tuple[tuple[Any, Any, Any, Any], tuple[Any, Any, Any, Any]]:
    """(left, top, right, bottom) of each node's disc and of its caption, as arrays with
    a row per padding and a column per node.

    sigma.js draws the unit square as a centred square of side ``min(width, height) - 2 *
    padding``, a node's disc with its radius in pixels and its caption from 3 pixels
    right of the disc, the baseline a third of the font size below the centre.
    """
    np: Any = import_optional("numpy", extra="notebook")
    nodes = picture.nodes
    u, v = np.array([positions.get(n.key, (0.5, 0.5)) for n in nodes], dtype=float).reshape(-1, 2).T
    radius = np.array([n.radius for n in nodes], dtype=float)
    caption = np.array([len(n.caption) * CAPTION_CHAR_WIDTH for n in nodes], dtype=float)
    side = (min(width, height) - 2 * np.asarray(paddings, dtype=float))[:, None]
    x = width / 2 + (u - 0.5) * side
    y = height / 2 + (v - 0.5) * side
    start = x + radius + 3
    disc = (x - radius, y - radius, x + radius, y + radius)
    text = (start, y - LABEL_FONT_SIZE * 2 / 3, start + caption, y + LABEL_FONT_SIZE / 3 + 3)
    return disc, text


def _largest(width: float, height: float) -> int:
    return int(min(width, height) * 3 / 8)


_SYMMETRIES: tuple[Callable[[float, float], tuple[float, float]], ...] = (
    lambda x, y: (x, y),
    lambda x, y: (1 - x, y),
    lambda x, y: (x, 1 - y),
    lambda x, y: (1 - x, 1 - y),
    lambda x, y: (y, x),
    lambda x, y: (1 - y, x),
    lambda x, y: (y, 1 - x),
    lambda x, y: (1 - y, 1 - x),
)
