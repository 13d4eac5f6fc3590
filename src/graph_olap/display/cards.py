"""Cards: the HTML of one model (a generic layout from its fields, and better layouts
for mappings, snapshots, instances, executions, locks and health here, and for the
other models in :mod:`graph_olap.display.layouts`). A field whose name looks like a
secret (``api_key``, ``token``, ``password``...) shows only ``set (hidden)``."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
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
from graph_olap.display._time import duration, utcnow

__all__ = ["model_card", "model_html"]

_TITLE_FIELDS = ("name", "label", "algorithm", "job_name", "catalog_name")
_HEADER_FIELDS = frozenset({"id", "status"})
_ID_FIELDS = frozenset({"id", "execution_id", "holder_id"})
_REF_FIELDS = {"mapping_id": "mapping", "snapshot_id": "snapshot", "instance_id": "instance"}


def model_html(model: BaseModel) -> str:
    """The self-contained HTML output of a model (what ``_repr_html_`` returns)."""
    return wrap(model_card(model))


def model_card(model: BaseModel, *, now: datetime.datetime | None = None) -> str:
    """The card of one model: a layout for its class, else the generic one."""
    from graph_olap.display.layouts import LAYOUTS  # imports this module's helpers

    name = type(model).__name__
    layout = _LAYOUTS.get(name) or LAYOUTS.get(name)
    return layout(model, now) if layout else _generic(model, now)


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
    pairs = [(name, getattr(model, name)) for name in type(model).model_fields]
    pairs += list((model.model_extra or {}).items())
    return pairs


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


def _generic(model: BaseModel, now: datetime.datetime | None) -> str:
    title, extra = _header(model)
    return card(kind_of(model), title, extra, _grid(model, now))


_section = section


def _mapping(model: Any, now: datetime.datetime | None) -> str:
    title, extra = _header(model)
    extra += f'<span class="go-muted">v{esc(model.current_version)}</span>'
    body = _grid(model, now, skip=frozenset({"node_definitions", "edge_definitions"}))
    return card("Mapping", title, extra, body + definitions(model))


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
        body += _section("nodes", table(["label", "key", "properties"], nodes))
    edges = [
        (
            esc(e.type),
            esc(f"(:{e.from_node})-[:{e.type}]->(:{e.to_node})"),
            esc(", ".join(p.name for p in e.properties)),
        )
        for e in model.edge_definitions
    ]
    if edges:
        body += _section("edges", table(["type", "pattern", "properties"], edges))
    return body


def human_bytes(size: int) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def _snapshot(model: Any, now: datetime.datetime | None) -> str:
    title, extra = _header(model)
    pairs = [
        (
            "mapping",
            f"{id_ref('mapping', model.mapping_id)} v{esc(model.mapping_version)}",
        ),
        ("owner", esc(model.owner_username)),
    ]
    if model.size_bytes is not None:
        pairs.append(("size", esc(human_bytes(model.size_bytes))))
    skip = frozenset(
        {
            "mapping_id",
            "mapping_version",
            "owner_username",
            "size_bytes",
            "node_counts",
            "edge_counts",
        }
    )
    body = _grid(model, now, skip=skip, first=pairs)
    counts = [(esc(k), format_value(v)) for k, v in model.node_counts.items()]
    counts += [(esc(f"[:{k}]"), format_value(v)) for k, v in model.edge_counts.items()]
    if counts:
        body += _section("rows", table(["label / type", "count"], counts))
    return card("Snapshot", title, extra, body)


def _instance(model: Any, now: datetime.datetime | None) -> str:
    title, extra = _header(model)
    pairs = []
    if model.error_message:
        pairs.append(("error", f'<span class="go-error">{esc(model.error_message)}</span>'))
    if model.instance_url:
        pairs.append(("url", f'<span class="go-mono">{esc(model.instance_url)}</span>'))
    if model.in_cluster_url and model.in_cluster_url != model.instance_url:
        url = esc(model.in_cluster_url)
        pairs.append(("in-cluster url", f'<span class="go-mono">{url}</span>'))
    source = f"snapshot {id_ref('snapshot', model.snapshot_id)}"
    if model.mapping_id is not None:
        source += f" of mapping {id_ref('mapping', model.mapping_id)}"
        if model.mapping_version is not None:
            source += f" v{esc(model.mapping_version)}"
    pairs.append(("source", source))
    skip = frozenset(
        {
            "error_message",
            "instance_url",
            "in_cluster_url",
            "snapshot_id",
            "mapping_id",
            "mapping_version",
        }
    )
    return card("Instance", title, extra, _grid(model, now, skip=skip, first=pairs))


def _execution(model: Any, now: datetime.datetime | None) -> str:
    extra = f"{id_ref('execution', model.id, hash_sign=False)}{badge(model.status)}"
    pairs = [("kind / mode", esc(f"{model.kind} / {model.mode}"))]
    if model.error is not None:
        pairs.append(
            (
                "error",
                f'<span class="go-error">{esc(model.error.code)}: '
                f"{esc(model.error.message)}</span>",
            )
        )
    progress = model.progress
    if not model.is_finished:
        phase = (progress.phase if progress else "") or model.phase or ""
        steps = ""
        if progress is not None and progress.total_steps:
            steps = f" {progress.completed_steps}/{progress.total_steps}"
        message = f" \u2014 {progress.message}" if progress and progress.message else ""
        pairs.append(("progress", esc(f"{phase}{steps}{message}")))
        if model.started_at is not None:
            started = model.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=datetime.timezone.utc)
            elapsed = ((now or utcnow()) - started).total_seconds()
            pairs.append(("elapsed", esc(duration(elapsed))))
    elif model.duration_ms is not None:
        pairs.append(("took", esc(duration(model.duration_ms / 1000))))
    result = _result_size(model)
    if result:
        pairs.append(("result", esc(result)))
    skip = frozenset(
        {"kind", "mode", "error", "progress", "phase", "duration_ms", "summary", "parameters"}
    )
    body = _grid(model, now, skip=skip, first=pairs)
    if model.parameters:
        body += _section(
            "parameters",
            kv_grid((k, _field_value(k, v, now)) for k, v in model.parameters.items()),
        )
    figures = model.summary.as_dict()
    if figures:
        body += _section(
            "summary", kv_grid((k, format_value(v, now=now)) for k, v in figures.items())
        )
    return card("Algorithm execution", model.algorithm, extra, body)


def _result_size(model: Any) -> str:
    """``"34 rows"``, ``"77 nodes written to 'community'"``, with the projection's size."""
    summary = model.summary
    parts = []
    if model.mode == "mutate" and summary.nodes_written is not None:
        where = f" to {model.property!r}" if model.property else ""
        parts.append(f"{summary.nodes_written:,} nodes written{where}")
    elif summary.result_rows is not None:
        parts.append(f"{summary.result_rows:,} rows")
    if summary.nodes is not None:
        graph = f"{summary.nodes:,} nodes"
        if summary.relationships is not None:
            graph += f", {summary.relationships:,} relationships"
        parts.append(f"over {graph}" if parts else graph)
    return " ".join(parts)


