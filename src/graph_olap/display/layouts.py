"""Cards of the models other than the main resources (those are in
:mod:`graph_olap.display.resource_layouts`): the graph schema, algorithm descriptions,
mapping diffs, versions and trees, progress documents, warehouse tables, and the
operations models (configuration, cluster, maintenance), each registered by type with
:func:`graph_olap.display.registry.layout`. See ``docs/notebook.md`` for what each one shows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from graph_olap.display._html import (
    badge,
    card,
    esc,
    format_value,
    id_ref,
    kv_grid,
    section,
    table,
)
from graph_olap.display._time import duration
from graph_olap.display.cards import _field_value, _grid, _header, definitions, human_bytes
from graph_olap.display.registry import layout
from graph_olap.models.algorithm import AlgorithmInfo, AlgorithmParameter, AlgorithmProgress
from graph_olap.models.dry_run import DryRunReport
from graph_olap.models.graph import GraphSchema, NodeLabelSchema, RelationshipTypeSchema
from graph_olap.models.instance import InstanceProgress
from graph_olap.models.mapping import (
    EdgeDefinition,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
)
from graph_olap.models.ops import (
    BulkDeleteResult,
    ClusterInstances,
    HealthStatus,
    InstanceLimits,
    JobTriggerResult,
    LifecycleConfig,
    MaintenanceMode,
    SystemState,
)
from graph_olap.models.schema import Column, Table
from graph_olap.models.snapshot import SnapshotProgress

__all__: list[str] = []

Now = datetime.datetime | None

_CHANGE_KIND = {"added": "ok", "removed": "error", "modified": "warn"}
_SIGN = {"added": "+", "removed": "-", "modified": "~"}


def _wrapped(fragment: str) -> str:
    """A cell fragment that wraps instead of being cut (table cells are one line)."""
    return f'<div class="go-wrap">{fragment}</div>' if fragment else ""


def _mono(value: Any) -> str:
    return f'<span class="go-mono">{esc(value)}</span>'


def _muted(text: str) -> str:
    return f'<span class="go-muted">{esc(text)}</span>'


def _props(properties: Iterable[Any]) -> str:
    """``name STRING, city STRING`` with the types muted."""
    parts = [f"{esc(p.name)} {_muted(p.type)}" for p in properties]
    return ", ".join(parts) if parts else _muted("\u2014")


def _count_sum(items: Iterable[Any]) -> int | None:
    counts = [i.count for i in items if i.count is not None]
    return sum(counts) if counts else None


# -- the graph schema ---------------------------------------------------------------


def _node_rows(nodes: Iterable[Any]) -> list[tuple[str, ...]]:
    return [
        (
            esc(f"(:{n.label})"),
            f"{_mono(n.primary_key.name)} {_muted(n.primary_key.type)}" if n.primary_key else "",
            _props(n.properties),
            format_value(n.count),
        )
        for n in nodes
    ]


def _rel_rows(rels: Iterable[Any]) -> list[tuple[str, ...]]:
    return [
        (
            esc(f"(:{r.from_node or '?'})-[:{r.type}]->(:{r.to_node or '?'})"),
            _props(r.properties),
            format_value(r.count),
        )
        for r in rels
    ]


@layout(GraphSchema)
def _graph_schema(model: Any, now: Now) -> str:
    nodes, rels = model.node_labels, model.relationship_types
    total_nodes, total_rels = _count_sum(nodes), _count_sum(rels)
    head = f"{len(nodes)} node labels \u00b7 {len(rels)} relationship types"
    if total_nodes is not None:
        head += f" \u00b7 {total_nodes:,} nodes"
    if total_rels is not None:
        head += f", {total_rels:,} relationships"
    body = f'<div class="go-muted">{esc(head)}</div>'
    if nodes:
        cols = ["label", "primary key", "properties", "nodes"]
        body += section("node labels", table(cols, _node_rows(nodes)))
    if rels:
        cols = ["pattern", "properties", "relationships"]
        body += section("relationship types", table(cols, _rel_rows(rels)))
    if not nodes and not rels:
        body += _muted("the graph is empty")
    return card("Graph schema", None, "", body)


@layout(NodeLabelSchema)
def _node_label(model: Any, now: Now) -> str:
    cols = ["label", "primary key", "properties", "nodes"]
    return card("Node label", model.label, "", table(cols, _node_rows([model])))


@layout(RelationshipTypeSchema)
def _rel_type(model: Any, now: Now) -> str:
    cols = ["pattern", "properties", "relationships"]
    return card("Relationship type", model.type, "", table(cols, _rel_rows([model])))


# -- algorithms ---------------------------------------------------------------------


def _param_rows(params: Iterable[Any]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for p in params:
        limits = []
        if p.minimum is not None or p.maximum is not None:
            low = "" if p.minimum is None else f"{p.minimum:g}"
            high = "" if p.maximum is None else f"{p.maximum:g}"
            limits.append(f"[{low}, {high}]")
        if p.choices:
            limits.append("one of " + ", ".join(str(c) for c in p.choices))
        default = badge("required", "warn") if p.required else _mono(repr(p.default))
        rows.append(
            (
                _mono(p.name),
                esc(p.type),
                default,
                esc(" ".join(limits)),
                _wrapped(esc(p.description)),
            )
        )
    return rows


@layout(AlgorithmInfo)
def _algorithm_info(model: Any, now: Now) -> str:
    extra = badge(model.kind, "info")
    pairs = []
    if model.title or model.description:
        about = " \u2014 ".join(t for t in (model.title, model.description) if t)
        pairs.append(("about", esc(about)))
    pairs.append(("modes", esc(", ".join(model.modes))))
    if model.result_columns:
        pairs.append(("result columns", _mono(", ".join(model.result_columns))))
    if model.default_property:
        pairs.append(("mutate writes", _mono(model.default_property)))
    if model.orientations or model.default_orientation:
        text = ", ".join(model.orientations) or ""
        if model.default_orientation:
            text += f" (default {model.default_orientation})"
        pairs.append(("orientation", esc(text.strip())))
    pairs.append(("weighted", format_value(model.weighted)))
    body = kv_grid(pairs)
    if model.signature:
        body += section("signature", f'<div class="go-code">{esc(model.signature)}</div>')
    if model.parameters:
        cols = ["parameter", "type", "default", "range", "description"]
        body += section("parameters", table(cols, _param_rows(model.parameters)))
    if model.documentation:
        first = model.documentation.strip().split("\n\n")[0]
        body += section("documentation", f'<div class="go-code">{esc(first)}</div>')
    return card("Algorithm", model.name, extra, body)


@layout(AlgorithmParameter)
def _algorithm_parameter(model: Any, now: Now) -> str:
    cols = ["parameter", "type", "default", "range", "description"]
    return card("Parameter", None, "", table(cols, _param_rows([model])))


@layout(AlgorithmProgress)
def _algorithm_progress(model: Any, now: Now) -> str:
    steps = f" {model.completed_steps}/{model.total_steps}" if model.total_steps else ""
    pairs = [("phase", esc(f"{model.phase or '-'}{steps}"))]
    if model.message:
        pairs.append(("message", esc(model.message)))
    return card("Algorithm progress", None, "", kv_grid(pairs))  # no token: it is internal


# -- mappings -----------------------------------------------------------------------


def _diff_summary(model: Any) -> str:
    parts = []
    for what, changes in (("node labels", model.nodes), ("edge types", model.edges)):
        counts = [sum(1 for c in changes if c.change == kind) for kind in _CHANGE_KIND]
        shown = [
            badge(f"{_SIGN[change]}{n} {change}", _CHANGE_KIND[change])
            for change, n in zip(_CHANGE_KIND, counts, strict=True)
            if n
        ]
        if shown:
            parts.append(f"{esc(what)} {' '.join(shown)}")
    return " \u00b7 ".join(parts) if parts else _muted("no differences")


def _change_detail(change: Any) -> str:
    if change.change == "modified":
        before, after = change.before or {}, change.after or {}
        lines = [
            f"{_mono(f + ':')} {format_value(before.get(f))} \u2192 {format_value(after.get(f))}"
            for f in change.fields_changed
        ]
        return "<br>".join(lines)
    definition = change.after if change.change == "added" else change.before
    return format_value((definition or {}).get("sql"))


@layout(MappingDiff)
def _mapping_diff(model: Any, now: Now) -> str:
    sides = ["unsaved" if v is None else f"v{v}" for v in (model.from_version, model.to_version)]
    title = f"{sides[0]} \u2192 {sides[1]}"  # a side is unsaved in graph_olap.utils.diff
    extra = "" if model.mapping_id is None else id_ref("mapping", model.mapping_id)
    body = f"<div>{_diff_summary(model)}</div>"
    rows = [
        (
            esc(kind),
            esc(c.key),
            badge(f"{_SIGN.get(c.change, '')}{c.change}", _CHANGE_KIND.get(c.change, "neutral")),
            _wrapped(_change_detail(c)),
        )
        for kind, changes in (("node", model.nodes), ("edge", model.edges))
        for c in changes
    ]
    if rows:
        body += section("changes", table(["", "label / type", "change", "what"], rows))
    return card("Mapping diff", title, extra, body)


def _checked(d: Any) -> str:
    """What a definition's row of the dry run card says about it."""
    found = [f"{t.count} {t.column} not {t.type}" for t in d.type_errors]
    if hasattr(d, "duplicate_keys"):  # a node definition
        if d.duplicate_keys.count:
            found.insert(0, f"{d.duplicate_keys.count} duplicate keys")
        if d.null_keys:
            found.insert(0, f"{d.null_keys} NULL keys")
    else:
        found[:0] = [f"{x.edges} dangling {x.end} ({x.key})" for x in d.dangling if x.edges]
    shown = badge("; ".join(found), "error") if found else badge("ok", "ok")
    how = "" if d.exact else " " + _muted(f"sample of {d.sampled_rows:,} rows")
    return shown + how


