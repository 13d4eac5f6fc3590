"""A job's view of each resource: a snapshot's export, an instance's start, an algorithm
execution (as its wrapper reports it) and a recorded bulk delete, as one
:class:`~graph_olap_server.api.schemas.jobs.JobOut` with the one status vocabulary
(``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from graph_olap_server import db
from graph_olap_server.api.schemas.jobs import JobOut
from graph_olap_server.errors import APIError
from graph_olap_server.runtime import instance_progress

__all__ = [
    "ACTIVE_STATUSES",
    "JobRef",
    "algorithm_job",
    "bulk_delete_job",
    "export_job",
    "job_not_found",
    "parse_job_id",
    "start_job",
]

ACTIVE_STATUSES = frozenset({"queued", "running"})
_EXPORT = {"pending": "queued", "creating": "running", "ready": "succeeded", "failed": "failed"}
_START = {
    "waiting_for_snapshot": "queued",
    "starting": "running",
    "running": "succeeded",
    "failed": "failed",
    "stopping": "cancelled",
    "terminated": "cancelled",
}
_EXECUTION = {"completed": "succeeded"}
_ID = re.compile(
    r"^(export|start|bulk_delete)-([1-9][0-9]{0,17})$|^algorithm-([1-9][0-9]{0,17})-(.{1,80})$"
)


def job_not_found(job_id: str, why: str = "no job has that id") -> APIError:
    """404 ``JOB_NOT_FOUND``: what job ids look like and how to list them."""
    return APIError(
        404,
        "JOB_NOT_FOUND",
        f"Job {job_id!r} not found: {why}. Job ids look like export-12, start-34, "
        "algorithm-7-ex-4f3a9c1b or bulk_delete-5; list yours with client.jobs.list() "
        "(GET /api/jobs).",
        {"job_id": job_id},
    )


class JobRef:
    """A parsed job id: its kind, the resource's integer id and, for an algorithm
    execution, the execution's id.

    Example:
        >>> ref = parse_job_id("algorithm-7-ex-4f3a")
        >>> ref.kind, ref.number, ref.execution_id
        ('algorithm', 7, 'ex-4f3a')
    """

    def __init__(self, kind: str, number: int, execution_id: str | None = None) -> None:
        self.kind = kind
        self.number = number
        self.execution_id = execution_id


def parse_job_id(job_id: str) -> JobRef:
    """The kind and ids a job id encodes; 404 ``JOB_NOT_FOUND`` when it is no job id.

    Example:
        >>> parse_job_id("export-12").number
        12
    """
    match = _ID.match(job_id)
    if match is None:
        raise job_not_found(job_id, "that is not a job id")
    if match.group(1):
        return JobRef(match.group(1), int(match.group(2)))
    return JobRef("algorithm", int(match.group(3)), match.group(4))


def _fraction(status: str, completed: int, total: int) -> float | None:
    """How far a job is: 1.0 once it succeeded, else its share of steps (None: unknown)."""
    if status == "succeeded":
        return 1.0
    return round(completed / total, 4) if total else None


def _steps(progress: dict[str, Any]) -> tuple[int, int]:
    steps = list(progress.get("steps") or [])
    return sum(1 for s in steps if s.get("status") == "completed"), len(steps)


def export_job(snapshot: db.Snapshot) -> JobOut:
    """The export of ``snapshot`` as a job (``export-<snapshot id>``).

    Example:
        >>> export_job(snapshot).status
        'running'
    """
    status = _EXPORT.get(snapshot.status, "running")
    error = snapshot.error_message
    if status == "failed" and error and "was cancelled by" in error:
        status = "cancelled"
    progress = dict(snapshot.progress or {})
    completed, total = _steps(progress)
    if status == "succeeded":
        completed = total
    phase = str(progress.get("phase") or snapshot.status)
    return JobOut(
        id=f"export-{snapshot.id}",
        kind="export",
        status=status,  # type: ignore[arg-type]
        detail=snapshot.status,
        phase=phase,
        completed=completed,
        total=total,
        progress=_fraction(status, completed, total),
        message=f"Export of snapshot {snapshot.id} ({snapshot.name}): {snapshot.status}",
        error_message=error,
        owner=snapshot.owner_username,
        created_at=snapshot.created_at,
        updated_at=snapshot.updated_at,
        snapshot_id=snapshot.id,
        instance_id=None,
        execution_id=None,
        result=None,
    )


def start_job(instance: db.Instance, snapshot: db.Snapshot | None) -> JobOut:
    """The start of ``instance`` (from its snapshot's export to the loaded graph) as a
    job (``start-<instance id>``).

    Example:
        >>> start_job(instance, snapshot).detail
        'starting'
    """
    status = _START.get(instance.status, "running")
    progress = instance_progress(instance, snapshot)
    steps = list(progress.get("steps") or [])
    completed = sum(1 for s in steps if s.get("status") == "completed")
    total = len(steps)
    return JobOut(
        id=f"start-{instance.id}",
        kind="start",
        status=status,  # type: ignore[arg-type]
        detail=instance.status,
        phase=str(progress.get("phase") or instance.status),
        completed=completed,
        total=total,
        progress=_fraction(status, completed, total),
        message=f"Start of instance {instance.id} ({instance.name}): {instance.status}",
        error_message=instance.error_message,
        owner=instance.owner_username,
        created_at=instance.created_at,
        updated_at=instance.updated_at,
        snapshot_id=instance.snapshot_id,
        instance_id=instance.id,
        execution_id=None,
        result=None,
    )


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def algorithm_job(instance: db.Instance, record: dict[str, Any]) -> JobOut:
    """An algorithm execution, as its wrapper answered it, as a job
    (``algorithm-<instance id>-<execution id>``).

    Example:
        >>> algorithm_job(instance, {"id": "ex-1", "algorithm": "pagerank", ...}).kind
        'algorithm'
    """
    raw = str(record.get("status") or "running")
    status = _EXECUTION.get(
        raw, raw if raw in ("queued", "running", "failed", "cancelled") else "running"
    )
    progress = record.get("progress") or {}
    completed = int(progress.get("completed_steps") or 0)
    total = int(progress.get("total_steps") or 0)
    error = record.get("error") or {}
    name = record.get("algorithm") or "algorithm"
    return JobOut(
        id=f"algorithm-{instance.id}-{record['id']}",
        kind="algorithm",
        status=status,  # type: ignore[arg-type]
        detail=raw,
        phase=progress.get("phase") or record.get("phase"),
        completed=completed,
        total=total,
        progress=_fraction(status, completed, total),
        message=f"{name} on instance {instance.id} ({record['id']}): {raw}",
        error_message=error.get("message") if isinstance(error, dict) else None,
        owner=str(record.get("username") or instance.owner_username),
        created_at=_time(record.get("started_at")),
        updated_at=_time(record.get("finished_at")) or _time(record.get("started_at")),
        snapshot_id=instance.snapshot_id,
        instance_id=instance.id,
        execution_id=str(record["id"]),
        result=None,
    )


def bulk_delete_job(job: db.BulkDeleteJob) -> JobOut:
    """A recorded bulk delete as a job (``bulk_delete-<id>``); ``result`` is the bulk
    delete's answer (what was deleted so far, then in all).

    Example:
        >>> bulk_delete_job(row).progress
        0.5
    """
    return JobOut(
        id=f"bulk_delete-{job.id}",
        kind="bulk_delete",
        status=job.status,  # type: ignore[arg-type]
        detail=job.status,
        phase="deleting" if job.status == "running" else job.status,
        completed=job.done,
        total=job.total,
        progress=_fraction(job.status, job.done, job.total),
        message=(
            f"Bulk delete of {job.total} {job.resource_type}s ({job.reason}): "
            f"{job.done}/{job.total} done, {job.status}"
        ),
        error_message=job.error_message,
        owner=job.owner_username,
        created_at=job.created_at,
        updated_at=job.updated_at,
        snapshot_id=None,
        instance_id=None,
        execution_id=None,
        result=job.result,
    )
