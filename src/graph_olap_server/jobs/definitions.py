"""The bodies of the background jobs. Each takes the :class:`JobContext` (what jobs work
with) and answers a dict of counts (stored as the job's ``last_result``); an exception
marks the run failed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.config_store import get_config
from graph_olap_server.durations import parse_duration
from graph_olap_server.instance_lifecycle import (
    ENDED_STATUSES,
    LIVE_PROCESS_STATUSES,
    stop_instance,
)
from graph_olap_server.runtime.base import InstanceRuntimeError
from graph_olap_server.storage import StorageError, snapshot_store  # helper K3
from graph_olap_server.storage.deletion import expire_snapshots  # helper K3

if TYPE_CHECKING:
    from graph_olap_server.db import Database
    from graph_olap_server.export import Exporter
    from graph_olap_server.runtime.base import InstanceRuntime
    from graph_olap_server.settings import Settings
    from graph_olap_server.warehouse import SchemaCache

__all__ = [
    "JOBS",
    "JobContext",
    "JobFunction",
    "export_reconciliation",
    "lifecycle",
    "reconciliation",
    "schema_cache",
]

log = logging.getLogger("graph_olap_server")


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What the background jobs work with (each job uses a few of these)."""

    settings: Settings
    db: Database
    runtime: InstanceRuntime
    schema_cache: SchemaCache
    exporter: Exporter


JobFunction = Callable[[JobContext], dict[str, Any]]

SYSTEM_USER = "system"


def schema_cache(jobs: JobContext) -> dict[str, Any]:
    """Reload the warehouse's catalog/schema/table/column tree."""
    result = jobs.schema_cache.refresh()
    return dict(result) if isinstance(result, dict) else {"refreshed": True}


def reconciliation(jobs: JobContext) -> dict[str, Any]:
    """Mark ``failed`` the starting/running instances whose process no longer exists
    (their working files are removed; the wrapper's log is kept)."""
    marked = 0
    with jobs.db.transaction() as session:
        rows = session.scalars(
            select(db.Instance).where(
                db.Instance.status.in_(LIVE_PROCESS_STATUSES), db.Instance.pid.is_not(None)
            )
        ).all()
        for instance in rows:
            if jobs.runtime.alive(instance) or jobs.runtime.was_stopped(instance):
                continue
            pid = int(instance.pid or 0)
            tail = jobs.runtime.log_tail(instance, lines=5)
            instance.status = "failed"
            instance.instance_url = None
            instance.error_message = (
                f"The instance's process stopped unexpectedly (pid {pid}); start a new instance."
                + (f" Last lines of its log:\n{tail}" if tail else "")
            )
            jobs.runtime.remove_files(instance, keep_log=True)
            _audit(session, "instance.reconcile_failed", "instance", instance.id, {"pid": pid})
            marked += 1
    result = {"checked": len(rows), "marked_failed": marked}
    orphans = jobs.runtime.remove_orphans(lambda ids: _not_ended(jobs.db, ids))
    if orphans is not None:  # a runtime whose resources can outlive their instance (pods)
        result["orphans_removed"] = orphans
    return result


def _not_ended(database: Database, ids: Collection[int]) -> set[int]:
    """Which of ``ids`` are instances that are not ended (their pods must stay)."""
    if not ids:
        return set()
    with database.session() as session:
        return set(
            session.scalars(
                select(db.Instance.id).where(
                    db.Instance.id.in_(list(ids)), db.Instance.status.not_in(ENDED_STATUSES)
                )
            )
        )


def _deadline(instance: db.Instance, now: dt.datetime) -> str | None:
    """Why ``instance`` should end now (``expired`` / ``inactive``), else None."""
    if instance.expires_at is not None and instance.expires_at <= now:
        return "expired"
    if instance.inactivity_timeout:
        try:
            idle = parse_duration(instance.inactivity_timeout, "inactivity_timeout")
        except ValueError:
            log.warning(
                "instance %s has an invalid inactivity_timeout %r; ignored",
                instance.id,
                instance.inactivity_timeout,
            )
            return None
        since = instance.last_activity_at or instance.created_at
        if since + idle <= now:
            return "inactive"
    return None


