"""Wire shapes of background jobs, system state and export jobs (ops role)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from graph_olap_server.api.schemas.common import Out, Strict

__all__ = [
    "ExportJobOut",
    "InstanceCountsOut",
    "JobStatusOut",
    "JobTriggerOut",
    "JobsStatusOut",
    "MappingCountsOut",
    "StatusCountsOut",
    "SystemStateOut",
    "TriggerIn",
]


class TriggerIn(Strict):
    job_name: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class JobTriggerOut(Out):
    """What a manual run did; ``result`` is ``{"error": ...}`` when it failed."""

    job_name: str
    status: str
    triggered_at: dt.datetime
    triggered_by: str
    reason: str
    result: dict[str, Any] | None


class JobStatusOut(Out):
    """One job's schedule, last runs and health (``healthy``, ``degraded``,
    ``unhealthy`` or ``unknown`` before its first run)."""

    name: str
    schedule: str
    interval_seconds: int | float | None
    last_run_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_error: str | None
    last_result: dict[str, Any] | None
    consecutive_failures: int
    run_count: int
    health_status: str
    next_run_at: dt.datetime | None


class JobsStatusOut(Out):
    jobs: list[JobStatusOut]


class StatusCountsOut(Out):
    """``total`` and the count of each status (every status listed, zero included)."""

    total: int
    by_status: dict[str, int]


class InstanceCountsOut(StatusCountsOut):
    """Instance counts, and how many live ones have no process id yet."""

    without_pod_name: int


class MappingCountsOut(Out):
    total: int


class SystemStateOut(Out):
    instances: InstanceCountsOut
    snapshots: StatusCountsOut
    export_jobs: StatusCountsOut
    mappings: MappingCountsOut


class ExportJobOut(Out):
    """One export job of a snapshot (a node label or an edge type)."""

    id: int
    snapshot_id: int
    entity_type: str
    entity_name: str
    status: str
    attempts: int
    row_count: int | None
    error_message: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
