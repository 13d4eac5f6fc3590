"""Deleting snapshots with their stored files: one on request (the snapshots service),
and those past their TTL (the lifecycle job).

Rows first, files second, in the caller's transaction: when the store refuses, the
exception rolls the rows back, so a snapshot is never gone while its files remain.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.durations import parse_duration
from graph_olap_server.storage.base import SnapshotStore, StorageError

if TYPE_CHECKING:
    from graph_olap_server.db import Database

__all__ = ["delete_snapshot", "expire_snapshots", "snapshot_users"]

log = logging.getLogger("graph_olap_server")


def snapshot_users(session: Session, snapshot_id: int) -> list[int]:
    """Ids of the instances using ``snapshot_id`` that are not terminated.

    Example:
        >>> snapshot_users(session, 3)
        [7]
    """
    return list(
        session.scalars(
            select(db.Instance.id).where(
                db.Instance.snapshot_id == snapshot_id, db.Instance.status != "terminated"
            )
        ).all()
    )


def delete_snapshot(session: Session, store: SnapshotStore, snapshot: db.Snapshot) -> None:
    """Delete ``snapshot`` with its export jobs (instances keep no reference), then its
    files from ``store``. Raises :class:`StorageError` (roll the transaction back).

    Example:
        >>> delete_snapshot(session, snapshot_store(settings), session.get(db.Snapshot, 3))
    """
    snapshot_id = snapshot.id
    session.execute(delete(db.ExportJob).where(db.ExportJob.snapshot_id == snapshot_id))
    session.execute(
        update(db.Instance).where(db.Instance.snapshot_id == snapshot_id).values(snapshot_id=None)
    )
    session.delete(snapshot)
    session.flush()
    store.remove(snapshot_id)


def _expired(snapshot: db.Snapshot, now: dt.datetime) -> bool:
    try:
        ttl = parse_duration(snapshot.ttl or "", "ttl")
    except ValueError:
        log.warning("snapshot %s has an invalid ttl %r; ignored", snapshot.id, snapshot.ttl)
        return False
    return snapshot.created_at + ttl <= now


def expire_snapshots(
    database: Database,
    store: SnapshotStore,
    *,
    now: dt.datetime,
    on_deleted: Callable[[Session, db.Snapshot], object] = lambda _s, _n: None,
) -> tuple[int, list[int]]:
    """Delete the ``ready``/``failed`` snapshots past ``created_at + ttl`` that no
    instance uses, with their files; answers ``(deleted, ids the store refused)``.
    ``on_deleted(session, snapshot)`` runs in each deletion's transaction (an audit entry).

    Example:
        >>> expire_snapshots(database, snapshot_store(settings), now=db.utcnow())
        (1, [])
    """
    with database.session() as session:
        rows = session.scalars(
            select(db.Snapshot).where(
                db.Snapshot.ttl.is_not(None), db.Snapshot.status.in_(("ready", "failed"))
            )
        ).all()
        due = [s.id for s in rows if _expired(s, now)]
    deleted, refused = 0, []
    for snapshot_id in due:
        try:
            with database.transaction() as session:
                snapshot = session.get(db.Snapshot, snapshot_id)
                if snapshot is None or snapshot_users(session, snapshot_id):
                    continue  # deleted meanwhile, or still in use: kept until it is not
                on_deleted(session, snapshot)
                delete_snapshot(session, store, snapshot)
        except StorageError:
            log.exception("lifecycle: the files of snapshot %s could not be deleted", snapshot_id)
            refused.append(snapshot_id)
            continue
        deleted += 1
    return deleted, refused
