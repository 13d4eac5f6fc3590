"""Routes: admin-only operations (bulk delete, API keys)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, func, select

from graph_olap_server import db
from graph_olap_server.api.deps import AdminUser, DbSession, PlatformDep, User
from graph_olap_server.api.envelope import ok
from graph_olap_server.api.routes.common import audit
from graph_olap_server.api.routes.instance_common import delete_instance_row, delete_snapshot_row
from graph_olap_server.api.routes.mappings import delete_mapping_row
from graph_olap_server.apikeys import create_api_key
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, bad_request, not_found

router = APIRouter(tags=["admin"], prefix="/admin")

MAX_BULK = 100
_MODELS: dict[str, Any] = {"mapping": db.Mapping, "snapshot": db.Snapshot, "instance": db.Instance}


class BulkFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name_prefix: str | None = Field(default=None, min_length=1, max_length=255)
    created_by: str | None = Field(default=None, min_length=1, max_length=255)
    older_than_hours: float | None = Field(default=None, ge=0)
    status: str | None = Field(default=None, min_length=1, max_length=32)


class BulkDelete(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resource_type: Literal["instance", "snapshot", "mapping"]
    filters: BulkFilters
    reason: str = Field(min_length=1, max_length=500)
    expected_count: int | None = Field(default=None, ge=0)
    dry_run: bool = False

    @model_validator(mode="after")
    def _one_filter(self) -> BulkDelete:
        if not self.filters.model_dump(exclude_none=True):
            raise ValueError(
                "at least one filter is required "
                "(name_prefix, created_by, older_than_hours, status)"
            )
        return self


def _matching(body: BulkDelete) -> Select[Any]:
    model = _MODELS[body.resource_type]
    query = select(model)
    f = body.filters
    if f.name_prefix:
        query = query.where(
            func.lower(model.name).startswith(f.name_prefix.lower(), autoescape=True)
        )
    if f.created_by:
        query = query.where(model.owner_username == f.created_by)
    if f.older_than_hours is not None:
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=f.older_than_hours)
        query = query.where(model.created_at <= cutoff)
    if f.status:
        if body.resource_type == "mapping":
            raise bad_request(
                "Mappings have no status; filter them by name_prefix, created_by or age."
            )
        query = query.where(model.status == f.status)
    return query


def _delete_one(platform: Platform, session: Any, user: User, resource_type: str, row: Any) -> None:
    """Delete one match: mappings only without dependants, snapshots with their files
    (only without live instances), instances after terminating them through the runtime."""
    if resource_type == "mapping":
        delete_mapping_row(session, user, row)
    elif resource_type == "snapshot":
        delete_snapshot_row(platform, session, user, row)
    else:
        delete_instance_row(platform, session, user, row)


@router.delete("/resources/bulk", summary="Bulk delete resources (admin)")
def bulk_delete(
    body: BulkDelete, session: DbSession, user: AdminUser, platform: PlatformDep
) -> dict[str, Any]:
    query = _matching(body)
    matched_count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if matched_count > MAX_BULK:
        raise bad_request(
            f"The filters match {matched_count} {body.resource_type}s; at most {MAX_BULK} can be "
            "deleted at once. Narrow the filters (e.g. add older_than_hours) and repeat.",
            matched_count=matched_count,
        )
    rows = session.scalars(query.order_by(_MODELS[body.resource_type].id)).all()
    matched_ids = [r.id for r in rows]
    if body.expected_count is not None and body.expected_count != matched_count:
        raise bad_request(
            f"expected_count is {body.expected_count} but the filters match {matched_count} "
            f"{body.resource_type}s (ids {matched_ids}). Nothing was deleted; run a dry run and "
            "check the matches.",
            matched_count=matched_count,
            matched_ids=matched_ids,
        )
    result: dict[str, Any] = {
        "dry_run": body.dry_run,
        "resource_type": body.resource_type,
        "matched_count": matched_count,
        "matched_ids": matched_ids,
        "deleted_count": 0,
        "deleted_ids": [],
        "failed_ids": [],
        "errors": [],
    }
    if body.dry_run:
        return ok(result)
    for row in rows:
        rid = row.id
        try:
            with session.begin_nested():
                _delete_one(platform, session, user, body.resource_type, row)
            result["deleted_ids"].append(rid)
        except APIError as err:
            result["failed_ids"].append(rid)
            result["errors"].append({"id": rid, "code": err.code, "message": err.message})
    result["deleted_count"] = len(result["deleted_ids"])
    audit(
        session,
        user,
        "admin.bulk_delete",
        body.resource_type,
        None,
        {
            "reason": body.reason,
            "filters": body.filters.model_dump(exclude_none=True),
            "deleted_ids": result["deleted_ids"],
            "failed_ids": result["failed_ids"],
        },
    )
    session.commit()
    return ok(result)


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
    role: Literal["analyst", "ops", "admin"] = "analyst"


def _key_public(row: db.ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "role": row.role,
        "key_prefix": row.key_prefix,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "revoked_at": row.revoked_at,
    }


@router.post("/api-keys", status_code=201, summary="Create an API key (admin)")
def create_key(
    body: ApiKeyCreate, session: DbSession, user: AdminUser, response: Response
) -> dict[str, Any]:
    """The answer holds the key itself: ``Cache-Control: no-store`` keeps it out of caches
    and out of the idempotency records. A repeat with the same Idempotency-Key (a retry
    after a lost answer) makes no second key: it gets 409 ``ALREADY_DONE`` naming the key
    made, which can be revoked if its answer never arrived."""
    response.headers["Cache-Control"] = "no-store"
    row, key = create_api_key(
        session, username=body.username, role=body.role, created_by=user.username
    )
    response.headers["X-Replay-Instead"] = json.dumps(
        f"This request already created API key {row.id} for {body.username!r} "
        f"({body.role}); a key is shown only once, so a repeat cannot show it again. If its "
        f"answer never arrived, revoke it (DELETE /api/admin/api-keys/{row.id}) and create "
        "another with a new request."
    )
    audit(
        session,
        user,
        "api_key.create",
        None,
        row.id,
        {"username": body.username, "role": body.role},
    )
    session.commit()
    return ok({**_key_public(row), "key": key})


@router.get("/api-keys", summary="List API keys (admin; keys themselves are never shown)")
def list_keys(session: DbSession, _user: AdminUser) -> dict[str, Any]:
    return ok(
        [_key_public(r) for r in session.scalars(select(db.ApiKey).order_by(db.ApiKey.id)).all()]
    )


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key (admin)")
def revoke_key(key_id: int, session: DbSession, user: AdminUser) -> Response:
    row = session.get(db.ApiKey, key_id)
    if row is None:
        raise not_found("API key", key_id, "List them with GET /api/admin/api-keys.")
    row.revoked_at = dt.datetime.now(dt.timezone.utc)
    audit(session, user, "api_key.revoke", None, key_id)
    session.commit()
    return Response(status_code=204)
