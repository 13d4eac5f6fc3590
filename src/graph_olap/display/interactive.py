"""Interactive tables for query results (itables), once the notebook has set itables up.

``notebook.connect()`` initialises itables with :func:`init_itables` (its JavaScript goes
into the notebook once) and calls :func:`enable_itables`; from then on a
:class:`~graph_olap.QueryResult` shows as a sortable, searchable, paged table. Without
that (itables not installed, or a client made directly), results keep the static table of
:mod:`graph_olap.display.tables`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["enable_itables", "init_itables", "interactive_table", "itables_enabled"]

_enabled = False

_USES_BUNDLE = "set_or_remove_dark_class"
"""Text of the itables output that uses its JavaScript bundle (to follow the dark theme)."""

_BUNDLE = re.compile(r"window\.(_itables_\w+)\s*=")
"""Where itables' offline loader puts the promise of its bundle (``window._itables_2_9_1``)."""

_TITLE_ROW = """<script type="module">
// graph_olap: the column titles are the first header row; a second one (the dtypes
// itables shows for polars) is not a sort control (DataTables 2 sorts on every row).
const { default: DataTable } = await window.{name};
if (DataTable && DataTable.defaults) DataTable.defaults.titleRow = 0;
</script>"""


def init_itables() -> None:
    """Set itables up in this notebook: ``itables.init_notebook_mode(all_interactive=True)``
    in offline mode, with its outputs in an order that works in JupyterLab.

    itables 2.9 displays the script that follows the dark theme (``html.dark``) before the
    one that loads its bundle, so in JupyterLab the first found no bundle (a console
    ``TypeError: Cannot destructure property 'set_or_remove_dark_class'``) and its tables
    stayed white in dark themes. Here the loader goes first. Then the first header row is
    made the one that sorts (DataTables ``titleRow``): the dtype row itables adds under a
    polars frame's column names carries no sort arrows. Raises what ``init_notebook_mode``
    raises (ImportError without itables or IPython).

    Example:
        >>> init_itables()   # in a notebook; notebook.connect() does it
    """
    import itables  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from IPython.display import display
    from IPython.utils.capture import capture_output

    with capture_output(stdout=False, stderr=False, display=True) as shown:
        itables.init_notebook_mode(all_interactive=True)
    outputs = [(dict(out.data), dict(out.metadata or {})) for out in shown.outputs]
    outputs.sort(key=lambda out: _USES_BUNDLE in str(out[0].get("text/html", "")))
    for data, metadata in outputs:
        display(data, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]
    found = [_BUNDLE.search(str(data.get("text/html", ""))) for data, _ in outputs]
    bundle = next((match.group(1) for match in found if match), None)
    if bundle is not None:
        script = _TITLE_ROW.replace("{name}", bundle)
        display({"text/html": script}, raw=True)  # type: ignore[no-untyped-call]


def enable_itables(*, enabled: bool = True) -> None:
    """Let query results render through itables (called by ``notebook.connect()`` after
    :func:`init_itables` succeeded).

    Example:
        >>> enable_itables(enabled=False)   # back to static tables
    """
    global _enabled
    _enabled = enabled


def itables_enabled() -> bool:
    """Whether query results render through itables."""
    return _enabled


def interactive_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str
) -> str | None:
    """The rows as an itables table captioned ``caption`` (an HTML fragment: escape what
    it shows), or None when itables is not set up (or cannot show them): the caller then
    renders its static table.

    Example:
        >>> interactive_table(["n"], [[1], [2]], "2 rows") is None   # before connect()
        True
    """
    if not _enabled:
        return None
    try:
        import itables  # type: ignore[import-not-found,import-untyped,unused-ignore]

        frame = _frame(columns, rows)
        if frame is None:
            return None
        return str(itables.to_html_datatable(frame, caption=caption))
    except Exception:  # a display must never break the cell: fall back to the static one
        return None


def _frame(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A DataFrame of the rows (pandas, else polars); nested values as JSON text."""
    shown = [[_cell(value) for value in row] for row in rows]
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pass
    else:
        return pd.DataFrame(shown, columns=list(columns))
    try:
        import polars as pl
    except ImportError:
        return None
    return pl.DataFrame(shown, schema=list(columns), orient="row", strict=False)


def _cell(value: Any) -> Any:
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return value