@layout(DryRunReport)
def _dry_run_report(model: Any, now: Now) -> str:  # helper L4, issue 15
    saved = model.mapping_id is not None
    title = f"v{model.mapping_version}" if saved else "unsaved definitions"
    extra = id_ref("mapping", model.mapping_id) if saved else ""
    problems = len(model.problems)
    extra += badge("ok", "ok") if model.ok else badge(f"{problems} problem(s)", "error")
    if not model.exact:
        extra += badge("sampled", "warn")
    est = model.estimate
    body = kv_grid(
        [
            ("memory (est.)", esc(human_bytes(est.memory_bytes))),
            ("disk (est.)", esc(human_bytes(est.disk_bytes))),
            ("load time (est.)", esc(duration(est.load_seconds))),
            ("checked in", esc(duration(model.seconds or 0.0))),
        ]
    )
    rows = [("node", esc(n.label), f"{n.row_count:,}", _checked(n)) for n in model.nodes]
    rows += [("edge", esc(e.type), f"{e.row_count:,}", _checked(e)) for e in model.edges]
    body += section("definitions", table(["", "label / type", "rows", "checks"], rows))
    if model.problems:
        body += section("problems", "<br>".join(esc(p) for p in model.problems))
    return card("Dry run", title, extra, body)


@layout(MappingVersion)
def _mapping_version(model: Any, now: Now) -> str:
    extra = id_ref("mapping", model.mapping_id)
    body = _grid(model, now, skip=frozenset({"node_definitions", "edge_definitions", "version"}))
    return card("Mapping version", f"v{model.version}", extra, body + definitions(model))


