"""Routes: mappings and their immutable versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep, User
from graph_olap_server.api.envelope import check_page, ok, page
from graph_olap_server.api.routes.common import audit, parse_time, snapshot_public
from graph_olap_server.definitions import (
    EdgeDefinitionIn,
    NodeDefinitionIn,
    check_definitions,
    diff_definitions,
)
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import bad_request, conflict, not_found

router = APIRouter(tags=["mappings"])

SORTABLE = {
    "name": db.Mapping.name,
    "created_at": db.Mapping.created_at,
    "updated_at": db.Mapping.updated_at,
    "current_version": db.Mapping.current_version,
    "id": db.Mapping.id,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MappingCreate(_Strict):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    node_definitions: list[NodeDefinitionIn] = Field(max_length=200)
    edge_definitions: list[EdgeDefinitionIn] = Field(default_factory=list, max_length=200)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class MappingUpdate(_Strict):
    change_description: str = Field(min_length=1, max_length=2000)
    node_definitions: list[NodeDefinitionIn] | None = Field(default=None, max_length=200)
    edge_definitions: list[EdgeDefinitionIn] | None = Field(default=None, max_length=200)


class MappingCopy(_Strict):
    name: str = Field(min_length=1, max_length=255)


class LifecycleUpdate(_Strict):
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


def _check_durations(**values: str | None) -> None:
    for field, value in values.items():
        if value:
            try:
                parse_duration(value, field)
            except ValueError as err:
                raise bad_request(str(err), field=field) from err


def load_mapping(session: Session, mapping_id: int) -> db.Mapping:
    mapping = session.get(db.Mapping, mapping_id)
    if mapping is None:
        raise not_found("Mapping", mapping_id)
    return mapping


def load_version(session: Session, mapping_id: int, version: int) -> db.MappingVersion:
    row = session.scalars(
        select(db.MappingVersion).where(
            db.MappingVersion.mapping_id == mapping_id, db.MappingVersion.version == version
        )
    ).first()
    if row is None:
        mapping = load_mapping(session, mapping_id)
        raise not_found(
            f"Version {version} of mapping",
            mapping_id,
            f"Mapping {mapping_id} has versions 1 to {mapping.current_version}.",
        )
    return row


def version_public(v: db.MappingVersion) -> dict[str, Any]:
    return {
        "mapping_id": v.mapping_id,
        "version": v.version,
        "change_description": v.change_description,
        "node_definitions": v.node_definitions,
        "edge_definitions": v.edge_definitions,
        "created_at": v.created_at,
        "created_by": v.created_by,
    }


def mapping_public(
    session: Session,
    m: db.Mapping,
    v: db.MappingVersion | None = None,
    snapshot_count: int | None = None,
) -> dict[str, Any]:
    v = v or load_version(session, m.id, m.current_version)
    if snapshot_count is None:
        snapshot_count = (
            session.scalar(select(func.count()).where(db.Snapshot.mapping_id == m.id)) or 0
        )
    return {
        "id": m.id,
        "name": m.name,
        "description": m.description,
        "owner_username": m.owner_username,
        "current_version": m.current_version,
        "change_description": v.change_description,
        "node_definitions": v.node_definitions,
        "edge_definitions": v.edge_definitions,
        "ttl": m.ttl,
        "inactivity_timeout": m.inactivity_timeout,
        "snapshot_count": snapshot_count,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    }


def mappings_public(session: Session, rows: Sequence[db.Mapping]) -> list[dict[str, Any]]:
    """Public shapes of many mappings with two queries, not two per mapping."""
    if not rows:
        return []
    ids = [m.id for m in rows]
    versions = {
        (v.mapping_id, v.version): v
        for v in session.scalars(
            select(db.MappingVersion).where(
                tuple_(db.MappingVersion.mapping_id, db.MappingVersion.version).in_(
                    [(m.id, m.current_version) for m in rows]
                )
            )
        )
    }
    counts = {
        mapping_id: count
        for mapping_id, count in session.execute(
            select(db.Snapshot.mapping_id, func.count())
            .where(db.Snapshot.mapping_id.in_(ids))
            .group_by(db.Snapshot.mapping_id)
        ).all()
    }
    return [
        mapping_public(session, m, versions[(m.id, m.current_version)], counts.get(m.id, 0))
        for m in rows
    ]


def _dump(defs: list[NodeDefinitionIn] | list[EdgeDefinitionIn]) -> list[dict[str, Any]]:
    return [d.model_dump() for d in defs]


@router.get("/mappings", summary="List mappings")
def list_mappings(
    session: DbSession,
    _user: CurrentUser,
    owner: str | None = None,
    search: str | None = Query(default=None, max_length=255),
    created_after: str | None = None,
    created_before: str | None = None,
    sort_by: Literal["name", "created_at", "updated_at", "current_version", "id"] = "created_at",
    sort_order: Literal["asc", "desc"] = "desc",
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    check_page(offset, limit)
    query = select(db.Mapping)
    if owner:
        query = query.where(db.Mapping.owner_username == owner)
    if search:
        text = search.lower()
        query = query.where(
            or_(
                func.lower(db.Mapping.name).contains(text, autoescape=True),
                func.lower(db.Mapping.description).contains(text, autoescape=True),
            )
        )
    if created_after:
        query = query.where(db.Mapping.created_at >= parse_time(created_after, "created_after"))
    if created_before:
        query = query.where(db.Mapping.created_at <= parse_time(created_before, "created_before"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = SORTABLE[sort_by]
    order = column.asc() if sort_order == "asc" else column.desc()
    rows = session.scalars(
        query.order_by(order, db.Mapping.id.desc()).offset(offset).limit(limit)
    ).all()
    return page(mappings_public(session, rows), total=total, offset=offset, limit=limit)


@router.post("/mappings", status_code=201, summary="Create a mapping (version 1)")
def create_mapping(
    body: MappingCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> dict[str, Any]:
    _check_durations(ttl=body.ttl, inactivity_timeout=body.inactivity_timeout)
    check_definitions(body.node_definitions, body.edge_definitions, platform.warehouse)
    mapping = db.Mapping(
        name=body.name,
        description=body.description,
        owner_username=user.username,
        current_version=1,
        ttl=body.ttl,
        inactivity_timeout=body.inactivity_timeout,
    )
    session.add(mapping)
    session.flush()
    version = db.MappingVersion(
        mapping_id=mapping.id,
        version=1,
        node_definitions=_dump(body.node_definitions),
        edge_definitions=_dump(body.edge_definitions),
        change_description="Initial version",
        created_by=user.username,
    )
    session.add(version)
    audit(session, user, "mapping.create", "mapping", mapping.id)
    session.commit()
    return ok(mapping_public(session, mapping, version))


@router.get("/mappings/{mapping_id}", summary="Get a mapping (current version)")
def get_mapping(mapping_id: int, session: DbSession, _user: CurrentUser) -> dict[str, Any]:
    snapshots = (
        select(func.count())
        .where(db.Snapshot.mapping_id == db.Mapping.id)
        .correlate(db.Mapping)
        .scalar_subquery()
    )
    row = session.execute(
        select(db.Mapping, db.MappingVersion, snapshots)
        .join(
            db.MappingVersion,
            (db.MappingVersion.mapping_id == db.Mapping.id)
            & (db.MappingVersion.version == db.Mapping.current_version),
        )
        .where(db.Mapping.id == mapping_id)
    ).first()
    if row is None:
        raise not_found("Mapping", mapping_id)
    mapping, version, count = row
    return ok(mapping_public(session, mapping, version, count))


@router.put("/mappings/{mapping_id}", summary="Write a new version of a mapping")
def update_mapping(
    mapping_id: int,
    body: MappingUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> dict[str, Any]:
    mapping = load_mapping(session, mapping_id)
    user.require_owner(mapping.owner_username, f"Mapping {mapping_id}")
    current = load_version(session, mapping_id, mapping.current_version)
    nodes = (
        body.node_definitions
        if body.node_definitions is not None
        else [NodeDefinitionIn.model_validate(n) for n in current.node_definitions]
    )
    edges = (
        body.edge_definitions
        if body.edge_definitions is not None
        else [EdgeDefinitionIn.model_validate(e) for e in current.edge_definitions]
    )
    check_definitions(nodes, edges, platform.warehouse)
    version = db.MappingVersion(
        mapping_id=mapping_id,
        version=mapping.current_version + 1,
        node_definitions=_dump(nodes),
        edge_definitions=_dump(edges),
        change_description=body.change_description,
        created_by=user.username,
    )
    mapping.current_version = version.version
    mapping.updated_at = dt.datetime.now(dt.timezone.utc)
    session.add(version)
    audit(session, user, "mapping.update", "mapping", mapping_id, {"version": version.version})
    session.commit()
    return ok(mapping_public(session, mapping, version))


def mapping_dependants(session: Session, mapping_id: int) -> dict[str, list[int]]:
    snapshots = session.scalars(
        select(db.Snapshot.id).where(db.Snapshot.mapping_id == mapping_id)
    ).all()
    instances = session.scalars(
        select(db.Instance.id).where(
            db.Instance.mapping_id == mapping_id, db.Instance.status.not_in(["terminated"])
        )
    ).all()
    return {"snapshot_ids": list(snapshots), "instance_ids": list(instances)}


def delete_mapping_row(session: Session, user: User, mapping: db.Mapping) -> None:
    """Delete a mapping that nothing depends on, or answer 409 naming the dependants."""
    deps = mapping_dependants(session, mapping.id)
    if deps["snapshot_ids"] or deps["instance_ids"]:
        raise conflict(
            "RESOURCE_HAS_DEPENDENCIES",
            f"Mapping {mapping.id} cannot be deleted: snapshots {deps['snapshot_ids']} and "
            f"instances {deps['instance_ids']} were made from it. Terminate the instances "
            "and delete the snapshots first.",
            **deps,
        )
    # terminated instances keep their record but no longer point at the mapping
    session.execute(
        db.Instance.__table__.update()
        .where(db.Instance.mapping_id == mapping.id)
        .values(mapping_id=None)
    )
    session.execute(
        db.MappingVersion.__table__.delete().where(db.MappingVersion.mapping_id == mapping.id)
    )
    session.delete(mapping)
    audit(session, user, "mapping.delete", "mapping", mapping.id)


@router.delete("/mappings/{mapping_id}", status_code=204, summary="Delete a mapping")
def delete_mapping(mapping_id: int, session: DbSession, user: CurrentUser) -> Response:
    mapping = load_mapping(session, mapping_id)
    user.require_owner(mapping.owner_username, f"Mapping {mapping_id}")
    delete_mapping_row(session, user, mapping)
    session.commit()
    return Response(status_code=204)


@router.post("/mappings/{mapping_id}/copy", status_code=201, summary="Copy a mapping")
def copy_mapping(
    mapping_id: int, body: MappingCopy, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    source = load_mapping(session, mapping_id)
    current = load_version(session, mapping_id, source.current_version)
    mapping = db.Mapping(
        name=body.name,
        description=source.description,
        owner_username=user.username,
        current_version=1,
        ttl=source.ttl,
        inactivity_timeout=source.inactivity_timeout,
    )
    session.add(mapping)
    session.flush()
    version = db.MappingVersion(
        mapping_id=mapping.id,
        version=1,
        node_definitions=current.node_definitions,
        edge_definitions=current.edge_definitions,
        change_description=f"Copied from mapping {mapping_id} version {current.version}",
        created_by=user.username,
    )
    session.add(version)
    audit(session, user, "mapping.copy", "mapping", mapping.id, {"source": mapping_id})
    session.commit()
    return ok(mapping_public(session, mapping, version))


@router.put(
    "/mappings/{mapping_id}/lifecycle", summary="Set a mapping's TTL and inactivity timeout"
)
def set_lifecycle(
    mapping_id: int, body: LifecycleUpdate, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    mapping = load_mapping(session, mapping_id)
    user.require_owner(mapping.owner_username, f"Mapping {mapping_id}")
    _check_durations(ttl=body.ttl, inactivity_timeout=body.inactivity_timeout)
    if body.ttl is not None:
        mapping.ttl = body.ttl or None
    if body.inactivity_timeout is not None:
        mapping.inactivity_timeout = body.inactivity_timeout or None
    audit(session, user, "mapping.lifecycle", "mapping", mapping_id)
    session.commit()
    return ok(mapping_public(session, mapping))


@router.get("/mappings/{mapping_id}/versions", summary="List a mapping's versions")
def list_versions(mapping_id: int, session: DbSession, _user: CurrentUser) -> dict[str, Any]:
    load_mapping(session, mapping_id)
    rows = session.scalars(
        select(db.MappingVersion)
        .where(db.MappingVersion.mapping_id == mapping_id)
        .order_by(db.MappingVersion.version)
    ).all()
    return ok([version_public(v) for v in rows])


@router.get("/mappings/{mapping_id}/versions/{version}", summary="Get one version")
def get_version(
    mapping_id: int, version: int, session: DbSession, _user: CurrentUser
) -> dict[str, Any]:
    return ok(version_public(load_version(session, mapping_id, version)))


@router.get(
    "/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}",
    summary="Compare two versions",
)
def diff_versions(
    mapping_id: int, from_version: int, to_version: int, session: DbSession, _user: CurrentUser
) -> dict[str, Any]:
    a = version_public(load_version(session, mapping_id, from_version))
    b = version_public(load_version(session, mapping_id, to_version))
    return ok(
        {
            "mapping_id": mapping_id,
            "from_version": from_version,
            "to_version": to_version,
            **diff_definitions(a, b),
        }
    )


@router.get("/mappings/{mapping_id}/snapshots", summary="List a mapping's snapshots")
def list_mapping_snapshots(
    mapping_id: int, session: DbSession, _user: CurrentUser, offset: int = 0, limit: int = 50
) -> dict[str, Any]:
    check_page(offset, limit)
    load_mapping(session, mapping_id)
    query = select(db.Snapshot).where(db.Snapshot.mapping_id == mapping_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(db.Snapshot.id.desc()).offset(offset).limit(limit)).all()
    return page([snapshot_public(s) for s in rows], total=total, offset=offset, limit=limit)


@router.get("/mappings/{mapping_id}/tree", summary="Versions, snapshots and instances of a mapping")
def get_tree(
    mapping_id: int,
    session: DbSession,
    _user: CurrentUser,
    include_instances: bool = True,
    status: str | None = None,
) -> dict[str, Any]:
    mapping = load_mapping(session, mapping_id)
    versions = session.scalars(
        select(db.MappingVersion)
        .where(db.MappingVersion.mapping_id == mapping_id)
        .order_by(db.MappingVersion.version)
    ).all()
    snap_query = select(db.Snapshot).where(db.Snapshot.mapping_id == mapping_id)
    if status:
        snap_query = snap_query.where(db.Snapshot.status == status)
    snapshots = session.scalars(snap_query.order_by(db.Snapshot.id)).all()
    instances: dict[int, list[dict[str, Any]]] = {}
    if include_instances and snapshots:
        for inst in session.scalars(
            select(db.Instance).where(db.Instance.snapshot_id.in_([s.id for s in snapshots]))
        ).all():
            instances.setdefault(inst.snapshot_id or 0, []).append(
                {
                    "id": inst.id,
                    "name": inst.name,
                    "status": inst.status,
                    "owner_username": inst.owner_username,
                }
            )
    tree = []
    for v in versions:
        snaps = []
        for s in snapshots:
            if s.mapping_version == v.version:
                node: dict[str, Any] = {"id": s.id, "name": s.name, "status": s.status}
                if include_instances:
                    node["instances"] = instances.get(s.id, [])
                snaps.append(node)
        tree.append(
            {
                "version": v.version,
                "change_description": v.change_description,
                "created_at": v.created_at,
                "created_by": v.created_by,
                "snapshots": snaps,
            }
        )
    return ok(
        {
            "mapping_id": mapping.id,
            "name": mapping.name,
            "current_version": mapping.current_version,
            "versions": tree,
        }
    )
