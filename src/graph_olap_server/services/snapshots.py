"""Snapshots: loading, queueing an export, checking a lifecycle, deleting one with its
files."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, bad_request, conflict, not_found
from graph_olap_server.export import queue_snapshot, remove_snapshot_files
from graph_olap_server.identity import User
from graph_olap_server.services.audit import audit

__all__ = [
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
