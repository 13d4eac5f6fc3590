"""Routes: instances, graph databases loaded from a snapshot (list, get, create,
from-mapping, update, terminate). Progress, CPU, lifecycle and access are in
:mod:`.instance_ops`.

Status: ``waiting_for_snapshot`` → ``starting`` → ``running`` → ``stopping`` →
``terminated``, or ``failed`` with ``error_message``. The instance monitor does the
transitions up to ``running``; terminate does the rest.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.envelope import check_page, ok, page
from graph_olap_server.api.routes.common import audit, instance_public, parse_time
from graph_olap_server.api.routes.instance_common import (
    admit_instance,
    invalid_state,
    load_instance,
    load_snapshot,
    terminate_now,
)
from graph_olap_server.api.routes.snapshots import queue, version_for
from graph_olap_server.config_store import get_config
from graph_olap_server.export import new_progress

router = APIRouter(tags=["instances"], prefix="/instances")

SORTABLE = {
    "name": db.Instance.name,
    "created_at": db.Instance.created_at,
    "updated_at": db.Instance.updated_at,
    "status": db.Instance.status,
    "expires_at": db.Instance.expires_at,
    "id": db.Instance.id,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InstanceCreate(_Strict):
    snapshot_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class InstanceFromMapping(_Strict):
    mapping_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    mapping_version: int | None = Field(default=None, ge=1)
    snapshot_name: str | None = Field(default=None, min_length=1, max_length=255)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class InstanceUpdate(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)


@router.get("", summary="List instances")
def list_instances(
    session: DbSession,
    _user: CurrentUser,
    platform: PlatformDep,
    snapshot_id: int | None = None,
    owner: str | None = None,
    status: str | None = None,
    search: str | None = Query(default=None, max_length=255),
    created_after: str | None = None,
    created_before: str | None = None,
    sort_by: Literal["name", "created_at", "updated_at", "status", "expires_at", "id"] = (
        "created_at"
    ),
    sort_order: Literal["asc", "desc"] = "desc",
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    check_page(offset, limit)
    query = select(db.Instance)
    if snapshot_id is not None:
        query = query.where(db.Instance.snapshot_id == snapshot_id)
    if owner:
        query = query.where(db.Instance.owner_username == owner)
    if status:
        query = query.where(db.Instance.status == status)
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(db.Instance.name).like(like),
                func.lower(db.Instance.description).like(like),
            )
        )
    if created_after:
        query = query.where(db.Instance.created_at >= parse_time(created_after, "created_after"))
    if created_before:
        query = query.where(db.Instance.created_at <= parse_time(created_before, "created_before"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = SORTABLE[sort_by]
    order = column.asc() if sort_order == "asc" else column.desc()
    rows = session.scalars(
        query.order_by(order, db.Instance.id.desc()).offset(offset).limit(limit)
    ).all()
    items = [instance_public(i, platform.runtime) for i in rows]
    return page(items, total=total, offset=offset, limit=limit)


@router.post("", status_code=201, summary="Start an instance from a ready snapshot")
def create_instance(
    body: InstanceCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
    snapshot = load_snapshot(session, body.snapshot_id)
    if snapshot.status != "ready":
        raise invalid_state(
            f"Snapshot {snapshot.id} is {snapshot.status}, not ready, so no instance can be "
            "loaded from it. Wait for it (client.snapshots.wait_until_ready), or use "
            "client.instances.create_from_mapping(...), which waits for you.",
            snapshot_status=snapshot.status,
        )

    def build(s: Session) -> db.Instance:
        instance = db.Instance(
            snapshot_id=snapshot.id,
            mapping_id=snapshot.mapping_id,
            mapping_version=snapshot.mapping_version,
            name=body.name,
            description=body.description,
            owner_username=user.username,
            status="starting",
            progress={"phase": "pod_scheduled", "steps": [], "export_steps": False},
        )
        s.add(instance)
        return instance

    instance = admit_instance(
        platform,
        session,
        user,
        ttl=body.ttl,
        inactivity_timeout=body.inactivity_timeout,
        build=build,
    )
    return ok(instance_public(instance, platform.runtime))


@router.post(
    "/from-mapping", status_code=201, summary="Snapshot a mapping and start an instance of it"
)
def create_from_mapping(
    body: InstanceFromMapping, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
    """One transaction: the snapshot (``pending``), its export jobs and the instance
    (``waiting_for_snapshot``); the instance starts by itself once the export is done."""
    version = version_for(session, body.mapping_id, body.mapping_version)
    snapshot_ttl = get_config(session, "lifecycle")["snapshot"].get("default_ttl")

    def build(s: Session) -> db.Instance:
        snapshot = queue(
            s,
            version,
            name=body.snapshot_name or body.name,
            owner=user.username,
            description=f"Created for instance {body.name!r}",
            ttl=snapshot_ttl,
        )
        audit(s, user, "snapshot.create", "snapshot", snapshot.id)
        instance = db.Instance(
            snapshot_id=snapshot.id,
            mapping_id=version.mapping_id,
            mapping_version=version.version,
            name=body.name,
            description=body.description,
            owner_username=user.username,
            status="waiting_for_snapshot",
            progress={**new_progress([], phase="waiting_for_snapshot"), "export_steps": True},
        )
        s.add(instance)
        return instance

    instance = admit_instance(
        platform,
        session,
        user,
        ttl=body.ttl,
        inactivity_timeout=body.inactivity_timeout,
        build=build,
    )
    return ok(instance_public(instance, platform.runtime))


@router.get("/{instance_id}", summary="Get an instance")
def get_instance(
    instance_id: int, session: DbSession, _user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
    """A ``running`` instance whose process is gone is marked ``failed`` first, so a
    client that just lost its connection to the instance reads the truth."""
    instance = load_instance(session, instance_id)
    monitor = platform.monitor
    if monitor is not None and monitor.fail_if_process_gone(instance):
        session.rollback()  # end this read, to see the monitor's write
        instance = load_instance(session, instance_id)
    return ok(instance_public(instance, platform.runtime))


@router.put("/{instance_id}", summary="Rename or describe an instance")
def update_instance(
    instance_id: int,
    body: InstanceUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> dict[str, Any]:
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    if body.name is not None:
        instance.name = body.name
    if body.description is not None:
        instance.description = body.description or None
    audit(session, user, "instance.update", "instance", instance_id)
    session.commit()
    return ok(instance_public(instance, platform.runtime))


@router.post("/{instance_id}/terminate", summary="Terminate an instance")
def terminate(
    instance_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
    """Stops the process and frees its files; terminating a terminated instance is a
    no-op. Answers the instance (``terminated``)."""
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    if instance.status != "terminated":
        instance.status = "stopping"
        session.commit()  # others see it stopping while the process stops
        terminate_now(platform, instance, "requested")
        audit(session, user, "instance.terminate", "instance", instance_id)
        session.commit()
    return ok(instance_public(instance, platform.runtime))
