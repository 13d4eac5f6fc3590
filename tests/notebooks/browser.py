"""Headless Chromium for the notebook tests, and rendering executed notebooks offline in
it, as nbviewer would (the live JupyterLab tests, ``lab.py``, share the browser, the
contrast code and the screenshots).

The notebook becomes HTML with nbconvert's ``lab`` template. Its scripts would come from
CDNs; here every request leaving the page is answered from disk instead: RequireJS and the
Jupyter widgets renderer (``make`` fetches both from the npm registry into
``.venv/browser-assets``) and each widget's own JavaScript from its Python package
(ipysigma's ``nbextension/index.js``). Anything else is refused and recorded.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter
from PIL import Image
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / ".venv" / "browser-assets"
ASSET_HOST = "http://assets.test/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

CONTRAST_JS = """
const rgba = s => {  // a computed colour as [r, g, b, alpha]
  const [r, g, b, a] = (s.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number);
  return [r, g, b, a === undefined ? 1 : a];
};
const over = (top, below) => [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3]));
const channel = v => {
  v /= 255;
  return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const lum = c => {
  const [r, g, b] = c.map(channel);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const backdrop = node => {  // what is painted behind node: its and its ancestors' backgrounds
  const layers = [];
  for (let n = node; n; n = n.parentElement) {
    const c = rgba(getComputedStyle(n).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let colour = [255, 255, 255];  // a page with no background at all is white
  for (const layer of layers.reverse()) colour = over(layer, colour);
  return colour;
};
const ratio = node => {  // WCAG contrast of node's text against what is behind it
  const back = backdrop(node);
  const a = lum(over(rgba(getComputedStyle(node).color), back)), b = lum(back);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
};
"""
"""WCAG 2 contrast in the page: ``ratio(element)`` of its text against the backgrounds
painted behind it (semi-transparent ones blended), as JavaScript function definitions."""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is not installed: run `make test` (it installs Debian's chromium)"
    return path


def launch_chromium(driver: Any) -> Any:
    """Debian's Chromium, headless, with the flags that keep it off the network."""
    return driver.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def running_chromium() -> Iterator[Any]:
    """Headless Chromium for a fixture (``yield from running_chromium()``), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = launch_chromium(driver)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(locator: Any, name: str, tmp_path: Path, *, publish: bool = True) -> Any:
    """The element as a PIL image; with ``publish``, also saved under
    $GRAPH_OLAP_SCREENSHOTS (``docs/images`` refreshes the docs' screenshots)."""
    png = locator.screenshot(path=tmp_path / name)
    target = os.environ.get("GRAPH_OLAP_SCREENSHOTS")
    if target and publish:
        (ROOT / target).mkdir(parents=True, exist_ok=True)
        (ROOT / target / name).write_bytes(png)
    return Image.open(io.BytesIO(png)).convert("RGB")


def colours_present(image: Any, colours: list[str], *, min_pixels: int = 15) -> list[str]:
    """Which of the ``#rrggbb`` colours cover at least ``min_pixels`` pixels (within a
    small tolerance, for anti-aliasing)."""
    counts = dict.fromkeys(colours, 0)
    targets = [(c, tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))) for c in colours]
    for n, pixel in image.getcolors(maxcolors=1 << 24):
        for colour, rgb in targets:
            if sum(abs(a - b) for a, b in zip(pixel, rgb, strict=True)) <= 24:
                counts[colour] += n
    return [c for c, n in counts.items() if n >= min_pixels]


def widget_js(package: str) -> Path:
    """The AMD bundle a widget package ships for the classic notebook and nbconvert."""
    spec = importlib.util.find_spec(package)
    assert spec and spec.origin, f"{package} is not installed"
    return Path(spec.origin).parent / "nbextension" / "index.js"


def to_html(nb: Any, *, widgets: bool = True) -> str:
    """The notebook as nbconvert HTML. ``widgets=False`` renders it as a front end that
    cannot show widgets does (GitHub): each output's next-best type, ``text/html``."""
    config = Config()
    if not widgets:
        priority = HTMLExporter().default_config.NbConvertBase.display_data_priority
        config.NbConvertBase.display_data_priority = [m for m in priority if m != WIDGET_MIME]
    exporter = HTMLExporter(template_name="lab", config=config)
    exporter.require_js_url = ASSET_HOST + "requirejs/require.js"
    exporter.widget_renderer_url = ASSET_HOST + "html-manager/dist/embed-amd.js"
    body, _ = exporter.from_notebook_node(nb)
    return str(body)


@dataclass
class OfflineRoutes:
    """Answers the page's network requests from disk; records what it refused."""

    refused: list[str] = field(default_factory=list)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(ASSET_HOST):
            path = ASSETS / url[len(ASSET_HOST) :].split("?")[0]
            assert path.is_file(), f"{path} missing: run `make test` to fetch the assets"
            route.fulfill(path=str(path), content_type=_content_type(path))
            return
        package = re.search(r"/npm/([\w-]+)@[^/]+/dist/index\.js", url)
        if package and importlib.util.find_spec(package.group(1)):
            route.fulfill(
                path=str(widget_js(package.group(1))), content_type="application/javascript"
            )
            return
        self.refused.append(url)
        route.abort()


def _content_type(path: Path) -> str:
    return {
        ".js": "application/javascript",
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".woff2": "font/woff2",
        ".woff": "font/woff",
    }.get(path.suffix, "application/octet-stream")


def open_page(browser: Any, html_path: Path) -> Iterator[tuple[Any, OfflineRoutes]]:
    """A page showing ``html_path`` with the offline routes (a generator for fixtures)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    routes = OfflineRoutes()
    page.route(re.compile(r"^https?://"), routes)
    page.goto(html_path.as_uri())
    try:
        yield page, routes
    finally:
        page.close()
