"""Helpers shared by routers: audit entries, time parsing, public shapes of rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import User
from graph_olap_server.errors import bad_request
from graph_olap_server.runtime.base import InstanceRuntime

__all__ = ["audit", "instance_public", "parse_time", "snapshot_public"]


def audit(
    session: Session,
    user: User,
    action: str,
    resource_type: str | None = None,
    resource_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        db.AuditEntry(
            username=user.username,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
        )
    )


def parse_time(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise bad_request(
            f"{field} must be an ISO 8601 timestamp such as '2026-01-31T12:00:00Z', got {value!r}.",
            field=field,
        ) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def snapshot_public(s: db.Snapshot) -> dict[str, Any]:
    return {
        "id": s.id,
        "mapping_id": s.mapping_id,
        "mapping_version": s.mapping_version,
        "name": s.name,
        "description": s.description,
        "owner_username": s.owner_username,
        "status": s.status,
        "error_message": s.error_message,
        "size_bytes": s.size_bytes,
        "node_counts": s.node_counts or {},
        "edge_counts": s.edge_counts or {},
        "ttl": s.ttl,
        "inactivity_timeout": s.inactivity_timeout,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }


def instance_public(i: db.Instance, runtime: InstanceRuntime) -> dict[str, Any]:
    """An instance as the API shows it. ``in_cluster_url`` (where clients inside the
    cluster reach its wrapper) is computed by the runtime from the stored port, and is
    ``None`` unless the instance is running."""
    running = i.status == "running" and i.port is not None
    addresses = runtime.addresses(i.id, i.port) if running and i.port else None
    return {
        "id": i.id,
        "snapshot_id": i.snapshot_id,
        "mapping_id": i.mapping_id,
        "mapping_version": i.mapping_version,
        "name": i.name,
        "description": i.description,
        "owner_username": i.owner_username,
        "status": i.status,
        "instance_url": i.instance_url,
        "in_cluster_url": addresses.in_cluster if addresses else None,
        "cpu_cores": i.cpu_cores,
        "error_message": i.error_message,
        "ttl": i.ttl,
        "expires_at": i.expires_at,
        "inactivity_timeout": i.inactivity_timeout,
        "last_activity_at": i.last_activity_at,
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    }