@layout(MappingTree)
def _mapping_tree(model: Any, now: Now) -> str:
    extra = id_ref("mapping", model.mapping_id)
    extra += _muted(f"v{model.current_version}")
    rows = []
    for v in model.versions:
        snapshots = v.get("snapshots") or []
        version = f"v{v.get('version')}"
        if not snapshots:
            rows.append((esc(version), _muted("no snapshots"), "", ""))
        for snap in snapshots:
            instances = snap.get("instances") or []
            inst = " ".join(
                f'<span class="go-id">#{esc(i.get("id"))}</span> {esc(i.get("name"))} '
                + badge(i.get("status", ""))
                for i in instances
            )
            rows.append(
                (
                    esc(version),
                    f'<span class="go-id">#{esc(snap.get("id"))}</span> {esc(snap.get("name"))}',
                    badge(snap.get("status", "")),
                    inst or _muted("\u2014"),
                )
            )
            version = ""
    body = table(["version", "snapshot", "status", "instances"], rows) if rows else ""
    return card("Mapping tree", model.name, extra, body)


@layout(NodeDefinition, EdgeDefinition)
def _definition(model: Any, now: Now) -> str:
    if hasattr(model, "label"):
        key = model.primary_key
        pairs = [("primary key", f"{_mono(key.name)} {_muted(key.type)}")]
        kind, title = "Node definition", model.label
    else:
        pairs = [
            ("pattern", esc(f"(:{model.from_node})-[:{model.type}]->(:{model.to_node})")),
            ("keys", f"{_mono(model.from_key)} \u2192 {_mono(model.to_key)}"),
        ]
        kind, title = "Edge definition", model.type
    pairs.append(("properties", _props(model.properties)))
    body = kv_grid(pairs) + section("sql", f'<div class="go-code">{esc(model.sql)}</div>')
    return card(kind, title, "", body)


