"""Jobs: one control-plane view of snapshot exports, instance starts, algorithm
executions and bulk deletes (``GET /api/jobs``, ``GET /api/jobs/{id}``, ``POST
/api/jobs/{id}/cancel``).

Exports and starts come from the snapshots and instances tables, bulk deletes from
``bulk_delete_jobs``; algorithm executions are asked of the wrappers of the running
instances, with the caller's own credentials and a short timeout: a wrapper that does not
answer makes the list ``partial`` (it says which), never an error. Who sees and cancels a
job follows its resource: its owner, ops and admins see it; its owner and admins cancel it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.schemas.jobs import JobListOut, JobOut, UnansweredOut
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, forbidden
from graph_olap_server.identity import User
from graph_olap_server.runtime.wrapper_client import WrapperClient
from graph_olap_server.services import bulk_delete as bulk
from graph_olap_server.services.audit import audit
from graph_olap_server.services.instances import terminate_now
from graph_olap_server.services.job_views import (
    ACTIVE_STATUSES,
    algorithm_job,
    bulk_delete_job,
    export_job,
    job_not_found,
    parse_job_id,
    start_job,
)
from graph_olap_server.services.snapshots import cancel_export
from graph_olap_server.wrapper.auth import OBSERVER_HEADER

__all__ = ["WRAPPER_TIMEOUT", "cancel_job", "get_job", "list_jobs"]

WRAPPER_TIMEOUT = 2.0
"""Seconds one wrapper may take to list or report its executions."""
_FORWARDED = ("x-username", "authorization", "x-internal-api-key")
_ACTIVE_SNAPSHOTS = ("pending", "creating")
_ACTIVE_INSTANCES = ("waiting_for_snapshot", "starting")


def _credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """The caller's own credentials, for the wrapper to check with the control plane,
    marked as a look that is not the instance's activity (listing jobs must not keep
    idle instances alive)."""
    forwarded = {name: headers[name] for name in _FORWARDED if headers.get(name)}
    return {**forwarded, OBSERVER_HEADER: "1"}


def _visible(user: User, owner: str, job_id: str) -> None:
    if owner != user.username and not user.is_ops:
        raise job_not_found(job_id, "it is not yours")


def list_jobs(
    platform: Platform,
    session: Session,
    user: User,
    headers: Mapping[str, str],
    *,
    active: bool,
    kind: str | None,
    all_users: bool,
    limit: int,
) -> JobListOut:
    """The caller's jobs (everyone's with ``all_users``, ops and admins only), newest
    first, at most ``limit`` of each kind; ``active`` keeps the queued and running ones.

    Example:
        >>> list_jobs(platform, session, user, request.headers, active=True, kind=None,
        ...           all_users=False, limit=50).jobs
    """
    if all_users and not user.is_ops:
        raise forbidden("all_users=true is for ops and admins; leave it out to list your jobs.")
    jobs: list[JobOut] = []
    unanswered: list[UnansweredOut] = []

    def owned(model: Any) -> Any:
        query = select(model).order_by(model.id.desc()).limit(limit)
        return query if all_users else query.where(model.owner_username == user.username)

    if kind in (None, "export"):
        query = owned(db.Snapshot)
        if active:
            query = query.where(db.Snapshot.status.in_(_ACTIVE_SNAPSHOTS))
        jobs += [export_job(s) for s in session.scalars(query)]
    if kind in (None, "start"):
        query = owned(db.Instance)
        if active:
            query = query.where(db.Instance.status.in_(_ACTIVE_INSTANCES))
        for instance in session.scalars(query):
            snapshot = (
                session.get(db.Snapshot, instance.snapshot_id) if instance.snapshot_id else None
            )
            jobs.append(start_job(instance, snapshot))
    if kind in (None, "bulk_delete"):
        query = owned(db.BulkDeleteJob)
        if active:
            query = query.where(db.BulkDeleteJob.status.in_(bulk.ACTIVE))
        jobs += [bulk_delete_job(j) for j in session.scalars(query)]
    if kind in (None, "algorithm"):
        query = select(db.Instance).where(db.Instance.status == "running")
        if not all_users:
            query = query.where(db.Instance.owner_username == user.username)
        for instance in session.scalars(query.order_by(db.Instance.id)):
            found = _executions(platform, instance, headers, limit)
            if isinstance(found, str):
                unanswered.append(UnansweredOut(instance_id=instance.id, message=found))
                continue
            for record in found:
                job = algorithm_job(instance, record)
                if (all_users or job.owner == user.username) and (
                    not active or job.status in ACTIVE_STATUSES
                ):
                    jobs.append(job)
    jobs.sort(key=lambda j: (j.created_at is not None, j.created_at), reverse=True)
    return JobListOut(jobs=jobs, partial=bool(unanswered), unanswered=unanswered)


def _base(platform: Platform, instance: db.Instance) -> str:
    return platform.runtime.wrapper_url(instance.id, instance.port or 0)


def _executions(
    platform: Platform, instance: db.Instance, headers: Mapping[str, str], limit: int
) -> list[dict[str, Any]] | str:
    """The executions a wrapper reports, or why it did not answer."""
    client = WrapperClient(timeout=WRAPPER_TIMEOUT)
    try:
        answer = client.call(
            "GET",
            f"{_base(platform, instance)}/algo/executions",
            _credentials(headers),
            {"limit": min(limit, 200)},
        )
    finally:
        client.close()
    if isinstance(answer, str):
        return f"Instance {instance.id}'s wrapper: {answer}; its executions are not listed."
    status, body = answer
    if status != 200:
        message = (body.get("error") or {}).get("message", "") if isinstance(body, dict) else ""
        return f"Instance {instance.id}'s wrapper answered {status} {message}".rstrip()
    data = body.get("data", body)
    items = data.get("executions", []) if isinstance(data, dict) else []
    return [item for item in items if isinstance(item, dict) and item.get("id")]


def _execution(
    platform: Platform,
    instance: db.Instance,
    execution_id: str,
    headers: Mapping[str, str],
    job_id: str,
    *,
    cancel: bool = False,
) -> dict[str, Any]:
    """One execution from its wrapper (cancelled first with ``cancel``)."""
    if instance.status != "running":
        raise job_not_found(job_id, f"instance {instance.id} is {instance.status}")
    client = WrapperClient(timeout=WRAPPER_TIMEOUT)
    url = f"{_base(platform, instance)}/algo/executions/{execution_id}"
    try:
        answer = client.call("DELETE" if cancel else "GET", url, _credentials(headers))
    finally:
        client.close()
    if isinstance(answer, str):
        raise APIError(
            503,
            "SERVICE_UNAVAILABLE",
            f"Instance {instance.id}'s wrapper does not answer now ({answer}); ask again "
            "in a moment (a wait does so by itself).",
            {"job_id": job_id, "instance_id": instance.id},
            headers={"Retry-After": "2"},
        )
    status, body = answer
    if status == 404:
        raise job_not_found(job_id, f"instance {instance.id} knows no execution {execution_id}")
    if status >= 300:
        error = body.get("error") or {}
        raise APIError(status, str(error.get("code") or "HTTP_ERROR"), str(error.get("message")))
    data = body.get("data", body)
    return data if isinstance(data, dict) else {}


def _load(
    platform: Platform, session: Session, user: User, job_id: str, headers: Mapping[str, str]
) -> tuple[JobOut, Any]:
    """The job and the row it is made from; 404 when it does not exist or is not visible."""
    ref = parse_job_id(job_id)
    model: type[Any] = {
        "export": db.Snapshot,
        "start": db.Instance,
        "algorithm": db.Instance,
        "bulk_delete": db.BulkDeleteJob,
    }[ref.kind]
    row: Any = session.get(model, ref.number)
    if row is None:
        raise job_not_found(job_id)
    _visible(user, row.owner_username, job_id)
    if ref.kind == "export":
        return export_job(row), row
    if ref.kind == "bulk_delete":
        return bulk_delete_job(row), row
    if ref.kind == "start":
        snapshot = session.get(db.Snapshot, row.snapshot_id) if row.snapshot_id else None
        return start_job(row, snapshot), row
    assert ref.execution_id is not None
    record = _execution(platform, row, ref.execution_id, headers, job_id)
    job = algorithm_job(row, record)
    _visible(user, job.owner, job_id)
    return job, row


def get_job(
    platform: Platform, session: Session, user: User, job_id: str, headers: Mapping[str, str]
) -> JobOut:
    """One job by id (``export-12``); 404 ``JOB_NOT_FOUND`` when there is no such job or
    it is not the caller's (ops and admins see every job).

    Example:
        >>> get_job(platform, session, user, "export-12", request.headers).status
        'running'
    """
    return _load(platform, session, user, job_id, headers)[0]


def cancel_job(
    platform: Platform, session: Session, user: User, job_id: str, headers: Mapping[str, str]
) -> JobOut:
    """Stop a job: cancel the export, terminate the starting instance, cancel the
    execution, or stop the bulk delete before its next item. A job that has ended is
    answered as it is. Only its owner or an admin may.

    Example:
        >>> cancel_job(platform, session, user, "export-12", request.headers).status
        'cancelled'
    """
    job, row = _load(platform, session, user, job_id, headers)
    if job.owner != user.username and not user.is_admin:
        raise forbidden(
            f"Job {job_id} belongs to {job.owner!r}; only its owner or an admin can cancel it.",
            owner=job.owner,
        )
    if job.status not in ACTIVE_STATUSES:
        return job
    if job.kind == "export":
        cancel_export(session, user, row)
        session.commit()
        platform.exporter.cancel(row.id)
        return export_job(row)
    if job.kind == "start":
        row.status = "stopping"
        session.commit()
        terminate_now(platform, row, "requested")
        audit(session, user, "instance.terminate", "instance", row.id)
        session.commit()
        return start_job(
            row, session.get(db.Snapshot, row.snapshot_id) if row.snapshot_id else None
        )
    if job.kind == "bulk_delete":
        bulk.request_cancel(session, row, user)
        session.commit()
        return bulk_delete_job(row)
    assert job.execution_id is not None
    record = _execution(platform, row, job.execution_id, headers, job_id, cancel=True)
    return algorithm_job(row, record)
