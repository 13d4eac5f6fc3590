"""Cards: the HTML of one model. The layout registered for the model's type
(:mod:`graph_olap.display.registry`; the layouts are in
:mod:`graph_olap.display.resource_layouts` and :mod:`graph_olap.display.layouts`), else
a generic card from its fields; and the helpers the layouts share. A field whose name
looks like a secret (``api_key``, ``token``, ``password``...) shows only
``set (hidden)``; fields a newer platform added show in a last section."""

from __future__ import annotations

import datetime
import re
from typing import Any

from pydantic import BaseModel

from graph_olap.display._html import (
    HIDDEN,
    badge,
    card,
    esc,
    format_value,
    id_ref,
    is_secret_name,
    kv_grid,
    section,
    table,
    wrap,
)
from graph_olap.display.registry import layout_of

__all__ = ["generic_card", "model_card", "model_html"]

_TITLE_FIELDS = ("name", "label", "algorithm", "job_name", "catalog_name")
_HEADER_FIELDS = frozenset({"id", "status"})
_ID_FIELDS = frozenset({"id", "execution_id", "holder_id"})
_REF_FIELDS = {"mapping_id": "mapping", "snapshot_id": "snapshot", "instance_id": "instance"}


def model_html(model: BaseModel, *, key: type | None = None) -> str:
    """The self-contained HTML output of a model (what ``_repr_html_`` returns).

    Example:
        >>> model_html(client.mappings.get(1)).startswith("<div")
        True
    """
    return wrap(model_card(model, key=key))


def model_card(
    model: BaseModel, *, now: datetime.datetime | None = None, key: type | None = None
) -> str:
    """The card of one model: the layout registered for its type (``key`` when given:
    a ``ModelDict`` passes its own class), else the generic card.

    Example:
        >>> "Snapshot" in model_card(client.snapshots.get(3))
        True
    """
    drawn = layout_of(key or type(model))
    html = drawn(model, now) if drawn else generic_card(model, now)
    return _with_newer_fields(html, model, now) if model.model_extra else html


NEWER_FIELDS = "fields from a newer platform"
"""The title of the card section that shows the fields this SDK does not know."""


def _with_newer_fields(html: str, model: BaseModel, now: datetime.datetime | None) -> str:
    """The card with a section of the model's unknown fields (kept by the models, sent by
    a newer platform) at the end of its body, whatever its layout."""
    pairs = [(str(k), _field_value(str(k), v, now)) for k, v in (model.model_extra or {}).items()]
    newer = section(NEWER_FIELDS, kv_grid(pairs))
    closing = "</div>"  # a card ends with the close of its own div (display._html.card)
    if not html.endswith(closing):  # pragma: no cover - every layout returns a card
        return html + newer
    return html[: -len(closing)] + newer + closing


def _header(model: BaseModel, skip_title: str | None = None) -> tuple[str | None, str]:
    fields = type(model).model_fields
    title_field = next((f for f in _TITLE_FIELDS if f in fields and f != skip_title), None)
    title = getattr(model, title_field) if title_field else None
    extra = ""
    if "id" in fields and getattr(model, "id", None) is not None:
        extra += id_ref(type(model).__name__.lower(), model.id)  # type: ignore[attr-defined]
    status = getattr(model, "status", None) if "status" in fields else None
    if isinstance(status, str) and status:
        extra += badge(status)
    return (None if title is None else str(title)), extra


def _field_value(name: str, value: Any, now: datetime.datetime | None) -> str:
    if is_secret_name(name):
        return HIDDEN if value not in (None, "") else format_value(None)
    if name in _REF_FIELDS and value is not None:
        return id_ref(_REF_FIELDS[name], value)
    if name in _ID_FIELDS and value is not None:
        return f'<span class="go-id">{esc(value)}</span>'
    if name.endswith("status") and isinstance(value, str) and value:
        return badge(value)
    if name in {"error_message", "last_error"} and value:
        return f'<span class="go-error">{esc(value)}</span>'
    if isinstance(value, BaseModel):
        pairs = [(k, format_value(v, now=now)) for k, v in _fields(value)]
        return kv_grid(pairs) if pairs else format_value(None)
    return format_value(value, now=now)


def _fields(model: BaseModel) -> list[tuple[str, Any]]:
    """The declared fields (the unknown ones have their own section: model_card)."""
    return [(name, getattr(model, name)) for name in type(model).model_fields]


def _grid(
    model: BaseModel,
    now: datetime.datetime | None,
    *,
    skip: frozenset[str] = frozenset(),
    hide_empty: bool = True,
    first: list[tuple[str, str]] | None = None,
) -> str:
    """The key/value grid of the model's fields (``first`` pairs on top), leaving out
    the header's fields, ``skip`` and (``hide_empty``) empty values."""
    title_field = next((f for f in _TITLE_FIELDS if f in type(model).model_fields), None)
    pairs = list(first or [])
    for name, value in _fields(model):
        if name in skip or name in _HEADER_FIELDS or name == title_field:
            continue
        if hide_empty and value in (None, "", [], {}):
            continue
        pairs.append((name, _field_value(name, value, now)))
    return kv_grid(pairs)


def kind_of(model: BaseModel) -> str:
    """The card's kind: the class name in words (``ConcurrencyConfig`` -> ``Concurrency
    config``)."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", type(model).__name__)
    return " ".join([words[0], *(w.lower() for w in words[1:])]) if words else "Object"


def generic_card(model: BaseModel, now: datetime.datetime | None) -> str:
    """The card any model gets when no layout is registered for its type: its title,
    id and status in the header, its fields (unknown ones included) in a grid.

    Example:
        >>> "Favorite" in generic_card(client.favorites.list()[0], None)
        True
    """
    title, extra = _header(model)
    return card(kind_of(model), title, extra, _grid(model, now))


def definitions(model: Any) -> str:
    """The sections of a mapping's (or a version's) node labels and edge types."""
    body = ""
    nodes = [
        (
            esc(n.label),
            f'<span class="go-mono">{esc(n.primary_key.name)}</span>',
            esc(", ".join(p.name for p in n.properties)),
        )
        for n in model.node_definitions
    ]
    if nodes:
        body += section("nodes", table(["label", "key", "properties"], nodes))
    edges = [
        (
            esc(e.type),
            esc(f"(:{e.from_node})-[:{e.type}]->(:{e.to_node})"),
            esc(", ".join(p.name for p in e.properties)),
        )
        for e in model.edge_definitions
    ]
    if edges:
        body += section("edges", table(["type", "pattern", "properties"], edges))
    return body


def human_bytes(size: int) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
