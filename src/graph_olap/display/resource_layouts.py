"""Cards of the platform's main resources: mappings, snapshots, instances, algorithm
executions, locks, cluster health and jobs (each registered by type with
:func:`graph_olap.display.registry.layout`). The other models' cards are in
:mod:`graph_olap.display.layouts`."""

from __future__ import annotations

import datetime
from typing import Any

from graph_olap.display._html import badge, card, esc, format_value, id_ref, kv_grid, section, table
from graph_olap.display._time import duration, utcnow
from graph_olap.display.cards import _field_value, _grid, _header, definitions, human_bytes
from graph_olap.display.registry import layout
from graph_olap.models.algorithm import AlgorithmExecution
from graph_olap.models.instance import Instance, LockStatus
from graph_olap.models.mapping import Mapping
from graph_olap.models.ops import ClusterHealth, JobsStatus
from graph_olap.models.snapshot import Snapshot

__all__: list[str] = []


@layout(Mapping)
def _mapping(model: Any, now: datetime.datetime | None) -> str:
    title, extra = _header(model)
    extra += f'<span class="go-muted">v{esc(model.current_version)}</span>'
    body = _grid(model, now, skip=frozenset({"node_definitions", "edge_definitions"}))
    return card("Mapping", title, extra, body + definitions(model))


@layout(Snapshot)
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
        body += section("rows", table(["label / type", "count"], counts))
    return card("Snapshot", title, extra, body)


@layout(Instance)
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


@layout(AlgorithmExecution)
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
        body += section(
            "parameters",
            kv_grid((k, _field_value(k, v, now)) for k, v in model.parameters.items()),
        )
    figures = model.summary.as_dict()
    if figures:
        body += section(
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


@layout(LockStatus)
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


@layout(ClusterHealth)
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
        body += section("components", table(["component", "status", "latency ms", ""], rows))
    return card("Cluster health", None, badge(model.status), body)


@layout(JobsStatus)
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
