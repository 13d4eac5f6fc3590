"""Routes: instances, graph databases loaded from a snapshot (list, get, create,
from-mapping, update, terminate). Progress, CPU, lifecycle and access are in
:mod:`.instance_ops`.

Status: ``waiting_for_snapshot`` → ``starting`` → ``running`` → ``stopping`` →
``terminated``, or ``failed`` with ``error_message``. The instance monitor does the
transitions up to ``running``; terminate does the rest.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.schemas.common import Envelope, Page, error_responses
from graph_olap_server.api.schemas.instances import (
    InstanceCreate,
    InstanceFromMapping,
    InstanceOut,
    InstanceUpdate,
)
from graph_olap_server.config_store import get_config
from graph_olap_server.export import new_progress
from graph_olap_server.services.audit import audit
from graph_olap_server.services.instances import (
    admit_instance,
    fresh_instance,
    load_instance,
    terminate_now,
)
from graph_olap_server.services.listing import ListFilters, Sort, check_page, fetch_page, filter_by
from graph_olap_server.services.mappings import version_for
from graph_olap_server.services.snapshots import invalid_state, load_snapshot, queue

router = APIRouter(tags=["instances"], prefix="/instances")

SORTABLE = {
    "name": db.Instance.name,
    "created_at": db.Instance.created_at,
    "updated_at": db.Instance.updated_at,
    "status": db.Instance.status,
    "expires_at": db.Instance.expires_at,
    "id": db.Instance.id,
}


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
) -> Page[InstanceOut]:
    check_page(offset, limit)
    query = select(db.Instance)
    if snapshot_id is not None:
        query = query.where(db.Instance.snapshot_id == snapshot_id)
    filters = ListFilters(
        owner=owner,
        status=status,
        search=search,
        created_after=created_after,
        created_before=created_before,
    )
    query = filter_by(query, db.Instance, filters)
    sort = Sort(SORTABLE[sort_by], sort_order, db.Instance.id)
    rows, total = fetch_page(session, query, sort, offset=offset, limit=limit)
    items = [InstanceOut.of_row(i, platform.runtime) for i in rows]
    return Page.of(items, total=total, offset=offset, limit=limit)


@router.post("", status_code=201, summary="Start an instance from a ready snapshot")
def create_instance(
    body: InstanceCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[InstanceOut]:
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
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.post(
    "/from-mapping", status_code=201, summary="Snapshot a mapping and start an instance of it"
)
def create_from_mapping(
    body: InstanceFromMapping, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[InstanceOut]:
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
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.get("/{instance_id}", summary="Get an instance")
def get_instance(
    instance_id: int, session: DbSession, _user: CurrentUser, platform: PlatformDep
) -> Envelope[InstanceOut]:
    """A ``running`` instance whose process is gone is marked ``failed`` first, so a
    client that just lost its connection to the instance reads the truth."""
    instance = fresh_instance(platform, session, instance_id)
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.put("/{instance_id}", summary="Rename or describe an instance")
def update_instance(
    instance_id: int,
    body: InstanceUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> Envelope[InstanceOut]:
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    if body.name is not None:
        instance.name = body.name
    if body.description is not None:
        instance.description = body.description or None
    audit(session, user, "instance.update", "instance", instance_id)
    session.commit()
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.post(
    "/{instance_id}/terminate",
    summary="Terminate an instance",
    responses=error_responses(s500="The instance's process could not be stopped"),
)
def terminate(
    instance_id: int, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[InstanceOut]:
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
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))
