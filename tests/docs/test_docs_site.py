"""The documentation site builds with ``mkdocs build --strict`` and holds what it should.

One real build of ``mkdocs.yml`` (mkdocs-material, mkdocstrings over ``src/graph_olap``)
per session, into a temporary folder; the checks read the built HTML. Expected texts come
from the docstrings at test time (``inspect.getdoc``), never from copies in this file.
"""

from __future__ import annotations

import html
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graph_olap import GraphOLAPClient
from graph_olap.resources.mappings import MappingResource

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 110  # seconds; the build takes about 10 s on an idle machine


def _mkdocs_build(config: Path, site_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the real site once; fail with the whole build output on any warning."""
    site_dir = tmp_path_factory.mktemp("site")
    proc = _mkdocs_build(ROOT / "mkdocs.yml", site_dir)
    output = proc.stdout + proc.stderr
    problems = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert proc.returncode == 0 and not problems, (
        f"`mkdocs build --strict` exited {proc.returncode} with {len(problems)} warning(s). "
        "Fix the docstring, link or nav entry each line names (a new docs/*.md page must be "
        "added to `nav:` in mkdocs.yml).\n" + output
    )
    return site_dir


def _text(page: Path) -> str:
    """The visible text of a built page: tags dropped, entities decoded, blanks collapsed."""
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.DOTALL)
    raw = re.sub(r"</?(?:a|code|span|em|strong|autoref)\b[^>]*>", "", raw)  # inline: no gap
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _plain(docstring_text: str) -> str:
    """Docstring Markdown as it reads rendered: no ``code`` marks, no Sphinx roles."""
    text = re.sub(r":\w+:`~?(?:[\w]+\.)*(\w+)`", r"\1", docstring_text)  # :class:`~a.B` -> B
    text = text.replace("``", "").replace("`", "")
    return " ".join(text.split())


def _google_args(doc: str) -> dict[str, str]:
    """The ``Args:`` section of a Google docstring: name -> description (as rendered)."""
    lines = doc.splitlines()
    assert "Args:" in lines, f"no Args: section in {doc!r}"
    args: dict[str, str] = {}
    name = ""
    for line in lines[lines.index("Args:") + 1 :]:
        if not line.startswith("    "):  # a blank line or the next section ends it
            break
        if not line.startswith("     "):  # "    name: description"
            name, _, description = line.strip().partition(":")
            args[name] = description
        else:  # a continuation line
            args[name] += " " + line.strip()
    return {name: _plain(description) for name, description in args.items()}


def _page(site: Path, path: str) -> Path:
    page = site / path / "index.html"
    assert page.is_file(), f"The site has no page {path}/ (looked for {page})"
    return page


def test_reference_renders_the_docstrings(site: Path) -> None:
    doc = inspect.getdoc(MappingResource.create)
    assert doc, "MappingResource.create lost its docstring"
    text = _text(_page(site, "reference/mappings"))
    summary = _plain(doc.split("\n\n", 1)[0])
    assert summary in text, f"The mappings reference lacks create()'s summary {summary!r}"
    args = _google_args(doc)
    assert {"name", "node_definitions", "edge_definitions"} <= args.keys(), args
    for name, description in args.items():
        assert description in text, (
            f"The description of create({name}=...) is not rendered: {description!r}"
        )
    # reST left in docstrings is rendered as Markdown readers expect (docs/reference/_hooks.py):
    # no ":class:" roles, no "The tree::" literal-block markers.
    for page in (site / "reference").rglob("index.html"):
        page_text = _text(page)
        role = re.search(r".{0,30}:(class|meth|func|mod|attr|exc):.{0,30}", page_text)
        assert not role, f"{page}: a raw Sphinx role: {role.group(0) if role else ''}"
        marker = re.search(r".{0,30}\w::(\s|$)", page_text)
        assert not marker, f"{page}: a raw reST '::': {marker.group(0) if marker else ''}"
    # Methods show what users get back, not the internal operation type.
    assert "-> Mapping " in text and "Op[" not in text
    # Doctests render as code blocks, not as Markdown quotes.
    assert not re.search(
        r"<(p|blockquote)>\s*&gt;&gt;&gt;",
        _page(site, "reference/mappings").read_text(encoding="utf-8"),
    ), "a doctest rendered as prose"


def test_client_page_documents_the_client_and_links_its_resources(site: Path) -> None:
    page = _page(site, "reference/client")
    text = _text(page)
    doc = inspect.getdoc(GraphOLAPClient)
    assert doc
    assert _plain(doc.split("\n\n", 1)[0]) in text
    for name in ("quick_start", "from_env", "close", "AsyncGraphOLAPClient", "aclose"):
        assert name in text, f"The client reference does not mention {name}"
    raw = page.read_text(encoding="utf-8")
    assert 'href="../mappings/#graph_olap.resources.mappings.MappingResource"' in raw, (
        "The client page's link to MappingResource did not resolve"
    )


def test_getting_started_search_and_offline_theme(site: Path) -> None:
    text = _text(_page(site, "getting-started"))
    for step in (
        "make demo",
        "mappings.create",
        "create_from_mapping_and_wait",
        "query_df",
        "conn.algo",
        "terminate",
    ):
        assert step in text, f"Getting started does not show {step}"
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"getting-started/", "reference/mappings/", "guide-instances/"} <= locations
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    remote_fonts = [p for p in pages if "fonts.googleapis.com" in p.read_text(encoding="utf-8")]
    assert not remote_fonts, f"pages load Google Fonts (set theme.font: false): {remote_fonts}"


def _nav_pages(node: object) -> set[str]:
    if isinstance(node, str):
        return {node} if node.endswith(".md") else set()
    if isinstance(node, dict):
        return set().union(*(_nav_pages(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_nav_pages(v) for v in node))
    return set()


def test_every_page_is_in_the_nav() -> None:
    """mkdocs builds a page left out of ``nav:`` without a word; readers never find it."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = ROOT / config["docs_dir"]
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    missing = sorted(pages - _nav_pages(config["nav"]))
    assert not missing, f"Add these pages to `nav:` in mkdocs.yml: {missing}"


def test_strict_build_fails_on_broken_links(tmp_path: Path) -> None:
    """The link checks of mkdocs.yml turn a missing page or anchor into a failed build."""
    project = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "# Home\n\n[ok](other.md#present), [gone](other.md#absent), [lost](nowhere.md)\n",
        encoding="utf-8",
    )
    (docs / "other.md").write_text("# Other\n\n## Present\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "site_name": "links",
                "docs_dir": str(docs),
                "theme": {"name": "mkdocs"},
                "validation": project["validation"],
                "markdown_extensions": [{"toc": {"permalink": True}}],
            }
        ),
        encoding="utf-8",
    )
    proc = _mkdocs_build(config, tmp_path / "site")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, "a strict build with broken links succeeded:\n" + output
    assert "'other.md#absent'" in output and "'nowhere.md'" in output, output
    assert "#present" not in output, output
