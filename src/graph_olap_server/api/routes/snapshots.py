"""Routes: snapshots, the exported data of one mapping version.

A snapshot is ``pending`` when queued, ``creating`` while the exporter writes its Parquet
files, then ``ready`` or ``failed``. Most users never create one directly:
``POST /api/instances/from-mapping`` does it for them.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.held_progress import MAX_WAIT_MS, held_progress
from graph_olap_server.api.schemas.common import Envelope, LifecycleUpdate, Page
from graph_olap_server.api.schemas.snapshots import (
    ProgressOut,
    SnapshotCreate,
    SnapshotOut,
    SnapshotUpdate,
)
from graph_olap_server.config_store import get_config
from graph_olap_server.errors import APIError
from graph_olap_server.export import public_progress, requeue_snapshot
from graph_olap_server.services.audit import audit
from graph_olap_server.services.lifecycle import check_snapshot_lifecycle
from graph_olap_server.services.listing import ListFilters, Sort, check_page, fetch_page, filter_by
from graph_olap_server.services.mappings import version_for
from graph_olap_server.services.snapshots import (
    cancel_export,
    delete_snapshot_row,
    invalid_state,
    load_snapshot,
    queue,
)

router = APIRouter(tags=["snapshots"], prefix="/snapshots")

SORTABLE = {
    "name": db.Snapshot.name,
    "created_at": db.Snapshot.created_at,
    "updated_at": db.Snapshot.updated_at,
    "status": db.Snapshot.status,
    "size_bytes": db.Snapshot.size_bytes,
    "id": db.Snapshot.id,
}


_PHASE_OF = {"pending": "queued", "creating": "exporting", "ready": "ready", "failed": "failed"}
"""Phase of a snapshot that has no progress document (made before there was one)."""


@router.get("", summary="List snapshots")
def list_snapshots(
    session: DbSession,
    _user: CurrentUser,
    mapping_id: int | None = None,
    mapping_version: int | None = None,
    owner: str | None = None,
    status: str | None = None,
    search: str | None = Query(default=None, max_length=255),
    created_after: str | None = None,
    created_before: str | None = None,
    sort_by: Literal["name", "created_at", "updated_at", "status", "size_bytes", "id"] = (
        "created_at"
    ),
    sort_order: Literal["asc", "desc"] = "desc",
    offset: int = 0,
    limit: int = 50,
) -> Page[SnapshotOut]:
    check_page(offset, limit)
    query = select(db.Snapshot)
    if mapping_id is not None:
        query = query.where(db.Snapshot.mapping_id == mapping_id)
    if mapping_version is not None:
        query = query.where(db.Snapshot.mapping_version == mapping_version)
    filters = ListFilters(
        owner=owner,
        status=status,
        search=search,
        created_after=created_after,
        created_before=created_before,
    )
    query = filter_by(query, db.Snapshot, filters)
    sort = Sort(SORTABLE[sort_by], sort_order, db.Snapshot.id)
    rows, total = fetch_page(session, query, sort, offset=offset, limit=limit)
    return Page.of([SnapshotOut.of_row(s) for s in rows], total=total, offset=offset, limit=limit)


@router.post("", status_code=201, summary="Create a snapshot (queues its export)")
def create_snapshot(
    body: SnapshotCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[SnapshotOut]:
    if not platform.settings.allow_explicit_snapshots:
        raise APIError(
            403,
            "SNAPSHOTS_DISABLED",
            "Explicit snapshot creation is disabled on this platform; use "
            "client.instances.create_from_mapping(...)",
        )
    version = version_for(session, body.mapping_id, body.version)
    check_snapshot_lifecycle(session, body.ttl, body.inactivity_timeout)
    snapshot = queue(
        session,
        version,
        name=body.name,
        owner=user.username,
        description=body.description,
        ttl=body.ttl or get_config(session, "lifecycle")["snapshot"].get("default_ttl"),
        inactivity_timeout=body.inactivity_timeout,
    )
    audit(session, user, "snapshot.create", "snapshot", snapshot.id)
    session.commit()
    platform.exporter.wake()
    return Envelope(data=SnapshotOut.of_row(snapshot))


@router.get("/{snapshot_id}", summary="Get a snapshot")
def get_snapshot(snapshot_id: int, session: DbSession, _user: CurrentUser) -> Envelope[SnapshotOut]:
    return Envelope(data=SnapshotOut.of_row(load_snapshot(session, snapshot_id)))


@router.put("/{snapshot_id}", summary="Rename or describe a snapshot")
def update_snapshot(
    snapshot_id: int, body: SnapshotUpdate, session: DbSession, user: CurrentUser
) -> Envelope[SnapshotOut]:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    if body.name is not None:
        snapshot.name = body.name
    if body.description is not None:
        snapshot.description = body.description or None
    audit(session, user, "snapshot.update", "snapshot", snapshot_id)
    session.commit()
    return Envelope(data=SnapshotOut.of_row(snapshot))


@router.delete("/{snapshot_id}", status_code=204, summary="Delete a snapshot and its files")
def delete_snapshot(
    snapshot_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Response:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    delete_snapshot_row(platform, session, user, snapshot)
    session.commit()
    return Response(status_code=204)


@router.put("/{snapshot_id}/lifecycle", summary="Set a snapshot's TTL and inactivity timeout")
def set_snapshot_lifecycle(
    snapshot_id: int, body: LifecycleUpdate, session: DbSession, user: CurrentUser
) -> Envelope[SnapshotOut]:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    check_snapshot_lifecycle(session, body.ttl, body.inactivity_timeout)
    if body.ttl is not None:
        snapshot.ttl = body.ttl or None
    if body.inactivity_timeout is not None:
        snapshot.inactivity_timeout = body.inactivity_timeout or None
    audit(session, user, "snapshot.lifecycle", "snapshot", snapshot_id)
    session.commit()
    return Envelope(data=SnapshotOut.of_row(snapshot))


@router.get("/{snapshot_id}/progress", summary="Export progress of a snapshot")
async def snapshot_progress(
    snapshot_id: int,
    _user: CurrentUser,
    platform: PlatformDep,
    wait_ms: int = Query(0, ge=0, le=MAX_WAIT_MS),
    seen: str | None = Query(None, max_length=64),
) -> Envelope[ProgressOut]:
    """With ``seen`` (the last answer's ``token``) and ``wait_ms``, the answer waits
    until the progress changes."""

    def read() -> dict[str, Any]:
        with platform.db.session() as session:
            s = load_snapshot(session, snapshot_id)
            progress = s.progress or {"phase": _PHASE_OF.get(s.status, "queued")}
            return public_progress(s.id, s.status, progress, s.error_message)

    document = await held_progress(read, wait_ms, seen)
    return Envelope(data=ProgressOut.model_validate(document))


@router.post("/{snapshot_id}/cancel", summary="Cancel an export in progress")
def cancel_snapshot(
    snapshot_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[SnapshotOut]:
    """The snapshot ends ``failed`` ("cancelled by ..."); the files written are removed."""
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    cancel_export(session, user, snapshot)
    session.commit()
    platform.exporter.cancel(snapshot_id)  # interrupts a check query in progress
    return Envelope(data=SnapshotOut.of_row(snapshot))


@router.post("/{snapshot_id}/retry", summary="Export a failed snapshot again")
def retry_snapshot(
    snapshot_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[SnapshotOut]:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    if snapshot.status != "failed":
        raise invalid_state(
            f"Snapshot {snapshot_id} is {snapshot.status}; only a failed snapshot can be "
            "retried. Wait for it (client.snapshots.wait_until_ready) instead.",
            status=snapshot.status,
        )
    requeue_snapshot(session, snapshot)
    audit(session, user, "snapshot.retry", "snapshot", snapshot_id)
    session.commit()
    platform.exporter.wake()
    return Envelope(data=SnapshotOut.of_row(snapshot))
