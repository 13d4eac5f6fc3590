"""Running the example notebooks in a real kernel, and reading their outputs.

Each notebook runs against the session's local platform (``GRAPH_OLAP_API_URL``) with no
username or key set (the SDK names the user), in the ``python3`` kernel of this interpreter's
environment, with the widget state saved (as JupyterLab saves it) so that a browser can
render the widgets later. The notebooks on disk stay without outputs.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT = 300
PREFIX_CHECK = "import sys; print(sys.prefix)"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def new_user_env(**extra: str) -> dict[str, str]:
    """os.environ as on a new user's machine (no ``GRAPH_OLAP_*`` setting, no JupyterHub
    user), plus ``extra``: what the tests' kernels and JupyterLab start from."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GRAPH_OLAP_") and k != "JUPYTERHUB_USER"
    }
    env.update(extra)
    return env


def execute(name: str, *, env: dict[str, str]) -> Any:
    """Run the notebook in a fresh kernel and return it, executed, with its widget state.

    ``env`` is the kernel's whole environment (see ``conftest.kernel_env``).
    A last cell (not in the file, removed again) prints the kernel's ``sys.prefix``, to
    check that the kernel is this environment's Python. Fails on any error output or
    warning printed to stderr.
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells), f"{name} is saved with outputs"
    nb.cells.append(nbformat.v4.new_code_cell(PREFIX_CHECK))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute(env=env)
    prefix = text_of(nb.cells.pop()).strip()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    for cell in code_cells(nb):
        errors = [out for out in cell.outputs if out.output_type == "error"]
        assert not errors, f"{cell.source}\n{errors}"
        streams = [out for out in cell.outputs if out.output_type == "stream"]
        assert all(out.name == "stdout" or not is_problem(out.text) for out in streams), (
            cell.source,
            streams,
        )
    return nb


def code_cells(nb: Any) -> list[Any]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def is_problem(text: str) -> bool:
    return bool(re.search(r"Traceback|Error|Warning", text))


def cell_with(cells: list[Any], source: str) -> Any:
    """The one code cell whose source contains ``source``."""
    found = [cell for cell in cells if source in cell.source]
    assert len(found) == 1, f"{len(found)} cells contain {source!r}"
    return found[0]


def html_of(cell: Any) -> str:
    return "".join(
        out.data["text/html"]
        for out in cell.outputs
        if out.output_type in ("execute_result", "display_data") and "text/html" in out.data
    )


def text_of(cell: Any) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def result_of(cell: Any) -> str:
    """The cell's value (text/plain of its execute_result)."""
    results = [out for out in cell.outputs if out.output_type == "execute_result"]
    assert len(results) == 1, cell.outputs
    return str(results[0].data["text/plain"])


def widget_models(nb: Any, cell: Any) -> list[dict[str, Any]]:
    """The saved state of each widget the cell displayed and of the widgets inside them
    (a box's children), outermost first: model name, state."""
    saved = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = saved.get("state", {})
    todo = [
        out.data[WIDGET_MIME]["model_id"]
        for out in cell.outputs
        if out.output_type in ("execute_result", "display_data") and WIDGET_MIME in out.data
    ]
    found: list[dict[str, Any]] = []
    while todo:
        model_id = todo.pop(0)
        if model_id not in models:
            continue
        found.append(models[model_id])
        children = models[model_id].get("state", {}).get("children", [])
        todo += [c.removeprefix("IPY_MODEL_") for c in children if isinstance(c, str)]
    return found


def frame_of(cell: Any) -> list[dict[str, str]]:
    """The rows of the polars DataFrame the cell returned, read from its text/plain
    (``shape: (5, 2)`` and a box-drawn table): one dict of cell texts per row.

    Example:
        >>> frame_of(cell_with(cells, "ranks.sort("))[0]  # doctest: +SKIP
        {'member_id': '33', 'pagerank': '0.100919'}
    """
    text = result_of(cell)
    assert text.startswith("shape: ("), f"not a polars DataFrame: {text[:80]!r}"
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("│")]
    names, _dashes, _dtypes, *rows = (
        [part.strip() for part in line.strip("│").split("┆")] for line in lines
    )
    assert all("…" not in row for row in rows), "polars elided rows or columns"
    return [dict(zip(names, row, strict=True)) for row in rows]


def markdown_of(nb: Any) -> str:
    """The text of the notebook's markdown cells, one line per line, for checking that a
    claim the tests verify is still the one the text makes."""
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    return " ".join(text.split())
