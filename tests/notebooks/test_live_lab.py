"""The example notebooks in live JupyterLab, as a new user runs them (see ``lab.py``).

Each notebook is opened in headless Chromium and run once with Run All, in the Light
theme, with no username and no API key in the kernel's environment. The tests then check
the live page: every cell ran without error or stderr, widgets and progress bars, graph
pictures that show every node, tables and cards readable (WCAG AA) in the Light and the
Dark theme (switched on the same page: no re-run), and no console error.

Set ``GRAPH_OLAP_SCREENSHOTS=docs/images`` to refresh the docs' screenshots from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_olap_server.runner import ServerThread
from tests.notebooks.browser import CONTRAST_JS, running_chromium, screenshot
from tests.notebooks.lab import Lab, LiveNotebook, lab_environment, start_lab
from tests.notebooks.pictures import GraphPicture

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]

NOTEBOOKS = [
    "basic_workflow.ipynb",
    "algorithms.ipynb",
    "visualization.ipynb",
    "bad_day.ipynb",
]
THEMES = ["light", "dark"]
AA = 4.5  # WCAG 2 AA contrast for normal text
WIDGET_FAILURES = ("Loading widget", "Error displaying widget", "Model not found")

# Console errors allowed, each with its reason (none today).
ALLOWED_CONSOLE: dict[str, str] = {}


@pytest.fixture(scope="module")
def lab(server: ServerThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with start_lab(tmp_path_factory.mktemp("lab"), server.url) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from running_chromium()


@pytest.fixture(scope="module", params=NOTEBOOKS)
def live(request: pytest.FixtureRequest, lab: Lab, browser: Any) -> Iterator[LiveNotebook]:
    """The notebook open in JupyterLab, after Run All (once for all its tests)."""
    notebook = LiveNotebook.open(browser, lab, request.param)
    try:
        notebook.set_theme("light")
        notebook.run_all()
        yield notebook
    finally:
        notebook.page.close()


def source(cell: dict[str, Any]) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def test_kernels_get_the_platform_url_and_no_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GRAPH_OLAP_USERNAME", "GRAPH_OLAP_API_KEY", "GRAPH_OLAP_INTERNAL_API_KEY"):
        monkeypatch.setenv(name, "set-by-the-developer")
    monkeypatch.setenv("JUPYTERHUB_USER", "someone")
    env = lab_environment(tmp_path, "http://127.0.0.1:1")
    assert [k for k in env if k.startswith("GRAPH_OLAP_")] == ["GRAPH_OLAP_API_URL"]
    assert "JUPYTERHUB_USER" not in env
    assert all(Path(env[k]).is_relative_to(tmp_path) for k in ("HOME", "JUPYTER_CONFIG_DIR"))


def test_every_cell_runs_without_error_or_stderr(live: LiveNotebook) -> None:
    cells = [c for c in live.saved()["cells"] if c["cell_type"] == "code"]
    problems = []
    for cell in cells:
        outputs = cell.get("outputs", [])
        errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
        stderr = [
            "".join(o["text"])
            for o in outputs
            if o["output_type"] == "stream" and o["name"] == "stderr"
        ]
        if errors or stderr or not cell.get("execution_count"):
            ran = "ran" if cell.get("execution_count") else "did not run"
            problems.append(f"{source(cell)[:80]!r} {ran}; errors {errors}; stderr {stderr}")
    assert not problems, f"{live.name}:\n" + "\n".join(problems)
    prompts = live.page.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    assert all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), prompts


def test_widgets_render_and_progress_bars_finish(live: LiveNotebook) -> None:
    outputs = live.page.locator(".jp-OutputArea-output")
    text = "\n".join(outputs.all_text_contents())
    shown = [failure for failure in WIDGET_FAILURES if failure in text]
    assert not shown, f"{live.name}: widgets did not render: {shown}"
    bars = live.page.locator(".jp-OutputArea-output .progress .progress-bar")
    cells = live.saved()["cells"]
    waits = [c for c in cells if c["cell_type"] == "code" and "progress=True" in source(c)]
    assert bars.count() >= len(waits), f"{live.name}: {bars.count()} bars for {len(waits)} waits"
    for bar in bars.all():
        state = bar.evaluate("e => [e.className, e.style.width]")
        assert "progress-bar-success" in state[0] and state[1] == "100%", (live.name, state)


@pytest.mark.parametrize("theme", THEMES)
def test_tables_and_cards_read_well(live: LiveNotebook, theme: str, tmp_path: Path) -> None:
    live.set_theme(theme)
    checked = live.page.evaluate(READABLE)
    assert checked, f"{live.name}: no table or card found"
    poor = [c for c in checked if c["ratio"] < AA]
    assert not poor, f"{live.name} ({theme}): text below WCAG AA {AA}:1: " + "\n".join(
        f"{c['kind']} {c['text']!r}: {c['ratio']:.2f} ({c['color']} on {c['background']})"
        for c in poor[:12]
    )
    publish_tables(live, theme, tmp_path)


def test_table_headers_and_captions(live: LiveNotebook) -> None:
    live.set_theme("light")
    headers = live.page.evaluate(HEADER_ROWS)
    sortable = [h["text"] for h in headers if h["row"] > 0 and h["sortable"]]
    split = live.page.evaluate(SPLIT_CAPTION_PARTS)
    assert not sortable and not split, (
        f"{live.name}: sort controls below the title row: {sortable}; "
        f"caption parts broken across lines: {split}"
    )


def test_graph_pictures_show_every_node(live: LiveNotebook, tmp_path: Path) -> None:
    expected = sum(
        bool(re.search(r"^\w+\.show_graph\(", source(c), re.MULTILINE))
        for c in live.saved()["cells"]
        if c["cell_type"] == "code"
    )  # the cells that show a picture: a line that is a show_graph(...) expression
    widgets = live.page.locator(".jp-OutputArea-output .ipysigma-widget")
    assert widgets.count() == expected, f"{live.name}: {widgets.count()} of {expected} pictures"
    for theme in THEMES:
        live.set_theme(theme)
        for i, widget in enumerate(widgets.all()):
            picture = GraphPicture(live.page, widget)
            problems = picture.problems()
            assert not problems, f"{live.name} picture {i + 1} ({theme}): " + "; ".join(problems)
            if i == 0 and theme == "light":
                screenshot(picture.output, "graph-widget.png", tmp_path)


def test_graph_headers_say_what_was_asked(live: LiveNotebook) -> None:
    """A picture drawn with ``directed=False`` says "Undirected Graph" in its header (the
    co-appearance network once read "Multi Directed Graph")."""
    undirected = re.compile(r"^\w+\.show_graph\(.*directed=False", re.MULTILINE)
    code = [c for c in live.saved()["cells"] if c["cell_type"] == "code"]
    # the cells that show an undirected picture (not the one that keeps a copy)
    expected = sum(bool(undirected.search(source(c))) for c in code)
    headers = (
        live.page.locator(".jp-CodeCell")
        .filter(has_text="directed=False")
        .locator(".ipysigma-graph-description")
    )
    assert headers.count() == expected, f"{live.name}: {headers.count()} of {expected} headers"
    for text in headers.all_inner_texts():
        assert text.startswith("Undirected Graph"), f"{live.name}: header {text!r}"
        assert "Multi" not in text, f"{live.name}: header {text!r} (no parallel relationships)"


def test_no_console_errors(live: LiveNotebook) -> None:
    errors = [
        e
        for e in [*live.log.errors, *live.log.console]
        if not any(allowed in e for allowed in ALLOWED_CONSOLE)
    ]
    assert not errors, f"{live.name}: errors in the browser console: {errors}"
    assert not live.log.refused, f"{live.name}: the page asked the internet: {live.log.refused}"


def publish_tables(live: LiveNotebook, theme: str, tmp_path: Path) -> None:
    """The docs' screenshots of tables and cards (basic_workflow; the big-result error and
    the jobs table of bad_day), in each theme."""
    suffix = "" if theme == "light" else "-dark"
    if live.name == "bad_day.ipynb":
        too_big = live.cell("every_pair = ").locator(".jp-OutputArea").first
        screenshot(too_big, f"result-too-large{suffix}.png", tmp_path)
        jobs = live.cell("client.jobs.get(snapshot)").locator(".jp-OutputArea").first
        screenshot(jobs, f"jobs{suffix}.png", tmp_path)
        return
    if live.name != "basic_workflow.ipynb":
        return
    card = live.cell("mapping = client.mappings.create(").locator(".jp-OutputArea").first
    screenshot(card, f"mapping-card{suffix}.png", tmp_path)
    if theme != "light":
        return
    result = live.cell("result = conn.query(").locator(".jp-OutputArea").first
    screenshot(result, "query-result.png", tmp_path)
    frame = live.cell("by_city = conn.query_df(").locator(".dt-container").first
    screenshot(frame, "itables.png", tmp_path)
    started = live.cell("create_from_mapping_and_wait").locator(".jp-OutputArea-child").first
    screenshot(started, "progress-bar.png", tmp_path)


READABLE = (
    "() => {"
    + CONTRAST_JS
    + """
  // every element with text of its own, in our outputs and in itables' tables
  const roots = document.querySelectorAll(
    '.jp-OutputArea-output .go-root, .jp-OutputArea-output .dt-container');
  const found = [];
  for (const root of roots) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (/^(STYLE|SCRIPT)$/.test(el.tagName)) continue;
      // WCAG 1.4.3 sets no contrast for inactive controls (a table's disabled "«" button)
      if (el.closest('.disabled, [disabled], [aria-disabled="true"]')) continue;
      const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      const box = el.getBoundingClientRect();
      if (!own || !box.width || !box.height) continue;
      if (getComputedStyle(el).visibility !== 'visible') continue;
      const cell = el.closest('th, td, caption');
      found.push({
        kind: cell ? cell.tagName.toLowerCase() : (el.className || el.tagName).toString(),
        text: el.textContent.trim().slice(0, 40),
        ratio: ratio(el),
        color: getComputedStyle(el).color,
        background: 'rgb(' + backdrop(el).map(Math.round).join(', ') + ')',
      });
    }
  }
  return found;
}"""
)
"""The WCAG contrast of each piece of text in the tables and cards of the page."""

HEADER_ROWS = """() => [...document.querySelectorAll('.jp-OutputArea-output table.dataTable')]
  .flatMap(table => [...table.tHead.rows].flatMap((row, i) => [...row.cells].map(cell => ({
    row: i,
    text: cell.textContent.trim(),
    sortable: /dt-orderable-(asc|desc)/.test(cell.className)
      || getComputedStyle(cell.querySelector('.dt-column-order') || cell, '::before').content
        .includes('\u25b2'),
  }))))"""
"""Each header cell of the interactive tables: its row, and whether it is a sort control."""

SPLIT_CAPTION_PARTS = r"""() => {
  // a caption reads "10 rows · 2 ms · name STRING, balance DECIMAL(12, 2)": each part
  // between separators (outside brackets) must stay on one line. The result's lineage
  // line below it (.go-lineage, a block of its own) is not part of that sentence.
  const split = [];
  const notLineage = {acceptNode: (n) => n.parentElement.closest('.go-lineage')
    ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT};
  for (const caption of document.querySelectorAll('.jp-OutputArea-output caption')) {
    const walker = document.createTreeWalker(caption, NodeFilter.SHOW_TEXT, notLineage);
    const chars = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) chars.push([node, i]);
    }
    const text = chars.map(([node, i]) => node.data[i]).join('');
    let depth = 0, start = 0;
    const parts = [];
    for (let i = 0; i <= text.length; i++) {
      const c = text[i];
      if (c === '(') depth++;
      if (c === ')') depth--;
      const end = i === text.length || (depth === 0 && (c === ',' || c === '\u00b7'));
      if (end) { parts.push([start, i]); start = i + 1; }
    }
    for (const [from, to] of parts) {
      const shown = text.slice(from, to);
      if (!shown.trim()) continue;
      const first = from + (shown.length - shown.trimStart().length);
      const last = to - (shown.length - shown.trimEnd().length);
      const range = document.createRange();
      range.setStart(...chars[first]);
      range.setEnd(chars[last - 1][0], chars[last - 1][1] + 1);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
        .map(r => Math.round(r.bottom)));
      if (lines.size > 1) split.push(text.slice(first, last));
    }
  }
  return split;
}"""
"""The parts of table captions that are broken across lines."""
