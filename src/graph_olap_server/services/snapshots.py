"""Snapshots: loading, queueing an export, checking a lifecycle, cancelling an export,
deleting one with its files."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, bad_request, conflict, not_found
from graph_olap_server.export import queue_snapshot
from graph_olap_server.identity import User
from graph_olap_server.services.audit import audit
from graph_olap_server.storage import SnapshotStore, StorageError, snapshot_store
from graph_olap_server.storage.deletion import delete_snapshot, snapshot_users

__all__ = [
    "cancel_export",
    "delete_snapshot_row",
    "invalid_state",
    "load_snapshot",
    "queue",
]


def invalid_state(message: str, **details: Any) -> APIError:
    """409 ``INVALID_STATE``: the resource is not in a state that allows the request.

    Example:
        >>> invalid_state("Snapshot 3 is creating.", status="creating").status_code
        409
    """
    return conflict("INVALID_STATE", message, **details)


def load_snapshot(session: Session, snapshot_id: int) -> db.Snapshot:
    """The snapshot, or 404.

    Example:
        >>> load_snapshot(session, 3).status
        'ready'
    """
    snapshot = session.get(db.Snapshot, snapshot_id)
    if snapshot is None:
        raise not_found("Snapshot", snapshot_id)
    return snapshot


def queue(session: Session, version: db.MappingVersion, **fields: Any) -> db.Snapshot:
    """``queue_snapshot`` with a 400 naming a definition that cannot be exported.

    Example:
        >>> queue(session, version, name="s", owner="alice", description=None, ttl=None)
    """
    try:
        return queue_snapshot(session, version=version, **fields)
    except ValueError as err:
        raise bad_request(f"The mapping cannot be exported: {err}", field="mapping_id") from err


def delete_snapshot_row(
    platform: Platform, session: Session, user: User, snapshot: db.Snapshot
) -> None:
    """Delete a snapshot no live instance uses (else 409 ``RESOURCE_HAS_DEPENDENCIES``),
    with its export jobs and files; an export in progress is cancelled.

    Example:
        >>> delete_snapshot_row(platform, session, user, load_snapshot(session, 3))
    """
    users = snapshot_users(session, snapshot.id)
    if users:
        raise conflict(
            "RESOURCE_HAS_DEPENDENCIES",
            f"Snapshot {snapshot.id} is used by instances {users} that are not "
            "terminated. Terminate them (client.instances.terminate(id)) and try again.",
            instance_ids=users,
        )
    audit(session, user, "snapshot.delete", "snapshot", snapshot.id)
    platform.exporter.cancel(snapshot.id)
    store = snapshot_store(platform.settings)
    try:
        delete_snapshot(session, store, snapshot)
    except StorageError as err:
        raise _storage_unavailable(store, snapshot.id, err) from err


def cancel_export(session: Session, user: User, snapshot: db.Snapshot) -> None:
    """Mark an export in progress (``pending`` or ``creating``) ``failed``, cancelled by
    ``user``; its worker stops at its next step and removes the files it wrote (call
    ``platform.exporter.cancel(id)`` after the commit to interrupt a running check).
    Any other status is 409 ``INVALID_STATE``.

    Example:
        >>> cancel_export(session, user, load_snapshot(session, 3))
    """
    if snapshot.status not in ("pending", "creating"):
        raise invalid_state(
            f"Snapshot {snapshot.id} is {snapshot.status}: only an export in progress "
            "(pending or creating) can be cancelled. Delete the snapshot instead "
            f"(client.snapshots.delete({snapshot.id})).",
            status=snapshot.status,
        )
    message = (
        f"The export was cancelled by {user.username}. Export it again with "
        f"client.snapshots.retry({snapshot.id}), or delete it."
    )
    snapshot.status, snapshot.error_message = "failed", message
    snapshot.progress = {**(snapshot.progress or {}), "phase": "failed", "current_step": None}
    snapshot.updated_at = db.utcnow()
    jobs = session.scalars(select(db.ExportJob).where(db.ExportJob.snapshot_id == snapshot.id))
    for job in jobs:
        if job.status in ("pending", "claimed"):
            job.status, job.error_message = "failed", f"Not exported: {message}"
    audit(session, user, "snapshot.cancel", "snapshot", snapshot.id)


def _storage_unavailable(store: SnapshotStore, snapshot_id: int, err: StorageError) -> APIError:
    """503: object storage refused; the transaction rolls back, the snapshot stays."""
    return APIError(
        503,
        "SERVICE_UNAVAILABLE",
        f"The files of snapshot {snapshot_id} could not be deleted: {err}. The snapshot "
        "was kept; check the snapshot storage (GRAPH_OLAP_SNAPSHOT_STORAGE and its "
        "credentials) and delete it again.",
        {"snapshot_id": snapshot_id, "location": store.uri(snapshot_id).split("?")[0]},
    )
