"""The notebook card of a job (:class:`~graph_olap.models.job.JobRecord`, shown by a
:class:`~graph_olap.Job` handle): kind, status, progress, resource and message."""

from __future__ import annotations

import datetime
from typing import Any

from graph_olap.display._html import badge, card, esc, format_value, kv_grid, section, table
from graph_olap.display.registry import layout
from graph_olap.models.job import JobList, JobRecord

__all__: list[str] = []

_TONE = {
    "succeeded": "ok",
    "running": "info",
    "queued": "info",
    "failed": "error",
    "cancelled": "neutral",
}


def _done(model: Any) -> str:
    if model.total:
        share = f" ({model.progress:.0%})" if model.progress is not None else ""
        return esc(f"{model.completed}/{model.total} steps{share}")
    return format_value(model.progress)


def _pairs(model: Any, now: datetime.datetime | None) -> list[tuple[str, str]]:
    pairs = [
        ("kind", esc(model.kind)),
        ("detail", esc(model.detail)),
        ("phase", format_value(model.phase)),
        ("progress", _done(model)),
        ("owner", esc(model.owner)),
        ("started", format_value(model.created_at, now=now)),
    ]
    for name in ("snapshot_id", "instance_id", "execution_id"):
        value = getattr(model, name)
        if value is not None:
            pairs.append((name.replace("_", " "), esc(value)))
    if model.error_message:
        pairs.append(("error", esc(model.error_message)))
    if model.message:
        pairs.append(("message", esc(model.message)))
    pairs.append(("again", f"<code>client.jobs.get({esc(repr(model.id))})</code>"))
    return pairs


@layout(JobRecord)
def _job(model: Any, now: datetime.datetime | None) -> str:
    extra = badge(model.status, _TONE.get(str(model.status)))
    return card("Job", model.id, extra, kv_grid(_pairs(model, now)))


@layout(JobList)
def _job_list(model: Any, now: datetime.datetime | None) -> str:
    rows = [
        (
            f"<code>{esc(j.id)}</code>",
            badge(j.status, _TONE.get(str(j.status))),
            _done(j),
            esc(j.message),
        )
        for j in model.jobs
    ]
    body = table(["id", "status", "progress", "message"], rows)
    if model.partial:
        body += section("not answered", esc(" ".join(u.message for u in model.unanswered)))
    count = len(model.jobs)
    return card("Jobs", f"{count} job" if count == 1 else f"{count} jobs", "", body)