# -- progress -----------------------------------------------------------------------


def _step_name(step: dict[str, Any]) -> str:
    """``node:Customer`` as sent, or ``node Customer`` when the name lacks the kind."""
    name, kind = str(step.get("name", "")), str(step.get("kind", ""))
    return name if not kind or name.startswith(f"{kind}:") else f"{kind} {name}".strip()


@layout(InstanceProgress, SnapshotProgress)
def _progress(model: Any, now: Now) -> str:
    kind = type(model).__name__.replace("Progress", " progress")
    extra = f'<span class="go-id">#{esc(model.id)}</span>'
    if model.status:
        extra += badge(model.status)
    steps = f" \u00b7 {model.completed_steps}/{model.total_steps} steps" if model.steps else ""
    pairs = [("phase", esc(f"{model.phase or '-'}{steps} \u00b7 {model.progress_percent}%"))]
    if model.error_message:
        pairs.append(("error", f'<span class="go-error">{esc(model.error_message)}</span>'))
    if model.current_step:
        pairs.append(("current step", _mono(model.current_step)))
    if model.started_at is not None:
        pairs.append(("started", format_value(model.started_at, now=now)))
    if model.estimated_remaining_seconds is not None:
        pairs.append(("remaining", esc(f"about {duration(model.estimated_remaining_seconds)}")))
    body = kv_grid(pairs)
    rows = [
        (
            esc(step.get("stage") or ""),
            esc(_step_name(step)),
            badge(step.get("status", "")),
            format_value(step.get("row_count")),
            esc(duration(step["duration_ms"] / 1000)) if step.get("duration_ms") else "",
            _wrapped(f'<span class="go-error">{esc(step["error"])}</span>')
            if step.get("error")
            else "",
        )
        for step in model.steps
    ]
    if rows:
        cols = ["stage", "step", "status", "rows", "took", "error"]
        body += section("steps", table(cols, rows))
    return card(kind, None, extra, body)


# -- warehouse metadata -------------------------------------------------------------


@layout(Table)
def _table(model: Any, now: Now) -> str:
    pairs = [
        ("type", esc(model.table_type)),
        ("columns", format_value(model.column_count)),
    ]
    return card("Table", model.qualified_name, "", kv_grid(pairs))


@layout(Column)
def _column(model: Any, now: Now) -> str:
    where = f"{model.catalog_name}.{model.schema_name}.{model.table_name}"
    pairs = [
        ("type", _mono(model.data_type)),
        ("nullable", format_value(model.is_nullable)),
        ("position", format_value(model.ordinal_position)),
        ("table", _mono(where)),
    ]
    return card("Column", model.column_name, "", kv_grid(pairs))


# -- operations ---------------------------------------------------------------------


@layout(HealthStatus)
def _health_status(model: Any, now: Now) -> str:
    return card("Health", None, badge(model.status), _grid(model, now))


