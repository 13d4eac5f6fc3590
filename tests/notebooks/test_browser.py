"""The executed example notebooks rendered in headless Chromium (see ``browser.py``): the
tables, the progress bars and the graph pictures are on screen, with and without widgets.

Set ``GRAPH_OLAP_SCREENSHOTS=docs/images`` to refresh the static picture the docs show
(``graph-static.png``); the live JupyterLab test (test_live_lab.py) refreshes the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.notebooks.browser import (
    CONTRAST_JS,
    colours_present,
    open_page,
    running_chromium,
    screenshot,
    to_html,
)
from tests.notebooks.kernel import cell_with, code_cells, text_of
from tests.notebooks.pictures import until

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]

Run = Callable[[str], Any]
RENDER_TIMEOUT_MS = 60_000
MATHJAX = "cdnjs.cloudflare.com/ajax/libs/mathjax"  # the template's; no notebook needs it


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from running_chromium()


@pytest.fixture
def render(browser: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``render(nb, widgets=True)``: a page showing the notebook as nbconvert HTML."""
    pages: list[Iterator[Any]] = []

    def show(nb: Any, *, widgets: bool = True) -> Any:
        path = tmp_path / f"notebook-{len(pages)}.html"
        path.write_text(to_html(nb, widgets=widgets), encoding="utf-8")
        opened = open_page(browser, path)
        page, routes = next(opened)
        pages.append(opened)
        page.offline_routes = routes
        return page

    yield show
    for opened in pages:
        opened.close()


CONTRAST = (
    "el => {"
    + CONTRAST_JS
    + """
  const card = el.closest('.go-card');
  const muted = card.querySelector('.go-muted, .go-card-kind') || card;
  const cells = [...card.querySelectorAll('td, th')].map(ratio);
  return {
    background: getComputedStyle(card).backgroundColor,
    text: ratio(card),
    muted: ratio(muted),
    cells: Math.min(...cells),
  };
}"""
)
"""WCAG contrast ratios of a card's text and muted text against its background."""


def only_mathjax_refused(page: Any) -> None:
    refused = [url for url in page.offline_routes.refused if MATHJAX not in url]
    assert not refused, f"the page asked for resources that are not available: {refused}"


def test_graph_widget_progress_bar_and_static_picture(
    executed_notebook: Run, render: Callable[..., Any], tmp_path: Path
) -> None:
    from graph_olap.viz.picture import PALETTE

    nb = executed_notebook("visualization.ipynb")
    cells = code_cells(nb)
    communities = int(text_of(cell_with(cells, 'print(f"{communities.summary')).split()[0])
    palette = list(PALETTE[: min(communities, len(PALETTE))])

    page = render(nb)
    bar = page.locator(".progress-bar-success").first
    playwright.expect(bar).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    assert bar.evaluate("e => e.style.width") == "100%"
    playwright.expect(page.locator(".widget-html", has_text="ready in").first).to_be_visible()

    widgets = page.locator(".ipysigma-widget")
    playwright.expect(widgets).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    whole = widgets.first
    playwright.expect(whole.locator("canvas").first).to_be_visible()
    playwright.expect(whole).to_contain_text("77")  # its node count panel
    whole.scroll_into_view_if_needed()
    # sigma draws in animation frames: wait until every community colour is on screen
    page.wait_for_function(
        "e => e.querySelectorAll('canvas').length > 1", arg=whole.element_handle()
    )
    seen: list[str] = []

    def all_drawn() -> bool:
        nonlocal seen
        picture = screenshot(whole, "graph-widget.png", tmp_path, publish=False)
        seen = colours_present(picture, palette)
        return seen == palette

    assert until(page, all_drawn), f"community colours drawn: {seen} of {palette}"

    before = whole.screenshot()
    whole.locator("[title='zoom']").click()
    assert until(page, lambda: whole.screenshot() != before), "zooming did not change it"
    started = page.locator(".jp-Cell").filter(has_text="create_from_mapping_and_wait").first
    screenshot(started.locator(".jp-OutputArea").first, "progress-bar.png", tmp_path, publish=False)
    only_mathjax_refused(page)

    static = render(nb, widgets=False)  # as GitHub shows it: no widgets
    pictures = static.locator("svg.go-graph-svg")
    playwright.expect(pictures).to_have_count(2, timeout=RENDER_TIMEOUT_MS)
    first = pictures.first
    playwright.expect(first).to_be_visible()
    playwright.expect(first.locator("circle")).to_have_count(77)
    assert "pagerank: " in first.locator("circle title").first.text_content()
    drawn = colours_present(screenshot(first, "graph-static.png", tmp_path), palette)
    assert drawn == palette, f"community colours drawn: {drawn} of {palette}"
    legend = static.locator(".go-graph-legend").first
    playwright.expect(legend).to_contain_text("community")
    only_mathjax_refused(static)


def test_tables_and_cards(
    executed_notebook: Run, render: Callable[..., Any], tmp_path: Path
) -> None:
    page = render(executed_notebook("basic_workflow.ipynb"))
    interactive = page.locator(".dt-container").first  # itables: sort, search, pages
    playwright.expect(interactive).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    playwright.expect(interactive.locator("table.dataTable tbody tr").first).to_be_visible()
    playwright.expect(interactive).to_contain_text("city")
    screenshot(interactive, "itables.png", tmp_path, publish=False)

    tables = page.locator(".go-root table.go-table")
    assert tables.count() >= 2
    for table in tables.all():
        playwright.expect(table).to_be_visible()
    # a QueryResult after notebook.connect(): itables too, captioned with its size and types
    result = page.locator(".jp-Cell").filter(has_text="result = conn.query(").first
    playwright.expect(result.locator(".dt-container")).to_be_visible()
    playwright.expect(result.locator("caption")).to_contain_text("rows \u00b7")
    playwright.expect(result.locator("caption")).to_contain_text("STRING")
    screenshot(result.locator(".jp-OutputArea").first, "query-result.png", tmp_path, publish=False)

    card = page.locator(".jp-Cell").filter(has_text="client.mappings.create(").first
    playwright.expect(card.locator(".go-root")).to_be_visible()
    playwright.expect(card.locator(".go-root")).to_contain_text("TRANSFERRED_TO")
    screenshot(card.locator(".jp-OutputArea").first, "mapping-card.png", tmp_path, publish=False)

    # both themes read well: WCAG AA contrast (4.5) for text and muted text, and the dark
    # theme is what JupyterLab's dark themes get (body[data-jp-theme-light="false"])
    inner = card.locator(".go-card").first
    light = inner.evaluate(CONTRAST)
    page.evaluate("document.body.setAttribute('data-jp-theme-light', 'false')")
    page.evaluate("document.body.style.background = '#111'")
    dark = inner.evaluate(CONTRAST)
    assert light["background"] != dark["background"], (light, dark)
    for theme in (light, dark):
        assert min(theme["text"], theme["muted"], theme["cells"]) >= 4.5, (light, dark)
    screenshot(
        card.locator(".jp-OutputArea").first, "mapping-card-dark.png", tmp_path, publish=False
    )

    playwright.expect(page.locator(".progress-bar-success").first).to_be_visible()
    only_mathjax_refused(page)
