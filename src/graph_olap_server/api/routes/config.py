"""Routes: platform configuration (ops role): lifecycle defaults, concurrency limits,
maintenance mode and the export time limit.

Every GET answers the value's fields plus ``updated_at`` / ``updated_by`` (``None`` while
the default applies). Every PUT takes a partial update (fields left out are unchanged),
validates the merged value, audits the change and answers the new value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from sqlalchemy.orm import Session

from graph_olap_server.api.deps import DbSession, OpsUser, User
from graph_olap_server.api.envelope import ok
from graph_olap_server.api.routes.common import audit
from graph_olap_server.config_store import get_config_entry, set_config
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import bad_request

router = APIRouter(tags=["config"], prefix="/config")

RESOURCES = ("mapping", "snapshot", "instance")
_DURATION_FIELDS = ("default_ttl", "default_inactivity", "max_ttl")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResourceLifecycleIn(_Strict):
    default_ttl: str | None = Field(default=None, max_length=64)
    default_inactivity: str | None = Field(default=None, max_length=64)
    max_ttl: str | None = Field(default=None, max_length=64)


class LifecycleIn(_Strict):
    mapping: ResourceLifecycleIn | None = None
    snapshot: ResourceLifecycleIn | None = None
    instance: ResourceLifecycleIn | None = None


class ConcurrencyIn(_Strict):
    per_analyst: StrictInt | None = Field(default=None, ge=1, le=1000)
    cluster_total: StrictInt | None = Field(default=None, ge=1, le=1000)


class MaintenanceIn(_Strict):
    enabled: StrictBool | None = None
    message: str | None = Field(default=None, max_length=500)


class ExportIn(_Strict):
    max_duration_seconds: StrictInt | None = Field(default=None, ge=60, le=86400)


def _read(session: Session, key: str) -> dict[str, Any]:
    return ok(get_config_entry(session, key).public())


def _write(
    session: Session, user: User, key: str, merged: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    if not changes:  # nothing asked: answer the value as it is
        return _read(session, key)
    entry = set_config(session, key, merged, user.username)
    audit(session, user, "config.update", None, None, {"key": key, "changes": changes})
    session.commit()
    return ok(entry.public())


def _check_lifecycle(value: dict[str, Any]) -> None:
    for resource in RESOURCES:
        parsed: dict[str, dt.timedelta] = {}
        for field in _DURATION_FIELDS:
            raw = value[resource].get(field)
            if raw is None:
                continue
            try:
                parsed[field] = parse_duration(raw, f"{resource}.{field}")
            except ValueError as err:
                raise bad_request(str(err), field=f"{resource}.{field}") from err
        maximum = parsed.get("max_ttl")
        default = parsed.get("default_ttl")
        if maximum is not None and default is not None and default > maximum:
            raise bad_request(
                f"{resource}.default_ttl ({value[resource]['default_ttl']}) is longer than "
                f"{resource}.max_ttl ({value[resource]['max_ttl']}). Lower the default or "
                "raise the maximum.",
                field=f"{resource}.default_ttl",
            )


@router.get("/lifecycle", summary="Lifecycle defaults of mappings, snapshots and instances")
def get_lifecycle(session: DbSession, _user: OpsUser) -> dict[str, Any]:
    return _read(session, "lifecycle")


@router.put("/lifecycle", summary="Change lifecycle defaults (partial update)")
def put_lifecycle(body: LifecycleIn, session: DbSession, user: OpsUser) -> dict[str, Any]:
    current = get_config_entry(session, "lifecycle").value
    changes: dict[str, Any] = {}
    for resource in RESOURCES:
        part: ResourceLifecycleIn | None = getattr(body, resource)
        if part is not None:
            update = part.model_dump(exclude_unset=True)
            if update:
                changes[resource] = update
                current[resource] = {**current[resource], **update}
    _check_lifecycle(current)
    return _write(session, user, "lifecycle", current, changes)


@router.get("/concurrency", summary="Instance limits per analyst and cluster-wide")
def get_concurrency(session: DbSession, _user: OpsUser) -> dict[str, Any]:
    return _read(session, "concurrency")


@router.put("/concurrency", summary="Change the instance limits (partial update)")
def put_concurrency(body: ConcurrencyIn, session: DbSession, user: OpsUser) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "concurrency").value, **changes}
    if merged["per_analyst"] > merged["cluster_total"]:
        raise bad_request(
            f"per_analyst ({merged['per_analyst']}) cannot exceed cluster_total "
            f"({merged['cluster_total']}). Lower per_analyst or raise cluster_total "
            "(both can be changed in one call).",
            field="per_analyst",
        )
    return _write(session, user, "concurrency", merged, changes)


@router.get("/maintenance", summary="Whether maintenance mode is on")
def get_maintenance(session: DbSession, _user: OpsUser) -> dict[str, Any]:
    return _read(session, "maintenance")


@router.put("/maintenance", summary="Turn maintenance mode on or off")
def put_maintenance(body: MaintenanceIn, session: DbSession, user: OpsUser) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "maintenance").value, **changes}
    return _write(session, user, "maintenance", merged, changes)


@router.get("/export", summary="Export settings (the longest an export may run)")
def get_export(session: DbSession, _user: OpsUser) -> dict[str, Any]:
    return _read(session, "export")


@router.put("/export", summary="Change the export time limit")
def put_export(body: ExportIn, session: DbSession, user: OpsUser) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True)
    merged = {**get_config_entry(session, "export").value, **changes}
    return _write(session, user, "export", merged, changes)
