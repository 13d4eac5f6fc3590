"""Tables: a page of models (``PaginatedList``) and a query result (``QueryResult``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from graph_olap.display._html import HIDDEN, badge, esc, format_value, is_secret_name, table, wrap
from graph_olap.display._time import duration
from graph_olap.display.cards import human_bytes
from graph_olap.display.interactive import interactive_table

if TYPE_CHECKING:
    from graph_olap.lineage import Lineage

__all__ = [
    "MAX_QUERY_ROWS",
    "items_html",
    "lineage_line",
    "list_html",
    "list_table",
    "query_caption",
    "query_html",
    "query_table",
]

MAX_QUERY_ROWS = 20
"""Rows of a query result shown in its table."""

MAX_LIST_ROWS = 100
"""Items of a list shown in its table (``conn.networkx.list()`` has hundreds)."""

MAX_COLUMNS = 9
"""Columns of a model shown in a list table (the first scalar fields)."""

_COLUMNS = {
    "Mapping": ["id", "name", "owner_username", "current_version", "snapshot_count", "updated_at"],
    "Snapshot": [
        "id",
        "name",
        "status",
        "mapping_id",
        "mapping_version",
        "owner_username",
        "size_bytes",
        "created_at",
    ],
    "Instance": [
        "id",
        "name",
        "status",
        "snapshot_id",
        "owner_username",
        "cpu_cores",
        "expires_at",
        "created_at",
    ],
    "AlgorithmExecution": [
        "id",
        "algorithm",
        "kind",
        "mode",
        "status",
        "username",
        "started_at",
        "duration_ms",
    ],
    "AlgorithmInfo": ["name", "kind", "title", "modes", "parameters", "result_columns"],
    "MappingVersion": ["version", "change_description", "created_by", "created_at"],
}


def _columns(items: Sequence[Any]) -> list[str]:
    first = items[0]
    if not isinstance(first, BaseModel):
        return []
    preferred = _COLUMNS.get(type(first).__name__)
    if preferred:
        return preferred
    columns = []
    for name, info in type(first).model_fields.items():
        value = getattr(first, name)
        if isinstance(value, (BaseModel, dict, list)) or info.annotation in (dict, list):
            continue
        columns.append(name)
    return columns[:MAX_COLUMNS]


def _cell(name: str, value: Any, now: datetime.datetime | None) -> str:
    if is_secret_name(name):
        return HIDDEN if value not in (None, "") else format_value(None)
    if name == "id" and value is not None:
        return f'<span class="go-id">{esc(value)}</span>'
    if name == "duration_ms" and isinstance(value, (int, float)):
        return esc(duration(value / 1000))
    if name == "size_bytes" and isinstance(value, int):
        return esc(human_bytes(value))
    if name.endswith("status") and isinstance(value, str) and value:
        return badge(value)
    return format_value(value, now=now)


def list_table(page: Any, *, now: datetime.datetime | None = None) -> str:
    """The table of a page of items, with "showing N of TOTAL" (a page without ``total``,
    such as a plain list, says "N items")."""
    items = list(getattr(page, "items", page))
    total = getattr(page, "total", None)
    if len(items) > MAX_LIST_ROWS:
        total = total if total is not None else len(items)
        items = items[:MAX_LIST_ROWS]
    shown = len(items)
    offset = getattr(page, "offset", 0)
    where = f" (from #{offset + 1})" if offset and shown else ""
    footer = f"showing {shown:,} of {total:,}{where}" if total is not None else f"{shown:,} items"
    if not items:
        return f'<div class="go-footer">{footer}</div>'
    columns = _columns(items)
    if not columns:
        rows = [[format_value(item, now=now)] for item in items]
        return table(["item"], rows, footer=footer)
    rows = [[_cell(c, getattr(item, c, None), now) for c in columns] for item in items]
    return table(columns, rows, footer=footer)


def list_html(page: Any) -> str:
    """The self-contained HTML output of a ``PaginatedList``."""
    return wrap(list_table(page))


def items_html(items: Sequence[Any]) -> str:
    """The self-contained HTML output of a plain list of models: a table and "N items"."""
    return wrap(list_table(list(items)))


def query_table(result: Any, *, max_rows: int = MAX_QUERY_ROWS) -> str:
    """The table of a query result: its first ``max_rows`` rows, the column types and
    "showing N of M rows"."""
    total = len(result.rows)
    rows = [[format_value(v) for v in row] for row in result.rows[:max_rows]]
    footer = f"showing {len(rows):,} of {total:,} rows"
    if result.truncated:
        footer += " (cut at the server's row limit)"
    if result.execution_time_ms is not None:
        footer += f" \u00b7 {result.execution_time_ms:g} ms"
    origin = lineage_line(getattr(result, "lineage", None))
    if not result.columns:
        return f'<div class="go-footer">{esc(footer)}</div>' + origin
    return table(result.columns, rows, types=result.column_types, footer=esc(footer)) + origin


def lineage_line(lineage: Lineage | None) -> str:
    """Where a result came from, as one short HTML line (empty for ``None``):
    ``instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.21 s``; the query text shows on
    hover.

    Example:
        >>> lineage_line(conn.query("RETURN 1 AS n").lineage)
        '<div class="go-footer go-lineage" title="RETURN 1 AS n">instance 12 · ...</div>'
    """
    if lineage is None:
        return ""
    hover = lineage.query or lineage.algorithm or ""
    return f'<div class="go-footer go-lineage" title="{esc(hover)}">{esc(lineage.caption())}</div>'


def query_caption(result: Any) -> str:
    """The caption of a query result's interactive table, as HTML: its size, time and the
    type of each column. Each part stays on one line (``go-nowrap``): a narrow table's
    caption wraps between parts, never inside ``DECIMAL(12, 2)``.

    Example:
        >>> query_caption(QueryResult(columns=["n"], column_types=["INT64"], rows=[[1]]))
        '<span class="go-nowrap">1 row</span> · <span class="go-nowrap">n INT64</span>'
    """
    head = f"{len(result.rows):,} row{'' if len(result.rows) == 1 else 's'}"
    if result.truncated:
        head += " (cut at the server's row limit)"
    if result.execution_time_ms is not None:
        head += f" \u00b7 {result.execution_time_ms:g} ms"
    types = [f"{c} {t}" for c, t in zip(result.columns, result.column_types or [], strict=False)]
    head_html, *type_html = (
        f'<span class="go-nowrap">{esc(part)}</span>' for part in [head, *types]
    )
    caption = head_html + (" \u00b7 " + ", ".join(type_html) if type_html else "")
    return caption + lineage_line(getattr(result, "lineage", None))


def query_html(result: Any) -> str:
    """The self-contained HTML output of a ``QueryResult``: an interactive itables table
    once ``notebook.connect()`` has set itables up, else the static table."""
    if result.columns and result.rows:
        interactive = interactive_table(result.columns, result.rows, query_caption(result))
        if interactive is not None:
            return wrap(f'<div class="go-interactive">{interactive}</div>')
    return wrap(query_table(result))
