"""Wire shapes of jobs: one view of an export, an instance start, an algorithm execution
or a bulk delete (``GET /api/jobs``, ``GET /api/jobs/{job_id}``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from graph_olap_server.api.schemas.common import Out

__all__ = ["JOB_KINDS", "JOB_STATUSES", "JobListOut", "JobOut", "UnansweredOut"]

JobKind = Literal["export", "start", "algorithm", "bulk_delete"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_KINDS: tuple[str, ...] = ("export", "start", "algorithm", "bulk_delete")
JOB_STATUSES: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "cancelled")


class JobOut(Out):
    """One job.

    ``id`` encodes its kind and resource: ``export-<snapshot id>``, ``start-<instance
    id>``, ``algorithm-<instance id>-<execution id>``, ``bulk_delete-<id>``. ``status`` is
    the one job vocabulary; ``detail`` is the resource's own status (``creating``,
    ``waiting_for_snapshot``, ``completed``...). ``progress`` is ``completed / total`` (0..1)
    when the steps are known. ``result`` is the bulk delete's answer once it ended.
    """

    id: str
    kind: JobKind
    status: JobStatus
    detail: str
    phase: str | None
    completed: int
    total: int
    progress: float | None
    message: str
    error_message: str | None
    owner: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    snapshot_id: int | None
    instance_id: int | None
    execution_id: str | None
    result: dict[str, Any] | None


class UnansweredOut(Out):
    """A running instance whose wrapper did not answer: its executions are missing."""

    instance_id: int
    message: str


class JobListOut(Out):
    """The jobs found, newest first; ``partial`` when a wrapper did not answer (its
    executions are missing, ``unanswered`` says which and why)."""

    jobs: list[JobOut]
    partial: bool
    unanswered: list[UnansweredOut]
