"""Routes: admin-only operations (bulk delete, API keys)."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Response
from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.api.deps import AdminUser, DbSession, PlatformDep
from graph_olap_server.api.schemas.admin import (
    ApiKeyCreate,
    ApiKeyCreatedOut,
    ApiKeyOut,
    BulkDelete,
    BulkDeleteErrorOut,
    BulkDeleteOut,
)
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.apikeys import create_api_key
from graph_olap_server.errors import not_found
from graph_olap_server.services.audit import audit
from graph_olap_server.services.bulk_delete import delete_rows, matching_rows

router = APIRouter(tags=["admin"], prefix="/admin")


@router.delete("/resources/bulk", summary="Bulk delete resources (admin)")
def bulk_delete(
    body: BulkDelete, session: DbSession, user: AdminUser, platform: PlatformDep
) -> Envelope[BulkDeleteOut]:
    rows = matching_rows(session, body.resource_type, body.filters, body.expected_count)
    ids = [r.id for r in rows]
    result = BulkDeleteOut(
        dry_run=body.dry_run,
        resource_type=body.resource_type,
        matched_count=len(ids),
        matched_ids=ids,
        deleted_count=0,
        deleted_ids=[],
        failed_ids=[],
        errors=[],
    )
    if body.dry_run:
        return Envelope(data=result)
    deleted, failed = delete_rows(platform, session, user, body.resource_type, rows)
    result.deleted_ids = deleted
    result.deleted_count = len(deleted)
    result.failed_ids = [f.id for f in failed]
    result.errors = [BulkDeleteErrorOut(id=f.id, code=f.code, message=f.message) for f in failed]
    audit(
        session,
        user,
        "admin.bulk_delete",
        body.resource_type,
        None,
        {
            "reason": body.reason,
            "filters": body.filters.model_dump(exclude_none=True),
            "deleted_ids": result.deleted_ids,
            "failed_ids": result.failed_ids,
        },
    )
    session.commit()
    return Envelope(data=result)


@router.post("/api-keys", status_code=201, summary="Create an API key (admin)")
def create_key(
    body: ApiKeyCreate, session: DbSession, user: AdminUser, response: Response
) -> Envelope[ApiKeyCreatedOut]:
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
    return Envelope(data=ApiKeyCreatedOut.from_row(row, key=key))


@router.get("/api-keys", summary="List API keys (admin; keys themselves are never shown)")
def list_keys(session: DbSession, _user: AdminUser) -> Envelope[list[ApiKeyOut]]:
    rows = session.scalars(select(db.ApiKey).order_by(db.ApiKey.id)).all()
    return Envelope(data=[ApiKeyOut.from_row(r) for r in rows])


@router.delete("/api-keys/{key_id}", status_code=204, summary="Revoke an API key (admin)")
def revoke_key(key_id: int, session: DbSession, user: AdminUser) -> Response:
    row = session.get(db.ApiKey, key_id)
    if row is None:
        raise not_found("API key", key_id, "List them with GET /api/admin/api-keys.")
    row.revoked_at = dt.datetime.now(dt.timezone.utc)
    audit(session, user, "api_key.revoke", None, key_id)
    session.commit()
    return Response(status_code=204)