def lifecycle(jobs: JobContext) -> dict[str, Any]:
    """Terminate instances past their ``expires_at`` or idle past ``inactivity_timeout``
    (each through :func:`stop_instance`: process stopped, files removed); delete the
    snapshots past their TTL that no instance uses, with their stored files."""
    now = db.utcnow()
    counts = {"expired": 0, "inactive": 0}
    with jobs.db.session() as session:
        rows = session.scalars(
            select(db.Instance).where(db.Instance.status.not_in(ENDED_STATUSES))
        ).all()
    due = [(instance.id, reason) for instance in rows if (reason := _deadline(instance, now))]
    stuck: list[int] = []
    for instance_id, reason in due:
        try:
            with jobs.db.transaction() as session:
                instance = session.get(db.Instance, instance_id)
                if instance is None or instance.status in ENDED_STATUSES:
                    continue  # ended meanwhile
                stop_instance(jobs.runtime, instance, reason=reason)
                _audit(session, "instance.terminate", "instance", instance.id, {"reason": reason})
        except InstanceRuntimeError:
            log.exception("lifecycle: instance %s could not be terminated", instance_id)
            stuck.append(instance_id)
            continue
        counts[reason] += 1
    # helper K3: snapshots past their TTL go, with their files (in the result when any did)
    expired, refused = expire_snapshots(
        jobs.db,
        snapshot_store(jobs.settings),
        now=now,
        on_deleted=lambda session, s: _audit(
            session, "snapshot.expire", "snapshot", s.id, {"ttl": s.ttl}
        ),
    )
    problems = [f"instances {stuck} could not be stopped"] if stuck else []
    problems += [f"the files of snapshots {refused} could not be deleted"] if refused else []
    if problems:
        raise RuntimeError(f"{' and '.join(problems)} (the others were); see the log")
    result = {"checked": len(rows), **counts, "terminated": counts["expired"] + counts["inactive"]}
    return {**result, "expired_snapshots": expired} if expired else result


def export_reconciliation(jobs: JobContext) -> dict[str, Any]:
    """Fail export jobs stuck in ``pending``/``claimed`` longer than the export time limit,
    and the snapshots they belong to."""
    failed_snapshots: set[int] = set()
    with jobs.db.transaction() as session:
        limit = int(get_config(session, "export")["max_duration_seconds"])
        cutoff = db.utcnow() - dt.timedelta(seconds=limit)
        active = session.scalars(
            select(db.ExportJob).where(db.ExportJob.status.in_(("pending", "claimed")))
        ).all()
        stuck = [job for job in active if job.updated_at <= cutoff]
        for job in stuck:
            what = f"{job.entity_type} definition {job.entity_name!r}"
            job.error_message = (
                f"The export of {what} made no progress for more than {limit} s (it was "
                f"{job.status}) and was stopped. Create the snapshot again; if exports are "
                "slow, raise the limit with client.ops.update_export_config()."
            )
            job.status = "failed"
            snapshot = session.get(db.Snapshot, job.snapshot_id)
            if snapshot is None or snapshot.status in ("ready", "failed"):
                continue
            snapshot.status = "failed"
            snapshot.error_message = (
                f"Exporting the {what} took longer than {limit} s and was stopped. "
                "Retry the snapshot (client.snapshots.retry); if the warehouse is slow, ask "
                "ops to raise the export time limit."
            )
            snapshot.progress = {
                **(snapshot.progress or {}),
                "phase": "failed",
                "current_step": None,
            }
            failed_snapshots.add(snapshot.id)
        if stuck:
            _audit(
                session,
                "export.reconcile_failed",
                None,
                None,
                {
                    "export_job_ids": [j.id for j in stuck],
                    "snapshot_ids": sorted(failed_snapshots),
                },
            )
    for snapshot_id in failed_snapshots:  # a worker still on it stops at its next step
        jobs.exporter.cancel(snapshot_id)
        if not jobs.exporter.is_exporting(snapshot_id):  # helper K3: else the worker does
            try:
                snapshot_store(jobs.settings).remove(snapshot_id)
            except StorageError:
                log.exception("snapshot %s: its files could not be removed", snapshot_id)
    return {
        "checked": len(active),
        "failed_export_jobs": len(stuck),
        "failed_snapshots": len(failed_snapshots),
        "max_duration_seconds": limit,
    }


def _audit(
    session: Any, action: str, kind: str | None, ident: int | None, details: dict[str, Any]
) -> None:
    session.add(
        db.AuditEntry(
            username=SYSTEM_USER,
            action=action,
            resource_type=kind,
            resource_id=ident,
            details=details,
        )
    )


JOBS: dict[str, JobFunction] = {
    "reconciliation": reconciliation,
    "lifecycle": lifecycle,
    "export_reconciliation": export_reconciliation,
    "schema_cache": schema_cache,
}
"""The built-in jobs by name, in the order they are listed."""