def _lock(model: Any, now: datetime.datetime | None) -> str:
    if not model.locked:
        return card("Lock", None, badge("unlocked"), "")
    pairs = [
        ("held by", esc(model.holder_username or model.holder_name or "?")),
        ("algorithm", esc(model.algorithm or "?")),
        ("execution", f'<span class="go-id">{esc(model.execution_id or model.holder_id)}</span>'),
        ("since", format_value(model.locked_at, now=now)),
    ]
    return card("Lock", None, badge("locked"), kv_grid(pairs))


def _cluster_health(model: Any, now: datetime.datetime | None) -> str:
    rows = [
        (
            esc(name),
            badge(c.status),
            format_value(c.latency_ms),
            esc(c.message or ""),
        )
        for name, c in model.components.items()
    ]
    body = kv_grid([("checked", format_value(model.checked_at, now=now))])
    if rows:
        body += _section("components", table(["component", "status", "latency ms", ""], rows))
    return card("Cluster health", None, badge(model.status), body)


def _jobs(model: Any, now: datetime.datetime | None) -> str:
    rows = [
        (
            esc(j.name),
            badge(j.health_status),
            esc(j.schedule),
            format_value(j.last_run_at, now=now),
            format_value(j.next_run_at, now=now),
            f'<span class="go-error">{esc(j.last_error)}</span>' if j.last_error else "",
        )
        for j in model.jobs
    ]
    cols = ["job", "health", "schedule", "last run", "next run", "last error"]
    return card("Jobs", None, "", table(cols, rows))


_LAYOUTS: dict[str, Callable[[Any, datetime.datetime | None], str]] = {
    "Mapping": _mapping,
    "Snapshot": _snapshot,
    "Instance": _instance,
    "AlgorithmExecution": _execution,
    "LockStatus": _lock,
    "ClusterHealth": _cluster_health,
    "JobsStatus": _jobs,
}
