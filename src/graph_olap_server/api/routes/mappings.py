"""Routes: mappings and their immutable versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.schemas.common import Envelope, LifecycleUpdate, Page
from graph_olap_server.api.schemas.mappings import (
    DryRunOut,
    DryRunRequest,
    MappingCopy,
    MappingCreate,
    MappingDiffOut,
    MappingOut,
    MappingTreeOut,
    MappingUpdate,
    MappingVersionOut,
    TreeInstanceOut,
    TreeSnapshotOut,
    TreeVersionOut,
)
from graph_olap_server.api.schemas.snapshots import SnapshotOut
from graph_olap_server.definitions import (
    EdgeDefinitionIn,
    NodeDefinitionIn,
    check_definitions,
    diff_definitions,
)
from graph_olap_server.errors import APIError, bad_request, not_found
from graph_olap_server.export.plan import build_plan
from graph_olap_server.services.audit import audit
from graph_olap_server.services.dry_run import DryRunOptions, dry_run
from graph_olap_server.services.lifecycle import check_durations
from graph_olap_server.services.listing import ListFilters, Sort, check_page, fetch_page, filter_by
from graph_olap_server.services.mappings import (
    current_versions,
    delete_mapping_row,
    load_mapping,
    load_version,
    snapshot_counts,
)
from graph_olap_server.warehouse import SqlValidationError, WarehouseAdapter, WarehouseError

router = APIRouter(tags=["mappings"])

SORTABLE = {
    "name": db.Mapping.name,
    "created_at": db.Mapping.created_at,
    "updated_at": db.Mapping.updated_at,
    "current_version": db.Mapping.current_version,
    "id": db.Mapping.id,
}


def _out(
    session: Session, mapping: db.Mapping, version: db.MappingVersion | None = None
) -> MappingOut:
    version = version or load_version(session, mapping.id, mapping.current_version)
    count = snapshot_counts(session, [mapping.id]).get(mapping.id, 0)
    return MappingOut.of_rows(mapping, version, snapshot_count=count)


def _outs(session: Session, rows: Sequence[db.Mapping]) -> list[MappingOut]:
    """Many mappings with two queries, not two per mapping."""
    versions = current_versions(session, rows)
    counts = snapshot_counts(session, [m.id for m in rows])
    return [MappingOut.of_rows(m, versions[m.id], snapshot_count=counts.get(m.id, 0)) for m in rows]


def _dump(defs: Sequence[NodeDefinitionIn | EdgeDefinitionIn]) -> list[dict[str, Any]]:
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
) -> Page[MappingOut]:
    check_page(offset, limit)
    filters = ListFilters(
        owner=owner, search=search, created_after=created_after, created_before=created_before
    )
    query = filter_by(select(db.Mapping), db.Mapping, filters)
    sort = Sort(SORTABLE[sort_by], sort_order, db.Mapping.id)
    rows, total = fetch_page(session, query, sort, offset=offset, limit=limit)
    return Page.of(_outs(session, rows), total=total, offset=offset, limit=limit)


@router.post("/mappings", status_code=201, summary="Create a mapping (version 1)")
def create_mapping(
    body: MappingCreate, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[MappingOut]:
    check_durations(ttl=body.ttl, inactivity_timeout=body.inactivity_timeout)
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
    return Envelope(data=_out(session, mapping, version))


@router.get("/mappings/{mapping_id}", summary="Get a mapping (current version)")
def get_mapping(mapping_id: int, session: DbSession, _user: CurrentUser) -> Envelope[MappingOut]:
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
    return Envelope(data=MappingOut.of_rows(mapping, version, snapshot_count=count))


@router.put("/mappings/{mapping_id}", summary="Write a new version of a mapping")
def update_mapping(
    mapping_id: int,
    body: MappingUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> Envelope[MappingOut]:
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
    return Envelope(data=_out(session, mapping, version))


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
) -> Envelope[MappingOut]:
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
    return Envelope(data=_out(session, mapping, version))


@router.put(
    "/mappings/{mapping_id}/lifecycle", summary="Set a mapping's TTL and inactivity timeout"
)
def set_lifecycle(
    mapping_id: int, body: LifecycleUpdate, session: DbSession, user: CurrentUser
) -> Envelope[MappingOut]:
    mapping = load_mapping(session, mapping_id)
    user.require_owner(mapping.owner_username, f"Mapping {mapping_id}")
    check_durations(ttl=body.ttl, inactivity_timeout=body.inactivity_timeout)
    if body.ttl is not None:
        mapping.ttl = body.ttl or None
    if body.inactivity_timeout is not None:
        mapping.inactivity_timeout = body.inactivity_timeout or None
    audit(session, user, "mapping.lifecycle", "mapping", mapping_id)
    session.commit()
    return Envelope(data=_out(session, mapping))


@router.get("/mappings/{mapping_id}/versions", summary="List a mapping's versions")
def list_versions(
    mapping_id: int, session: DbSession, _user: CurrentUser
) -> Envelope[list[MappingVersionOut]]:
    load_mapping(session, mapping_id)
    rows = session.scalars(
        select(db.MappingVersion)
        .where(db.MappingVersion.mapping_id == mapping_id)
        .order_by(db.MappingVersion.version)
    ).all()
    return Envelope(data=[MappingVersionOut.from_row(v) for v in rows])


@router.get("/mappings/{mapping_id}/versions/{version}", summary="Get one version")
def get_version(
    mapping_id: int, version: int, session: DbSession, _user: CurrentUser
) -> Envelope[MappingVersionOut]:
    return Envelope(data=MappingVersionOut.from_row(load_version(session, mapping_id, version)))


@router.get(
    "/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}",
    summary="Compare two versions",
)
def diff_versions(
    mapping_id: int, from_version: int, to_version: int, session: DbSession, _user: CurrentUser
) -> Envelope[MappingDiffOut]:
    a = load_version(session, mapping_id, from_version)
    b = load_version(session, mapping_id, to_version)
    diff = diff_definitions(
        {"node_definitions": a.node_definitions, "edge_definitions": a.edge_definitions},
        {"node_definitions": b.node_definitions, "edge_definitions": b.edge_definitions},
    )
    return Envelope(
        data=MappingDiffOut.model_validate(
            {
                "mapping_id": mapping_id,
                "from_version": from_version,
                "to_version": to_version,
                **diff,
            }
        )
    )


@router.get("/mappings/{mapping_id}/snapshots", summary="List a mapping's snapshots")
def list_mapping_snapshots(
    mapping_id: int, session: DbSession, _user: CurrentUser, offset: int = 0, limit: int = 50
) -> Page[SnapshotOut]:
    check_page(offset, limit)
    load_mapping(session, mapping_id)
    query = select(db.Snapshot).where(db.Snapshot.mapping_id == mapping_id)
    sort = Sort(db.Snapshot.id, "desc", db.Snapshot.id)
    rows, total = fetch_page(session, query, sort, offset=offset, limit=limit)
    return Page.of([SnapshotOut.of_row(s) for s in rows], total=total, offset=offset, limit=limit)


@router.get(
    "/mappings/{mapping_id}/tree",
    summary="Versions, snapshots and instances of a mapping",
    response_model_exclude_unset=True,
)
def get_tree(
    mapping_id: int,
    session: DbSession,
    _user: CurrentUser,
    include_instances: bool = True,
    status: str | None = None,
) -> Envelope[MappingTreeOut]:
    """Each snapshot lists its ``instances`` unless ``include_instances`` is false (then
    the field is left out)."""
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
    instances: dict[int, list[TreeInstanceOut]] = {}
    if include_instances and snapshots:
        for inst in session.scalars(
            select(db.Instance).where(db.Instance.snapshot_id.in_([s.id for s in snapshots]))
        ).all():
            instances.setdefault(inst.snapshot_id or 0, []).append(TreeInstanceOut.from_row(inst))

    def node(s: db.Snapshot) -> TreeSnapshotOut:
        if include_instances:
            return TreeSnapshotOut(
                id=s.id, name=s.name, status=s.status, instances=instances.get(s.id, [])
            )
        return TreeSnapshotOut(id=s.id, name=s.name, status=s.status)

    tree = [
        TreeVersionOut(
            version=v.version,
            change_description=v.change_description,
            created_at=v.created_at,
            created_by=v.created_by,
            snapshots=[node(s) for s in snapshots if s.mapping_version == v.version],
        )
        for v in versions
    ]
    return Envelope(
        data=MappingTreeOut(
            mapping_id=mapping.id,
            name=mapping.name,
            current_version=mapping.current_version,
            versions=tree,
        )
    )


# -- dry run (helper L4, issue 15) ------------------------------------------------------

SampleAbove = Query(
    default=DryRunOptions.sample_above,
    ge=0,
    description="Definitions with more rows are checked on a sample (row counts stay exact).",
)
SampleRows = Query(default=DryRunOptions.sample_rows, ge=1, le=10_000_000)
TimeBudget = Query(
    default=DryRunOptions.time_budget,
    gt=0,
    le=3600,
    description="Seconds after which the definitions left are checked on a sample.",
)


def _dry_run(
    warehouse: WarehouseAdapter,
    nodes: list[Any],
    edges: list[Any],
    options: DryRunOptions,
    version: db.MappingVersion | None = None,
) -> DryRunOut:
    try:
        report = dry_run(warehouse, build_plan(nodes, edges), options)
    except (ValueError, SqlValidationError) as err:
        raise bad_request(
            f"cannot dry-run the mapping: {err}. Check the definitions' SQL and declared "
            "types (a warehouse without TRY_CAST, such as PostgreSQL, fails here on a value "
            "that does not convert: convert it in the SQL or declare another type)."
        ) from None
    except WarehouseError as err:
        raise APIError(
            503,
            "SERVICE_UNAVAILABLE",
            f"the warehouse failed during the dry run: {err}. Retry, or raise time_budget "
            "/ lower sample_above if the warehouse is slow.",
        ) from None
    report["mapping_id"] = version.mapping_id if version else None
    report["mapping_version"] = version.version if version else None
    return DryRunOut.model_validate(report)


@router.post("/mappings/dry-run", summary="Dry-run unsaved definitions")
def dry_run_definitions(
    body: DryRunRequest,
    _user: CurrentUser,
    platform: PlatformDep,
    sample_above: int = SampleAbove,
    sample_rows: int = SampleRows,
    time_budget: float = TimeBudget,
) -> Envelope[DryRunOut]:
    """Row counts, duplicate keys, dangling edges and type errors of the definitions, and
    the instance's estimated memory, disk and load time; nothing is saved or exported."""
    check_definitions(body.node_definitions, body.edge_definitions, platform.warehouse)
    options = DryRunOptions(sample_above, sample_rows, time_budget)
    nodes, edges = _dump(body.node_definitions), _dump(body.edge_definitions)
    return Envelope(data=_dry_run(platform.warehouse, nodes, edges, options))


@router.post("/mappings/{mapping_id}/dry-run", summary="Dry-run a mapping version")
def dry_run_mapping(
    mapping_id: int,
    session: DbSession,
    _user: CurrentUser,
    platform: PlatformDep,
    version: int | None = None,
    sample_above: int = SampleAbove,
    sample_rows: int = SampleRows,
    time_budget: float = TimeBudget,
) -> Envelope[DryRunOut]:
    """The dry run of one version of a mapping (its current version by default)."""
    mapping = load_mapping(session, mapping_id)
    row = load_version(session, mapping_id, version or mapping.current_version)
    options = DryRunOptions(sample_above, sample_rows, time_budget)
    report = _dry_run(platform.warehouse, row.node_definitions, row.edge_definitions, options, row)
    return Envelope(data=report)
