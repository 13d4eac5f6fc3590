"""Routes: platform configuration (ops role): lifecycle defaults, concurrency limits,
maintenance mode and the export time limit.

Every GET answers the value's fields plus ``updated_at`` / ``updated_by`` (``None`` while
the default applies). Every PUT takes a partial update (fields left out are unchanged),
validates the merged value, audits the change and answers the new value.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from sqlalchemy.orm import Session

from graph_olap_server.api.deps import DbSession, OpsUser
from graph_olap_server.api.schemas.common import Envelope, Out
from graph_olap_server.api.schemas.config import (
    ConcurrencyIn,
    ConcurrencyOut,
    ExportIn,
    ExportOut,
    LifecycleIn,
    LifecycleOut,
    MaintenanceIn,
    MaintenanceOut,
    ResourceLifecycleIn,
)
from graph_olap_server.config_store import get_config_entry, set_config
from graph_olap_server.errors import bad_request
from graph_olap_server.identity import User
from graph_olap_server.services.audit import audit
from graph_olap_server.services.lifecycle import check_lifecycle_config

router = APIRouter(tags=["config"], prefix="/config")

RESOURCES = ("mapping", "snapshot", "instance")

M = TypeVar("M", bound=Out)


def _read(session: Session, key: str, model: type[M]) -> Envelope[M]:
    return Envelope(data=model.model_validate(get_config_entry(session, key).public()))


def _write(
    session: Session,
    user: User,
    key: str,
    model: type[M],
    merged: dict[str, Any],
    changes: dict[str, Any],
) -> Envelope[M]:
    if not changes:  # nothing asked: answer the value as it is
        return _read(session, key, model)
    entry = set_config(session, key, merged, user.username)
    audit(session, user, "config.update", None, None, {"key": key, "changes": changes})
    session.commit()
    return Envelope(data=model.model_validate(entry.public()))


@router.get("/lifecycle", summary="Lifecycle defaults of mappings, snapshots and instances")
def get_lifecycle(session: DbSession, _user: OpsUser) -> Envelope[LifecycleOut]:
    return _read(session, "lifecycle", LifecycleOut)


@router.put("/lifecycle", summary="Change lifecycle defaults (partial update)")
def put_lifecycle(body: LifecycleIn, session: DbSession, user: OpsUser) -> Envelope[LifecycleOut]:
    current = get_config_entry(session, "lifecycle").value
    changes: dict[str, Any] = {}
    for resource in RESOURCES:
        part: ResourceLifecycleIn | None = getattr(body, resource)
        if part is not None:
            update = part.model_dump(exclude_unset=True)
            if update:
                changes[resource] = update
                current[resource] = {**current[resource], **update}
    check_lifecycle_config(current)
    return _write(session, user, "lifecycle", LifecycleOut, current, changes)


@router.get("/concurrency", summary="Instance limits per analyst and cluster-wide")
def get_concurrency(session: DbSession, _user: OpsUser) -> Envelope[ConcurrencyOut]:
    return _read(session, "concurrency", ConcurrencyOut)


@router.put("/concurrency", summary="Change the instance limits (partial update)")
def put_concurrency(
    body: ConcurrencyIn, session: DbSession, user: OpsUser
) -> Envelope[ConcurrencyOut]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "concurrency").value, **changes}
    if merged["per_analyst"] > merged["cluster_total"]:
        raise bad_request(
            f"per_analyst ({merged['per_analyst']}) cannot exceed cluster_total "
            f"({merged['cluster_total']}). Lower per_analyst or raise cluster_total "
            "(both can be changed in one call).",
            field="per_analyst",
        )
    return _write(session, user, "concurrency", ConcurrencyOut, merged, changes)


@router.get("/maintenance", summary="Whether maintenance mode is on")
def get_maintenance(session: DbSession, _user: OpsUser) -> Envelope[MaintenanceOut]:
    return _read(session, "maintenance", MaintenanceOut)


@router.put("/maintenance", summary="Turn maintenance mode on or off")
def put_maintenance(
    body: MaintenanceIn, session: DbSession, user: OpsUser
) -> Envelope[MaintenanceOut]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "maintenance").value, **changes}
    return _write(session, user, "maintenance", MaintenanceOut, merged, changes)


@router.get("/export", summary="Export settings (the longest an export may run)")
def get_export(session: DbSession, _user: OpsUser) -> Envelope[ExportOut]:
    return _read(session, "export", ExportOut)


@router.put("/export", summary="Change the export time limit")
def put_export(body: ExportIn, session: DbSession, user: OpsUser) -> Envelope[ExportOut]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "export").value, **changes}
    return _write(session, user, "export", ExportOut, merged, changes)
