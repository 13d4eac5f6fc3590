"""Rendering executed notebooks in headless Chromium, offline, as nbviewer would.

The notebook becomes HTML with nbconvert's ``lab`` template. Its scripts would come from
CDNs; here every request leaving the page is answered from disk instead: RequireJS and the
Jupyter widgets renderer (``make`` fetches both from the npm registry into
``.venv/browser-assets``) and each widget's own JavaScript from its Python package
(ipysigma's ``nbextension/index.js``). Anything else is refused and recorded.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter
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


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is not installed: run `make test` (it installs Debian's chromium)"
    return path


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
