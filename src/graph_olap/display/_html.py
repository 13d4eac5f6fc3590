"""HTML building blocks: escaping, the output wrapper, badges, key/value grids, tables.

Every function returns a fragment except :func:`wrap`, which makes a self-contained
output (the design system's CSS once, in a ``<style>`` scoped by ``go-`` classes).
"""

from __future__ import annotations

import datetime
import decimal
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from graph_olap.display._time import relative_time
from graph_olap.statuses import UnknownStatus
from graph_olap.styles import get_notebook_css

__all__ = [
    "HIDDEN",
    "badge",
    "card",
    "esc",
    "format_value",
    "id_ref",
    "is_secret_name",
    "kv_grid",
    "mask_secrets",
    "section",
    "status_class",
    "table",
    "wrap",
]

HIDDEN = '<span class="go-muted">set (hidden)</span>'
"""What a secret's value shows as."""

_SECRET_WORDS = ("api_key", "apikey", "secret", "password", "passwd", "token", "credential")

_STATUS_CLASSES = {
    "ok": {"running", "ready", "completed", "healthy", "succeeded", "success", "ok", "up"},
    "info": {
        "starting",
        "queued",
        "pending",
        "creating",
        "waiting_for_snapshot",
        "stopping",
        "exporting",
        "projecting",
        "computing",
        "writing",
        "in_progress",
    },
    "warn": {"degraded", "locked", "expiring"},
    "error": {"failed", "unhealthy", "error", "down", "not_ready"},
    "neutral": {"terminated", "cancelled", "unknown", "unlocked", "stopped", "deleted"},
}
_STATUS_OF = {status: kind for kind, names in _STATUS_CLASSES.items() for status in names}

MAX_TEXT = 120
"""Longer texts are cut (with an ellipsis) in cells and grid values."""


def is_secret_name(name: Any) -> bool:
    """Whether a field or key called ``name`` may hold a secret (a key, token, password):
    its value is never shown.

    Example:
        >>> is_secret_name("internal_api_key"), is_secret_name("primary_key")
        (True, False)
    """
    text = str(name).lower().replace("-", "_")
    return any(word in text for word in _SECRET_WORDS)


