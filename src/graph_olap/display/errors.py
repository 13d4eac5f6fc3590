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

from graph_olap.display._html import card, esc, kv_grid, wrap
from graph_olap.exceptions import GraphOLAPError

__all__ = ["compact_text", "error_html", "show_error", "your_line"]

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
    lines.append(f"  ({FULL_TRACEBACK})")
    return "\n".join(lines)


def error_html(err: GraphOLAPError, line: str | None = None) -> str:
    """The HTML card of an error (everything escaped)."""
    pairs = [("message", f'<span class="go-error">{esc(err.message)}</span>')]
    pairs += [
        (k, esc(v) if k == "hint" else f'<span class="go-mono">{esc(v)}</span>')
        for k, v in _facts(err)
    ]
    if line:
        pairs.append(("raised by", f'<span class="go-code">{esc(line)}</span>'))
    footer = f'<div class="go-footer go-muted">{esc(FULL_TRACEBACK)}</div>'
    return wrap(card("Error", type(err).__name__, "", kv_grid(pairs) + footer))


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
