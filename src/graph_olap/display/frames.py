"""DataFrames the SDK returned, shown with where they came from.

After :func:`~graph_olap.display.interactive.init_itables`, every DataFrame renders
through itables, with no caption. :func:`caption_frames_with_lineage` registers an IPython
HTML formatter for polars and pandas frames that, for a frame with a lineage
(``conn.query_df``, an algorithm's stream result: see :func:`graph_olap.lineage_of`),
renders the same itables table captioned with its size and its lineage line
(``instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.03 s``, the query on hover). Other
frames render exactly as itables renders them.
"""

from __future__ import annotations

from typing import Any

from graph_olap.display._html import esc
from graph_olap.display.tables import lineage_line
from graph_olap.lineage import lineage_of

__all__ = ["caption_frames_with_lineage", "frame_html"]


def frame_html(frame: Any) -> str | None:
    """The itables HTML of ``frame`` captioned with its row count and lineage; a frame
    without lineage (or that itables cannot caption) gets its own ``_repr_html_``
    (itables' table).

    Example:
        >>> df = conn.query_df("MATCH (a:Account) RETURN a.account_id AS id")
        >>> "go-lineage" in frame_html(df)
        True
    """
    lineage = lineage_of(frame)
    if lineage is None:
        return _own_html(frame)
    try:
        import itables  # type: ignore[import-not-found,import-untyped,unused-ignore]

        caption = f"{esc(f'{len(frame):,} rows')}{lineage_line(lineage)}"
        return str(itables.to_html_datatable(frame, caption=caption))
    except Exception:  # a display must never break the cell: itables' own table then
        return _own_html(frame)


def _own_html(frame: Any) -> str | None:
    own = getattr(frame, "_repr_html_", None)
    return None if own is None else str(own())


def caption_frames_with_lineage() -> None:
    """Register :func:`frame_html` with IPython for polars and pandas DataFrames (those
    installed). A no-op outside IPython.

    Example:
        >>> caption_frames_with_lineage()   # notebook.connect() does it
    """
    try:
        from IPython import get_ipython  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return
    shell = get_ipython()  # type: ignore[no-untyped-call,unused-ignore]
    if shell is None:
        return
    html = shell.display_formatter.formatters["text/html"]
    for module in _FRAME_MODULES:  # by name: neither library is imported for this
        html.for_type_by_name(module, "DataFrame", frame_html)


_FRAME_MODULES = ("polars.dataframe.frame", "pandas.core.frame")
"""Where polars and pandas define ``DataFrame`` (IPython matches the defining module)."""