@layout(LifecycleConfig)
def _lifecycle(model: Any, now: Now) -> str:
    rows = [
        (
            esc(name),
            format_value(cfg.default_ttl),
            format_value(cfg.default_inactivity),
            format_value(cfg.max_ttl),
        )
        for name, cfg in (
            ("mapping", model.mapping),
            ("snapshot", model.snapshot),
            ("instance", model.instance),
        )
    ]
    cols = ["resource", "default ttl", "default inactivity", "max ttl"]
    body = table(cols, rows)
    if model.updated_at is not None or model.updated_by:
        who = f" by {esc(model.updated_by)}" if model.updated_by else ""
        body += kv_grid([("updated", format_value(model.updated_at, now=now) + who)])
    return card("Lifecycle config", None, "", body)


@layout(MaintenanceMode)
def _maintenance(model: Any, now: Now) -> str:
    state = badge("on", "warn") if model.enabled else badge("off", "ok")
    return card("Maintenance mode", None, state, _grid(model, now, skip=frozenset({"enabled"})))


def _limits_text(limits: Any) -> str:
    return (
        f"{limits.cluster_used:,} of {limits.cluster_total:,} used, "
        f"{limits.cluster_available:,} free, {limits.per_analyst:,} per analyst"
    )


@layout(InstanceLimits)
def _instance_limits(model: Any, now: Now) -> str:
    kind = "warn" if model.cluster_available <= 0 else "ok"
    extra = badge(f"{model.cluster_available} free", kind)
    return card("Instance limits", None, extra, kv_grid([("instances", esc(_limits_text(model)))]))


@layout(ClusterInstances)
def _cluster_instances(model: Any, now: Now) -> str:
    extra = _muted(f"{model.total:,} instances")
    statuses = " ".join(
        f"{badge(status)} {format_value(n)}" for status, n in sorted(model.by_status.items())
    )
    pairs = [("by status", statuses or _muted("none")), ("limits", esc(_limits_text(model.limits)))]
    body = kv_grid(pairs)
    if model.by_owner:
        cols = list(dict.fromkeys(k for row in model.by_owner for k in row))
        rows = [[_field_value(c, row.get(c), now) for c in cols] for row in model.by_owner]
        body += section("by owner", table(cols, rows))
    return card("Cluster instances", None, extra, body)


def _state_value(name: str, value: Any, now: Now) -> str:
    if name == "by_status" and isinstance(value, dict):  # every status is listed: show the used
        used = [f"{badge(s)} {format_value(n)}" for s, n in value.items() if n != 0]
        return " ".join(used) or _muted("none")
    return _field_value(name, value, now)


@layout(SystemState)
def _system_state(model: Any, now: Now) -> str:
    body = ""
    for name in ("mappings", "snapshots", "instances", "export_jobs"):
        value = getattr(model, name)
        if value:
            pairs = [(str(k), _state_value(str(k), v, now)) for k, v in value.items()]
            body += section(name.replace("_", " "), kv_grid(pairs))
    return card("System state", None, "", body or _muted("empty"))


@layout(BulkDeleteResult)
def _bulk_delete(model: Any, now: Now) -> str:
    extra = badge("dry run", "info") if model.dry_run else ""
    kind = "error" if model.failed_ids else "ok"
    pairs = [
        ("matched", f"{model.matched_count:,} {esc(model.resource_type)}"),
        ("ids", format_value(model.matched_ids)),
    ]
    if not model.dry_run:
        pairs.append(("deleted", badge(f"{model.deleted_count:,} deleted", kind)))
    if model.failed_ids:
        pairs.append(("failed", f'<span class="go-error">{format_value(model.failed_ids)}</span>'))
    for err in model.errors:
        pairs.append(("error", f'<span class="go-error">{format_value(err)}</span>'))
    return card("Bulk delete", None, extra, kv_grid(pairs))


@layout(JobTriggerResult)
def _job_trigger(model: Any, now: Now) -> str:
    title, extra = _header(model)
    return card("Job run", title, extra, _grid(model, now))
