"""Routes: snapshots, the exported data of one mapping version.

A snapshot is ``pending`` when queued, ``creating`` while the exporter writes its Parquet
files, then ``ready`` or ``failed``. Most users never create one directly:
``POST /api/instances/from-mapping`` does it for them.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.envelope import check_page, ok, page
from graph_olap_server.api.routes.common import audit, parse_time, snapshot_public
from graph_olap_server.api.routes.instance_common import (
    delete_snapshot_row,
    invalid_state,
    load_snapshot,
)
from graph_olap_server.api.routes.mappings import load_mapping
from graph_olap_server.config_store import get_config
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import APIError, bad_request
from graph_olap_server.export import public_progress, queue_snapshot, requeue_snapshot

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SnapshotCreate(_Strict):
    mapping_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    version: int | None = Field(default=None, ge=1)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class SnapshotUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)


class SnapshotLifecycle(_Strict):
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


def check_snapshot_lifecycle(session: Any, ttl: str | None, inactivity_timeout: str | None) -> None:
    """400 for an invalid duration or a TTL over ``lifecycle.snapshot.max_ttl``."""
    for field, value in (("ttl", ttl), ("inactivity_timeout", inactivity_timeout)):
        if value:
            try:
                parse_duration(value, field)
            except ValueError as err:
                raise bad_request(str(err), field=field) from err
    limit = get_config(session, "lifecycle")["snapshot"].get("max_ttl")
    if ttl and limit and parse_duration(ttl, "ttl") > parse_duration(limit, "max_ttl"):
        raise bad_request(
            f"ttl {ttl} is longer than the maximum snapshot TTL {limit}; ask for at most {limit}.",
            field="ttl",
            max_ttl=limit,
        )


def version_for(session: Any, mapping_id: int, version: int | None) -> db.MappingVersion:
    """The requested (default: current) version of a mapping; 404 for an unknown mapping,
    400 naming the valid range for an unknown version."""
    mapping = load_mapping(session, mapping_id)
    number = version if version is not None else mapping.current_version
    row = session.scalars(
        select(db.MappingVersion).where(
            db.MappingVersion.mapping_id == mapping_id, db.MappingVersion.version == number
        )
    ).first()
    if row is None:
        raise bad_request(
            f"Mapping {mapping_id} has no version {number}; it has versions 1 to "
            f"{mapping.current_version}. Leave the version out to use the current one.",
            field="version",
            current_version=mapping.current_version,
        )
    return row  # type: ignore[no-any-return]


def queue(session: Any, version: db.MappingVersion, **fields: Any) -> db.Snapshot:
    """``queue_snapshot`` with a 400 naming a definition that cannot be exported."""
    try:
        return queue_snapshot(session, version=version, **fields)
    except ValueError as err:
        raise bad_request(f"The mapping cannot be exported: {err}", field="mapping_id") from err


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
) -> dict[str, Any]:
    check_page(offset, limit)
    query = select(db.Snapshot)
    if mapping_id is not None:
        query = query.where(db.Snapshot.mapping_id == mapping_id)
    if mapping_version is not None:
        query = query.where(db.Snapshot.mapping_version == mapping_version)
    if owner:
        query = query.where(db.Snapshot.owner_username == owner)
    if status:
        query = query.where(db.Snapshot.status == status)
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(db.Snapshot.name).like(like),
                func.lower(db.Snapshot.description).like(like),
            )
        )
    if created_after:
        query = query.where(db.Snapshot.created_at >= parse_time(created_after, "created_after"))
    if created_before:
        query = query.where(db.Snapshot.created_at <= parse_time(created_before, "created_before"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = SORTABLE[sort_by]
    order = column.asc() if sort_order == "asc" else column.desc()
    rows = session.scalars(
        query.order_by(order, db.Snapshot.id.desc()).offset(offset).limit(limit)
    ).all()
    return page([snapshot_public(s) for s in rows], total=total, offset=offset, limit=limit)


@router.post("", status_code=201, summary="Create a snapshot (queues its export)")
def create_snapshot(
    body: SnapshotCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
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
    return ok(snapshot_public(snapshot))


@router.get("/{snapshot_id}", summary="Get a snapshot")
def get_snapshot(snapshot_id: int, session: DbSession, _user: CurrentUser) -> dict[str, Any]:
    return ok(snapshot_public(load_snapshot(session, snapshot_id)))


@router.put("/{snapshot_id}", summary="Rename or describe a snapshot")
def update_snapshot(
    snapshot_id: int, body: SnapshotUpdate, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    if body.name is not None:
        snapshot.name = body.name
    if body.description is not None:
        snapshot.description = body.description or None
    audit(session, user, "snapshot.update", "snapshot", snapshot_id)
    session.commit()
    return ok(snapshot_public(snapshot))


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
    snapshot_id: int, body: SnapshotLifecycle, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    snapshot = load_snapshot(session, snapshot_id)
    user.require_owner(snapshot.owner_username, f"Snapshot {snapshot_id}")
    check_snapshot_lifecycle(session, body.ttl, body.inactivity_timeout)
    if body.ttl is not None:
        snapshot.ttl = body.ttl or None
    if body.inactivity_timeout is not None:
        snapshot.inactivity_timeout = body.inactivity_timeout or None
    audit(session, user, "snapshot.lifecycle", "snapshot", snapshot_id)
    session.commit()
    return ok(snapshot_public(snapshot))


@router.get("/{snapshot_id}/progress", summary="Export progress of a snapshot")
def snapshot_progress(snapshot_id: int, session: DbSession, _user: CurrentUser) -> dict[str, Any]:
    s = load_snapshot(session, snapshot_id)
    progress = s.progress or {"phase": _PHASE_OF.get(s.status, "queued")}
    return ok(public_progress(s.id, s.status, progress, s.error_message))


@router.post("/{snapshot_id}/retry", summary="Export a failed snapshot again")
def retry_snapshot(
    snapshot_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
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
    return ok(snapshot_public(snapshot))
