"""Admin bulk delete, recorded as a job: find the matches of the filters (at most 100,
and as many as the caller expected), record them in ``bulk_delete_jobs``, then delete them
one by one, each in its own savepoint and committed at once, so the job's progress
(``done`` of ``total``) is what the database holds. A cancel stops it before its next
item; a job left running when the platform stopped is marked failed on the next start
(:func:`fail_interrupted`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.schemas.admin import BulkDelete, BulkFilters
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, bad_request
from graph_olap_server.identity import User
from graph_olap_server.services.audit import audit
from graph_olap_server.services.instances import delete_instance_row
from graph_olap_server.services.mappings import delete_mapping_row
from graph_olap_server.services.snapshots import delete_snapshot_row

__all__ = [
    "ACTIVE",
    "MAX_BULK",
    "Failure",
    "delete_rows",
    "fail_interrupted",
    "matching_rows",
    "record_job",
    "request_cancel",
    "run_job",
    "start_job",
]

log = logging.getLogger("graph_olap_server")

ACTIVE = ("queued", "running")
"""A bulk delete job's statuses before it ends (then ``succeeded``, ``failed`` or
``cancelled``)."""
MAX_BULK = 100
_MODELS: dict[str, Any] = {"mapping": db.Mapping, "snapshot": db.Snapshot, "instance": db.Instance}


@dataclasses.dataclass(frozen=True)
class Failure:
    """A match that was not deleted, with the error it got."""

    id: int
    code: str
    message: str


def matching_rows(
    session: Session, resource_type: str, filters: BulkFilters, expected_count: int | None
) -> Sequence[Any]:
    """The rows of ``resource_type`` the filters match, by id; 400 when they match more
    than :data:`MAX_BULK` or not ``expected_count``.

    Example:
        >>> matching_rows(session, "instance", BulkFilters(name_prefix="tmp-"), None)
    """
    model = _MODELS[resource_type]
    query = select(model)
    f = filters
    if f.name_prefix:
        query = query.where(
            func.lower(model.name).startswith(f.name_prefix.lower(), autoescape=True)
        )
    if f.created_by:
        query = query.where(model.owner_username == f.created_by)
    if f.older_than_hours is not None:
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=f.older_than_hours)
        query = query.where(model.created_at <= cutoff)
    if f.status:
        if resource_type == "mapping":
            raise bad_request(
                "Mappings have no status; filter them by name_prefix, created_by or age."
            )
        query = query.where(model.status == f.status)
    matched_count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if matched_count > MAX_BULK:
        raise bad_request(
            f"The filters match {matched_count} {resource_type}s; at most {MAX_BULK} can be "
            "deleted at once. Narrow the filters (e.g. add older_than_hours) and repeat.",
            matched_count=matched_count,
        )
    rows = session.scalars(query.order_by(model.id)).all()
    if expected_count is not None and expected_count != matched_count:
        matched_ids = [r.id for r in rows]
        raise bad_request(
            f"expected_count is {expected_count} but the filters match {matched_count} "
            f"{resource_type}s (ids {matched_ids}). Nothing was deleted; run a dry run and "
            "check the matches.",
            matched_count=matched_count,
            matched_ids=matched_ids,
        )
    return rows


def _delete_one(
    platform: Platform, session: Session, user: User, resource_type: str, row: Any
) -> None:
    """Delete one matched row, in a savepoint of ``session`` (the write lock taken first:
    the savepoint reads before it writes)."""
    db.take_write_lock(session)
    with session.begin_nested():
        if resource_type == "mapping":
            delete_mapping_row(session, user, row)
        elif resource_type == "snapshot":
            delete_snapshot_row(platform, session, user, row)
        else:
            delete_instance_row(platform, session, user, row)


def delete_rows(
    platform: Platform, session: Session, user: User, resource_type: str, rows: Sequence[Any]
) -> tuple[list[int], list[Failure]]:
    """Delete each row in a savepoint: mappings only without dependants, snapshots with
    their files (only without live instances), instances after terminating them. Answers
    the ids deleted and the failures (the session is not committed).

    Example:
        >>> deleted, failed = delete_rows(platform, session, user, "instance", rows)
    """
    deleted: list[int] = []
    failed: list[Failure] = []
    for row in rows:
        rid = row.id
        try:
            _delete_one(platform, session, user, resource_type, row)
            deleted.append(rid)
        except APIError as err:
            failed.append(Failure(rid, err.code, err.message))
    return deleted, failed


def record_job(
    session: Session, user: User, body: BulkDelete, rows: Sequence[Any]
) -> db.BulkDeleteJob:
    """Record a bulk delete of ``rows`` as a ``queued`` job (committed: it is acknowledged).

    Example:
        >>> job = record_job(session, user, body, matching_rows(session, "mapping", f, None))
    """
    ids = [int(r.id) for r in rows]
    job = db.BulkDeleteJob(
        owner_username=user.username,
        resource_type=body.resource_type,
        filters=body.filters.model_dump(exclude_none=True),
        reason=body.reason,
        status="queued",
        total=len(ids),
        done=0,
        matched_ids=ids,
        result=_result(body.resource_type, ids, [], []),
    )
    session.add(job)
    session.commit()
    return job


def _result(
    resource_type: str, matched: list[int], deleted: list[int], failed: list[Failure]
) -> dict[str, Any]:
    """The job's result, shaped as the bulk delete's answer (``BulkDeleteOut``)."""
    return {
        "dry_run": False,
        "resource_type": resource_type,
        "matched_count": len(matched),
        "matched_ids": matched,
        "deleted_count": len(deleted),
        "deleted_ids": deleted,
        "failed_ids": [f.id for f in failed],
        "errors": [dataclasses.asdict(f) for f in failed],
    }


def _stop_before_next(session: Session, job: db.BulkDeleteJob) -> str | None:
    """Checked before each item: ``"cancelled"`` when a cancel was asked, ``"ended"``
    when the job is no longer running (a restart marked it failed), else ``None``."""
    session.refresh(job)
    if job.status != "running":
        return "ended"
    return "cancelled" if job.cancel_requested else None


def run_job(platform: Platform, user: User, job_id: int) -> db.BulkDeleteJob:
    """Run a recorded bulk delete in its own session: each item deleted and committed
    with the job's progress; a cancel request stops it before the next item. Answers the
    job as it ended (``succeeded``, ``cancelled`` or ``failed``).

    Example:
        >>> run_job(platform, user, job.id).status
        'succeeded'
    """
    with platform.db.session() as session:
        job = session.get(db.BulkDeleteJob, job_id)
        if job is None:
            raise bad_request(f"There is no bulk delete job {job_id} to run.")
        if job.status != "queued":  # cancelled before it started
            return job
        job.status = "running"
        session.commit()
        model = _MODELS[job.resource_type]
        matched = [int(i) for i in job.matched_ids]
        deleted: list[int] = []
        failed: list[Failure] = []
        try:
            for rid in matched:
                stop = _stop_before_next(session, job)
                if stop == "ended":  # marked failed meanwhile: a restart did
                    session.rollback()
                    return job
                if stop == "cancelled":
                    job.status = "cancelled"
                    job.error_message = (
                        f"Cancelled after {job.done} of {job.total} items; the rest were not "
                        "deleted. Run the bulk delete again to delete them."
                    )
                    break
                row = session.get(model, rid)
                if row is None:
                    failed.append(
                        Failure(rid, "NOT_FOUND", f"{job.resource_type} {rid} was already gone.")
                    )
                else:
                    try:
                        _delete_one(platform, session, user, job.resource_type, row)
                        deleted.append(rid)
                    except APIError as err:
                        failed.append(Failure(rid, err.code, err.message))
                job.done += 1
                job.result = _result(job.resource_type, matched, deleted, failed)
                session.commit()
            else:
                job.status = "succeeded"
        except Exception as err:  # the job must end, whatever stopped it
            session.rollback()
            log.exception("bulk delete job %s failed", job_id)
            job.status = "failed"
            job.error_message = (
                f"The bulk delete stopped after {len(deleted)} deletions: {err}. Check the "
                "platform's log, then run it again to delete the rest."
            )
        job.result = _result(job.resource_type, matched, deleted, failed)
        job.finished_at = db.utcnow()
        audit(
            session,
            user,
            "admin.bulk_delete",
            job.resource_type,
            None,
            {
                "job_id": job.id,
                "status": job.status,
                "reason": job.reason,
                "filters": job.filters,
                "deleted_ids": deleted,
                "failed_ids": [f.id for f in failed],
            },
        )
        session.commit()
        return job


def start_job(platform: Platform, user: User, job_id: int) -> None:
    """Run a recorded bulk delete in a background thread (``wait=False``).

    Example:
        >>> start_job(platform, user, job.id)
    """

    def body() -> None:
        try:
            run_job(platform, user, job_id)
        except Exception:  # already logged and recorded by run_job where it could be
            log.exception("bulk delete job %s could not run", job_id)

    threading.Thread(target=body, name=f"bulk-delete-{job_id}", daemon=True).start()


def request_cancel(session: Session, job: db.BulkDeleteJob, user: User) -> None:
    """Ask a bulk delete to stop before its next item (a queued one ends at once);
    one that has ended is left as it is. Not committed.

    Example:
        >>> request_cancel(session, job, user)
    """
    if job.status not in ACTIVE:
        return
    job.cancel_requested = True
    if job.status == "queued":
        job.status = "cancelled"
        job.error_message = f"Cancelled by {user.username} before it started; nothing was deleted."
        job.finished_at = db.utcnow()
    audit(session, user, "admin.bulk_delete.cancel", job.resource_type, None, {"job_id": job.id})


def fail_interrupted(database: db.Database) -> int:
    """Mark the bulk deletes a stopped platform left ``queued`` or ``running`` as
    ``failed``, saying how far each got; answers how many. Run once at start.

    Example:
        >>> fail_interrupted(platform.db)
        0
    """
    with database.transaction() as session:
        jobs = session.scalars(
            select(db.BulkDeleteJob).where(db.BulkDeleteJob.status.in_(ACTIVE))
        ).all()
        for job in jobs:
            deleted = (job.result or {}).get("deleted_ids", [])
            job.status = "failed"
            job.error_message = (
                f"The platform stopped while this bulk delete ran: {job.done} of {job.total} "
                f"items were handled (deleted: {deleted}); the rest were not deleted. Run the "
                "bulk delete again to delete them."
            )
            job.finished_at = dt.datetime.now(dt.timezone.utc)
        return len(jobs)
