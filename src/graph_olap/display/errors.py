"""SDK errors in a notebook: a compact block (message, code, status, request id, hint and
the line of your code that raised it) instead of pages of SDK frames.

``notebook.connect()`` registers :func:`show_error` with IPython for
:class:`~graph_olap.exceptions.GraphOLAPError`. The full traceback stays available:
``%tb`` in the next cell prints it, and ``graph_olap.notebook.verbose_errors()`` turns the
compact display off.
"""

from __future__ import annotations

import linecache
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from graph_olap.display._html import card, esc, format_value, kv_grid, table, wrap
from graph_olap.display.cards import human_bytes
from graph_olap.exceptions import GraphOLAPError, ResultTooLargeError

__all__ = [
    "caught_error_html",
    "compact_text",
    "error_html",
    "preview_caption",
    "show_error",
    "your_line",
]

_SDK = Path(__file__).resolve().parents[1]  # .../graph_olap
FULL_TRACEBACK = "full traceback: %tb in the next cell; graph_olap.notebook.verbose_errors()"


def your_line(tb: TracebackType | None) -> str | None:
    """The last line of the caller's code before the SDK was entered, e.g.
    ``client.mappings.get(999)``; None when the error did not pass through user code."""
    found: str | None = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if Path(code.co_filename).resolve().is_relative_to(_SDK):
            break
        text = linecache.getline(code.co_filename, tb.tb_lineno, tb.tb_frame.f_globals).strip()
        found = text or found
        tb = tb.tb_next
    return found


def _facts(err: GraphOLAPError) -> list[tuple[str, str]]:
    facts = [("code", err.code)]
    if err.status_code is not None:
        facts.append(("HTTP status", str(err.status_code)))
    if err.request_id:
        facts.append(("request id", err.request_id))
    if err.hint:
        facts.append(("hint", err.hint))
    return facts


def compact_text(err: GraphOLAPError, line: str | None = None) -> str:
    """The plain-text block of an error.

    Example:
        >>> print(compact_text(NotFoundError("Mapping 9 does not exist.", status_code=404)))
        NotFoundError: Mapping 9 does not exist.
          code: NOT_FOUND · HTTP status: 404
          (full traceback: %tb in the next cell; graph_olap.notebook.verbose_errors())
    """
    lines = [f"{type(err).__name__}: {err.message}"]
    facts = [(k, v) for k, v in _facts(err) if k != "hint"]
    lines.append("  " + " · ".join(f"{k}: {v}" for k, v in facts))
    if err.hint:
        lines.append(f"  hint: {err.hint}")
    if line:
        lines.append(f"  raised by: {line}")
    if isinstance(err, ResultTooLargeError):  # guarded fetch: the preview under the message
        lines += [f"  preview, {preview_caption(err)}:", str(err.preview)]
    lines.append(f"  ({FULL_TRACEBACK})")
    return "\n".join(lines)


def error_html(err: GraphOLAPError, line: str | None = None, *, traceback_hint: bool = True) -> str:
    """The HTML card of an error (everything escaped); ``traceback_hint``: end with how to
    see the full traceback (for a raised error)."""
    pairs = [("message", f'<span class="go-error">{esc(err.message)}</span>')]
    pairs += [
        (k, esc(v) if k == "hint" else f'<span class="go-mono">{esc(v)}</span>')
        for k, v in _facts(err)
    ]
    if line:
        pairs.append(("raised by", f'<span class="go-code">{esc(line)}</span>'))
    footer = f'<div class="go-footer go-muted">{esc(FULL_TRACEBACK)}</div>'
    if not traceback_hint:
        footer = ""
    body = kv_grid(pairs) + _preview_html(err)
    return wrap(card("Error", type(err).__name__, "", body + footer))


def caught_error_html(err: GraphOLAPError) -> str:
    """The card of an error caught and shown as a value (a cell ending in ``err``): as
    when raised, without the traceback line. ``notebook.connect()`` registers it.

    Example:
        >>> try:
        ...     conn.query_df("MATCH (a), (b) RETURN a, b")
        ... except ResultTooLargeError as err:
        ...     too_big = err
        >>> too_big   # the card: message, code, the preview and the ways out
    """
    return error_html(err, traceback_hint=False)


def preview_caption(err: ResultTooLargeError) -> str:
    """What the preview of a too-large result shows, e.g.
    ``showing 20 of 3,200,000 rows (1.2 GB)``.

    Example:
        >>> preview_caption(err)
        'showing 20 of 3,200,000 rows (24.4 MB)'
    """
    shown = len(err.preview) if err.preview is not None else 0
    return f"showing {shown:,} of {err.row_count or 0:,} rows ({human_bytes(err.bytes or 0)})"


def _preview_html(err: GraphOLAPError) -> str:
    """The preview table of a :class:`ResultTooLargeError` (all its rows, static: a
    preview needs no paging or search), else nothing."""
    if not isinstance(err, ResultTooLargeError):
        return ""
    preview = err.preview
    if hasattr(preview, "columns") and hasattr(preview, "rows"):  # a polars DataFrame
        columns, rows = [str(c) for c in preview.columns], preview.rows()
    else:  # a list of dicts (no polars)
        records = list(preview or [])
        columns = [str(c) for c in records[0]] if records else []
        rows = [[record.get(c) for c in columns] for record in records]
    cells = [[format_value(value) for value in row] for row in rows]
    return table(columns, cells, footer=esc(f"preview, {preview_caption(err)}"))


def show_error(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> None:
    """IPython's custom exception handler: display the compact block, keep the full
    traceback for ``%tb``. Anything but an SDK error gets IPython's usual traceback."""
    if not isinstance(value, GraphOLAPError):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    line = your_line(tb.tb_next if tb is not None else None)  # skip IPython's own frame
    text = compact_text(value, line)
    shell._last_traceback = text.splitlines()  # the execute reply's traceback (ipykernel)
    from IPython.display import display

    display({"text/plain": text, "text/html": error_html(value, line)}, raw=True)  # type: ignore[no-untyped-call]
