"""Helpers of the snapshot and instance routes (and admin bulk delete): loading rows,
deleting them with their files, admitting a new instance."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import User
from graph_olap_server.api.routes.common import audit
from graph_olap_server.config_store import maintenance_guard
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, conflict, not_found
from graph_olap_server.export import remove_snapshot_files
from graph_olap_server.instance_lifecycle import terminate_instance
from graph_olap_server.runtime.admission import admission, check_limits, instance_lifecycle
from graph_olap_server.runtime.base import InstanceRuntimeError

__all__ = [
    "admit_instance",
    "delete_instance_row",
    "delete_snapshot_row",
    "invalid_state",
    "load_instance",
    "load_snapshot",
    "terminate_now",
]


def invalid_state(message: str, **details: Any) -> APIError:
    return conflict("INVALID_STATE", message, **details)


def load_snapshot(session: Session, snapshot_id: int) -> db.Snapshot:
    snapshot = session.get(db.Snapshot, snapshot_id)
    if snapshot is None:
        raise not_found("Snapshot", snapshot_id)
    return snapshot


def load_instance(session: Session, instance_id: int) -> db.Instance:
    instance = session.get(db.Instance, instance_id)
    if instance is None:
        raise not_found("Instance", instance_id)
    return instance


def delete_snapshot_row(
    platform: Platform, session: Session, user: User, snapshot: db.Snapshot
) -> None:
    """Delete a snapshot no live instance uses (else 409 ``RESOURCE_HAS_DEPENDENCIES``),
    with its export jobs and files; an export in progress is cancelled."""
    users = session.scalars(
        select(db.Instance.id).where(
            db.Instance.snapshot_id == snapshot.id, db.Instance.status != "terminated"
        )
    ).all()
    if users:
        raise conflict(
            "RESOURCE_HAS_DEPENDENCIES",
            f"Snapshot {snapshot.id} is used by instances {list(users)} that are not "
            "terminated. Terminate them (client.instances.terminate(id)) and try again.",
            instance_ids=list(users),
        )
    session.execute(delete(db.ExportJob).where(db.ExportJob.snapshot_id == snapshot.id))
    session.execute(
        update(db.Instance).where(db.Instance.snapshot_id == snapshot.id).values(snapshot_id=None)
    )
    session.delete(snapshot)
    audit(session, user, "snapshot.delete", "snapshot", snapshot.id)
    platform.exporter.cancel(snapshot.id)
    remove_snapshot_files(platform.settings.snapshot_dir, snapshot.id)


def terminate_now(platform: Platform, instance: db.Instance, reason: str) -> None:
    """Terminate through the runtime; a process that will not stop is a 500 with a
    message (the row stays ``stopping`` for reconciliation)."""
    try:
        terminate_instance(platform, instance, reason=reason)
    except InstanceRuntimeError as err:
        raise APIError(
            500,
            "INTERNAL_ERROR",
            f"Instance {instance.id} could not be stopped: {err}.",
        ) from err


def delete_instance_row(
    platform: Platform, session: Session, user: User, instance: db.Instance
) -> None:
    """Terminate ``instance`` (stop its process, free its files), then delete the row."""
    terminate_now(platform, instance, "deleted")
    session.delete(instance)
    audit(session, user, "instance.delete", "instance", instance.id)


def free_places_of_dead_processes(platform: Platform, session: Session) -> None:
    """Mark ``running`` instances whose process died ``failed`` now, so they do not hold a
    place under the concurrency limits until the reconciliation job comes round."""
    monitor = platform.monitor
    if monitor is None:
        return
    running = session.scalars(select(db.Instance).where(db.Instance.status == "running")).all()
    if [instance for instance in running if monitor.fail_if_process_gone(instance)]:
        session.rollback()  # end this read, so the counts see the monitor's writes


def admit_instance(
    platform: Platform,
    session: Session,
    user: User,
    *,
    ttl: str | None,
    inactivity_timeout: str | None,
    build: Any,
) -> db.Instance:
    """Check maintenance mode and the limits, then insert and commit the instance
    ``build(session)`` returns, all under the admission lock (no race between two
    requests for the last place). ``expires_at`` and the lifecycle defaults are set here."""
    maintenance_guard(session)
    ttl, delta, inactivity = instance_lifecycle(session, ttl, inactivity_timeout)
    free_places_of_dead_processes(platform, session)
    with admission(platform.admission_lock, session):
        check_limits(session, user.username)
        instance: db.Instance = build(session)
        now = dt.datetime.now(dt.timezone.utc)
        instance.created_at = now
        instance.ttl = ttl
        instance.expires_at = now + delta if delta is not None else None
        instance.inactivity_timeout = inactivity
        session.flush()
        audit(session, user, "instance.create", "instance", instance.id)
        session.commit()
    platform.monitor.wake()
    platform.exporter.wake()
    return instance
