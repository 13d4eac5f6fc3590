"""Routes: background jobs, system state and export jobs (ops role)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import DbSession, OpsUser, PlatformDep
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.ops import (
    ExportJobOut,
    InstanceCountsOut,
    JobsStatusOut,
    JobTriggerOut,
    MappingCountsOut,
    StatusCountsOut,
    SystemStateOut,
    TriggerIn,
)
from graph_olap_server.errors import bad_request
from graph_olap_server.instance_lifecycle import LIVE_PROCESS_STATUSES
from graph_olap_server.metrics import (
    EXPORT_JOB_STATUSES,
    INSTANCE_STATUSES,
    SNAPSHOT_STATUSES,
    counts_by_status,
)
from graph_olap_server.services.listing import MAX_LIMIT

router = APIRouter(tags=["ops"], prefix="/ops")


@router.post("/jobs/trigger", summary="Run a background job now (rate limited per job)")
def trigger_job(body: TriggerIn, platform: PlatformDep, user: OpsUser) -> Envelope[JobTriggerOut]:
    """Runs the job synchronously and answers ``{"job_name", "status", "triggered_at",
    "triggered_by", "reason", "result"}``; 429 ``RATE_LIMITED`` (with ``Retry-After``)
    when the job was triggered less than the minimum interval ago."""
    result = platform.scheduler.trigger(body.job_name, user, body.reason)
    return Envelope(data=JobTriggerOut.model_validate(result))


@router.get("/jobs/status", summary="Schedule, last runs and health of every job")
def jobs_status(platform: PlatformDep, _user: OpsUser) -> Envelope[JobsStatusOut]:
    return Envelope(data=JobsStatusOut.model_validate({"jobs": platform.scheduler.status()}))


def _counts(session: Session, model: Any, statuses: tuple[str, ...]) -> StatusCountsOut:
    """``{"total", "by_status"}`` of a table, every status listed (zero included)."""
    by_status = counts_by_status(session, model, statuses)
    return StatusCountsOut(total=sum(by_status.values()), by_status=by_status)


@router.get("/state", summary="Counts of instances, snapshots, export jobs and mappings")
def system_state(session: DbSession, _user: OpsUser) -> Envelope[SystemStateOut]:
    counts = _counts(session, db.Instance, INSTANCE_STATUSES)
    without_pid = (
        session.scalar(
            select(func.count()).where(
                db.Instance.status.in_(LIVE_PROCESS_STATUSES), db.Instance.pid.is_(None)
            )
        )
        or 0
    )
    mappings = session.scalar(select(func.count()).select_from(db.Mapping)) or 0
    return Envelope(
        data=SystemStateOut(
            instances=InstanceCountsOut(**counts.model_dump(), without_pod_name=without_pid),
            snapshots=_counts(session, db.Snapshot, SNAPSHOT_STATUSES),
            export_jobs=_counts(session, db.ExportJob, EXPORT_JOB_STATUSES),
            mappings=MappingCountsOut(total=mappings),
        )
    )


@router.get("/export-jobs", summary="Export jobs, newest first")
def export_jobs(
    session: DbSession, _user: OpsUser, status: str | None = None, limit: int = MAX_LIMIT
) -> Envelope[list[ExportJobOut]]:
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}. Filter by status to "
            "find older export jobs.",
            field="limit",
        )
    query = select(db.ExportJob)
    if status is not None:
        if status not in EXPORT_JOB_STATUSES:
            raise bad_request(
                f"status must be one of {', '.join(EXPORT_JOB_STATUSES)}, got {status!r}.",
                field="status",
                valid=list(EXPORT_JOB_STATUSES),
            )
        query = query.where(db.ExportJob.status == status)
    rows = session.scalars(
        query.order_by(db.ExportJob.created_at.desc(), db.ExportJob.id.desc()).limit(limit)
    ).all()
    return Envelope(data=[ExportJobOut.from_row(j) for j in rows])
