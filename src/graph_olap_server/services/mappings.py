"""Mappings and their versions: loading, the current versions and snapshot counts of
many mappings at once, and deleting a mapping nothing depends on."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.errors import bad_request, conflict, not_found
from graph_olap_server.identity import User
from graph_olap_server.services.audit import audit

__all__ = [
    "current_versions",
    "delete_mapping_row",
    "load_mapping",
    "load_version",
    "mapping_dependants",
    "snapshot_counts",
    "version_for",
]


def load_mapping(session: Session, mapping_id: int) -> db.Mapping:
    """The mapping, or 404.

    Example:
        >>> load_mapping(session, 1).name
        'bank'
    """
    mapping = session.get(db.Mapping, mapping_id)
    if mapping is None:
        raise not_found("Mapping", mapping_id)
    return mapping


def load_version(session: Session, mapping_id: int, version: int) -> db.MappingVersion:
    """Version ``version`` of a mapping, or 404 naming the versions it has.

    Example:
        >>> load_version(session, 1, 2).version
        2
    """
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


def version_for(session: Session, mapping_id: int, version: int | None) -> db.MappingVersion:
    """The requested (default: current) version of a mapping; 404 for an unknown mapping,
    400 naming the valid range for an unknown version (a field of the request).

    Example:
        >>> version_for(session, 1, None).version
        2
    """
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
    return row


def current_versions(
    session: Session, mappings: Sequence[db.Mapping]
) -> dict[int, db.MappingVersion]:
    """The current version of each mapping, by mapping id, in one query.

    Example:
        >>> current_versions(session, [mapping])[mapping.id].version == mapping.current_version
        True
    """
    if not mappings:
        return {}
    rows = session.scalars(
        select(db.MappingVersion).where(
            tuple_(db.MappingVersion.mapping_id, db.MappingVersion.version).in_(
                [(m.id, m.current_version) for m in mappings]
            )
        )
    )
    return {v.mapping_id: v for v in rows}


def snapshot_counts(session: Session, mapping_ids: Sequence[int]) -> dict[int, int]:
    """How many snapshots each mapping has (absent: none), in one query.

    Example:
        >>> snapshot_counts(session, [1, 2]).get(2, 0)
        0
    """
    if not mapping_ids:
        return {}
    rows = session.execute(
        select(db.Snapshot.mapping_id, func.count())
        .where(db.Snapshot.mapping_id.in_(mapping_ids))
        .group_by(db.Snapshot.mapping_id)
    ).all()
    return {mapping_id: int(count) for mapping_id, count in rows}


def mapping_dependants(session: Session, mapping_id: int) -> dict[str, list[int]]:
    """Ids of the snapshots made from a mapping and of its instances not terminated.

    Example:
        >>> mapping_dependants(session, 1)
        {'snapshot_ids': [3], 'instance_ids': []}
    """
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
    """Delete a mapping that nothing depends on, or answer 409 naming the dependants.

    Example:
        >>> delete_mapping_row(session, user, load_mapping(session, 1))
    """
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
        update(db.Instance).where(db.Instance.mapping_id == mapping.id).values(mapping_id=None)
    )
    session.execute(delete(db.MappingVersion).where(db.MappingVersion.mapping_id == mapping.id))
    session.delete(mapping)
    audit(session, user, "mapping.delete", "mapping", mapping.id)
