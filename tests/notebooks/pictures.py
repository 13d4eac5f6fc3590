"""Checks of a graph picture (the ipysigma widget) on a live page: the whole picture is
inside its output, and every node is drawn where it can be seen, not under the widget's
panels (legend, search, buttons) nor cut at the canvas edge.

Observed through the DOM (``.ipysigma-widget``, its ``canvas.sigma-nodes`` and the
``.ipysigma-left-panel`` / ``.ipysigma-right-panel`` overlays) and through pixels: the
panels are hidden for a moment and the canvas is photographed, so that nodes under them
show. Node pixels are the saturated ones (edges are grey, labels black or white).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageChops

EDGE_BAND = 2  # px at the canvas border that must stay free of nodes
SATURATED = 80  # HSV saturation of node colours (edges are grey)
DARK = 80  # HSV value of label text on a light background
MIN_PIXELS = 4  # fewer pixels than this is anti-aliasing, not a node
DRAW_TIMEOUT = 60.0  # against hangs only: sigma draws in well under a second

GEOMETRY = """widget => {
  const box = e => { const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, w: r.width, h: r.height, r: r.right, b: r.bottom}; };
  const inside = (a, b) => a.x >= b.x - 1 && a.y >= b.y - 1 && a.r <= b.r + 1 && a.b <= b.b + 1;
  const output = widget.closest('.jp-OutputArea-output');
  const canvas = widget.querySelector('canvas.sigma-nodes');
  const problems = [];
  if (!canvas) return {problems: ['no canvas drawn']};
  const c = box(canvas), w = box(widget), o = box(output);
  const at = b => '(' + [b.x, b.y, b.r, b.b].map(Math.round).join(', ') + ')';
  if (!inside(c, o)) problems.push(`the canvas ${at(c)} leaves its output ${at(o)}`);
  if (!inside(w, o)) problems.push(`the widget ${at(w)} leaves its output ${at(o)}`);
  for (const [area, name, within] of [[output, 'output', o], [widget, 'picture', w]]) {
    for (const el of area.querySelectorAll('*')) {
      const b = box(el), s = getComputedStyle(el);
      if (!b.w || !b.h || s.visibility !== 'visible' || s.display === 'none') continue;
      const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      if (text && !inside(b, within))
        problems.push(`"${el.textContent.trim().slice(0, 30)}" ${at(b)} outside the ${name}`);
    }
  }
  // the canvas as seen: inside the widget's border (sigma's canvas may overhang it)
  const inner = {x: w.x + widget.clientLeft, y: w.y + widget.clientTop};
  const view = {x: Math.max(c.x, inner.x), y: Math.max(c.y, inner.y),
    r: Math.min(c.r, inner.x + widget.clientWidth),
    b: Math.min(c.b, inner.y + widget.clientHeight)};
  // what the panels paint over the canvas: boxes with a background or a border
  const panels = [];
  for (const el of widget.querySelectorAll(
      '.ipysigma-left-panel *, .ipysigma-right-panel *, .ipysigma-download-controls *')) {
    const b = box(el), s = getComputedStyle(el);
    if (!b.w || !b.h || s.visibility !== 'visible') continue;
    const painted = !/rgba\\(.*,\\s*0\\)|transparent/.test(s.backgroundColor)
      || parseFloat(s.borderTopWidth) > 0;
    if (painted) panels.push({name: String(el.className).split(' ')[0] || el.tagName,
      x: b.x - view.x, y: b.y - view.y, r: b.r - view.x, b: b.b - view.y});
  }
  return {problems, panels, view};
}"""

HIDE_PANELS = """(widget, hidden) => widget.querySelectorAll(
  '.ipysigma-left-panel, .ipysigma-right-panel, .ipysigma-download-controls')
  .forEach(p => { p.style.visibility = hidden ? 'hidden' : ''; })"""


@dataclass
class GraphPicture:
    """An ipysigma widget on a live JupyterLab page."""

    page: Any
    widget: Any

    @property
    def output(self) -> Any:
        return self.widget.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')]")

    def problems(self) -> list[str]:
        """What is wrong with the picture; empty when every node can be seen."""
        self.widget.scroll_into_view_if_needed()
        found = self.widget.evaluate(GEOMETRY)
        problems: list[str] = list(found["problems"])
        if problems and problems[0] == "no canvas drawn":
            return problems
        self.widget.evaluate(HIDE_PANELS, True)
        try:
            image = self._drawn(found["view"])
        finally:
            self.widget.evaluate(HIDE_PANELS, False)
        ink = ink_mask(image)
        if not count(ink, (0, 0, *ink.size)):
            return [*problems, "no node drawn"]
        for panel in found["panels"]:
            box = tuple(round(panel[k]) for k in ("x", "y", "r", "b"))
            hidden = count(ink, box)
            if hidden >= MIN_PIXELS:
                problems.append(f"{hidden} node pixels under the widget's {panel['name']} {box}")
        width, height = ink.size
        bands = {
            "top": (0, 0, width, EDGE_BAND),
            "bottom": (0, height - EDGE_BAND, width, height),
            "left": (0, 0, EDGE_BAND, height),
            "right": (width - EDGE_BAND, 0, width, height),
        }
        for side, band in bands.items():
            if count(ink, band) >= MIN_PIXELS:
                problems.append(f"nodes cut at the {side} edge of the canvas")
        return problems

    def _drawn(self, view: dict[str, float]) -> Any:
        """The canvas once sigma has drawn it (two identical photographs in a row, with
        nodes), its whole pixels inside the widget's border (``view``, page coordinates)."""
        left, top = math.ceil(view["x"]), math.ceil(view["y"])
        right, bottom = math.floor(view["r"]), math.floor(view["b"])
        clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        deadline = time.monotonic() + DRAW_TIMEOUT
        before = self.page.screenshot(clip=clip)
        while True:
            self.page.wait_for_timeout(100)  # next animation frames
            after = self.page.screenshot(clip=clip)
            image = Image.open(io.BytesIO(after)).convert("RGB")
            if after == before and count(ink_mask(image), (0, 0, *image.size)):
                return image
            if time.monotonic() > deadline:  # nothing drawn: problems() says so
                assert after == before, f"the picture still changes after {DRAW_TIMEOUT:g} s"
                return image
            before = after


def until(page: Any, check: Callable[[], bool], timeout: float = DRAW_TIMEOUT) -> bool:
    """Whether ``check()`` came true before ``timeout`` seconds, trying again after each
    few animation frames (the deadline is against hangs only: no result depends on it)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)
    return True


def ink_mask(image: Any) -> Any:
    """A mask (255 = ink) of the node pixels, and of label text when the canvas is light."""
    _hue, saturation, value = image.convert("HSV").split()
    nodes = saturation.point(lambda s: 255 if s > SATURATED else 0)
    background = max(image.getcolors(maxcolors=1 << 24))[1]
    if sum(background) / 3 < 128:  # a dark canvas: labels are light, edges too
        return nodes
    labels = value.point(lambda v: 255 if v < DARK else 0)
    return ImageChops.lighter(nodes, labels)


def count(mask: Any, box: tuple[int, ...]) -> int:
    """Ink pixels of the mask in ``box`` (left, top, right, bottom), clipped to the mask."""
    width, height = mask.size
    left, top = max(0, box[0]), max(0, box[1])
    right, bottom = min(width, box[2]), min(height, box[3])
    if right <= left or bottom <= top:
        return 0
    return int(mask.crop((left, top, right, bottom)).histogram()[255])
