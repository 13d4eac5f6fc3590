"""Interactive tables for query results (itables), once the notebook has set itables up.

``notebook.connect()`` initialises itables (its JavaScript goes into the notebook once)
and calls :func:`enable_itables`; from then on a :class:`~graph_olap.QueryResult` shows
as a sortable, searchable, paged table. Without that (itables not installed, or a client
made directly), results keep the static table of :mod:`graph_olap.display.tables`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["enable_itables", "interactive_table", "itables_enabled"]

_enabled = False


def enable_itables(*, enabled: bool = True) -> None:
    """Let query results render through itables (called by ``notebook.connect()`` after
    ``itables.init_notebook_mode`` succeeded).

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
    """The rows as an itables table with ``caption``, or None when itables is not set up
    (or cannot show them): the caller then renders its static table.

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
        # itables writes the caption as HTML: column names come from the query, escape them
        return str(itables.to_html_datatable(frame, caption=html.escape(caption)))
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