def mask_secrets(value: Any, name: Any = "") -> Any:
    """``value`` with the value of every secret-looking key (at any depth in dicts and
    lists) replaced by ``"***"``.

    Example:
        >>> mask_secrets({"api_key": "sk-1", "n": [{"token": "t"}]})
        {'api_key': '***', 'n': [{'token': '***'}]}
    """
    if value not in (None, "") and is_secret_name(name):
        return "***"
    if isinstance(value, Mapping):
        return {k: mask_secrets(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


_GETTERS = {
    "mapping": "client.mappings.get",
    "snapshot": "client.snapshots.get",
    "instance": "client.instances.get",
    "execution": "conn.algo.execution",
}


def id_ref(kind: str, value: Any, *, hash_sign: bool = True) -> str:
    """An id, styled as a reference, whose tooltip is the call that fetches it
    (``client.mappings.get(3)``): the link between cards in a notebook.

    Example:
        >>> id_ref("mapping", 3)
        '<span class="go-id" title="client.mappings.get(3)">#3</span>'
    """
    getter = _GETTERS.get(kind)
    shown = f"#{value}" if hash_sign else str(value)
    argument = repr(value) if isinstance(value, str) else value
    title = f' title="{esc(f"{getter}({argument})")}"' if getter else ""
    return f'<span class="go-id"{title}>{esc(shown)}</span>'


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def wrap(body: str) -> str:
    """A self-contained output: the CSS once, then ``body``, inside ``.go-root``."""
    return f'<div class="go-root"><style>{get_notebook_css()}</style>{body}</div>'


def status_class(status: str) -> str:
    """The badge class of a status: ``go-badge-ok`` (running, ready, completed),
    ``-info`` (starting, queued, pending), ``-error`` (failed), ``-neutral``
    (terminated, cancelled and anything unknown)."""
    return f"go-badge-{_STATUS_OF.get(str(status).strip().lower(), 'neutral')}"


def badge(status: Any, kind: str | None = None) -> str:
    """A status badge coloured by :func:`status_class`, or by ``kind`` (``ok``,
    ``info``, ``warn``, ``error``, ``neutral``) when given. A status this SDK does not
    know (:class:`~graph_olap.statuses.UnknownStatus`, from a newer platform) says so.

    Example:
        >>> badge(UnknownStatus("archived"))
        '<span class="go-badge go-badge-neutral" title="a status this SDK does not know \
(a newer platform sent it)">unknown status &#x27;archived&#x27;</span>'
    """
    cls = f"go-badge-{kind}" if kind else status_class(str(status))
    if isinstance(status, UnknownStatus):  # coloured by its word when that says enough
        title = ' title="a status this SDK does not know (a newer platform sent it)"'
        text = esc(f"unknown status {str(status)!r}")
        return f'<span class="go-badge {cls}"{title}>{text}</span>'
    return f'<span class="go-badge {cls}">{esc(status)}</span>'


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def format_value(value: Any, *, now: datetime.datetime | None = None) -> str:
    """One value as an HTML fragment: ``None`` as a muted dash, datetimes as relative
    times (the exact time in the tooltip), numbers grouped, long texts cut."""
    if value is None:
        return '<span class="go-muted">\u2014</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return f'<span title="{esc(value.isoformat())}">{esc(relative_time(value, now=now))}</span>'
    if isinstance(value, datetime.date):
        return esc(value.isoformat())
    if isinstance(value, int):
        return esc(f"{value:,}")
    if isinstance(value, float):
        return esc(f"{value:,.6g}" if abs(value) < 1e15 else f"{value:g}")
    if isinstance(value, decimal.Decimal):
        return esc(value)
    if isinstance(value, Mapping):
        if not value:
            return '<span class="go-muted">{}</span>'
        text = ", ".join(f"{k}: {_plain(v, k)}" for k, v in value.items())
        return f'<span class="go-mono">{esc(_cut("{" + text + "}"))}</span>'
    if isinstance(value, (list, tuple, set, frozenset)):
        if not value:
            return '<span class="go-muted">[]</span>'
        return esc(_cut(", ".join(_plain(v) for v in value)))
    text = str(value)
    return (
        f'<span title="{esc(text)}">{esc(_cut(text))}</span>' if len(text) > MAX_TEXT else esc(text)
    )


def _plain(value: Any, name: Any = "") -> str:
    """A short plain-text form of a nested value (escaped later by the caller); the
    value of a secret-looking ``name`` is masked."""
    if is_secret_name(name) and value not in (None, ""):
        return "***"
    if isinstance(value, Mapping):
        for key in ("name", "label", "type", "_label", "key"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return "{" + ", ".join(f"{k}: {_plain(v, k)}" for k, v in value.items()) + "}"
    if hasattr(value, "model_dump"):
        for key in ("name", "label", "type", "key"):
            text = getattr(value, key, None)
            if isinstance(text, str):
                return text
        return _plain(value.model_dump())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def kv_grid(pairs: Iterable[tuple[str, str]]) -> str:
    """A key/value grid; keys are escaped here, values must already be HTML fragments."""
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs)
    return f'<dl class="go-kv">{rows}</dl>'


def section(title: str, body: str) -> str:
    """A titled part of a card (``body`` is a fragment)."""
    return f'<div class="go-section"><div class="go-section-title">{esc(title)}</div>{body}</div>'


def card(kind: str, title: str | None, header_extra: str, body: str) -> str:
    """A card: a header (kind, escaped title, extra fragments such as ids and badges)
    above ``body``."""
    title_html = f'<span class="go-title">{esc(title)}</span>' if title else ""
    return (
        f'<div class="go-card"><div class="go-card-header"><span class="go-kind">{esc(kind)}'
        f"</span>{title_html}{header_extra}</div>{body}</div>"
    )


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    types: Sequence[str] | None = None,
    footer: str = "",
) -> str:
    """A table; column names (and types) are escaped here, cells must be fragments."""
    head = "".join(
        f"<th>{esc(c)}"
        + (f'<span class="go-type">{esc(types[i])}</span>' if types and i < len(types) else "")
        + "</th>"
        for i, c in enumerate(columns)
    )
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    foot = f'<div class="go-footer">{footer}</div>' if footer else ""
    return (
        f'<div class="go-table-wrap"><table class="go-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{foot}"
    )
