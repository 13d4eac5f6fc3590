"""Routes: admin-only operations (bulk delete, waited for or as a job; API keys)."""

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
    BulkDeleteOut,
)
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.jobs import JobOut
from graph_olap_server.apikeys import create_api_key
from graph_olap_server.errors import bad_request, not_found
from graph_olap_server.services.audit import audit
from graph_olap_server.services.bulk_delete import matching_rows, record_job, run_job, start_job
from graph_olap_server.services.job_views import bulk_delete_job

router = APIRouter(tags=["admin"], prefix="/admin")


@router.delete("/resources/bulk", summary="Bulk delete resources (admin)")
def bulk_delete(
    body: BulkDelete, session: DbSession, user: AdminUser, platform: PlatformDep
) -> Envelope[BulkDeleteOut]:
    """Deletes the matches and answers what was deleted (recorded as a job,
    ``bulk_delete-<id>``, while it runs); ``dry_run`` only reports the matches."""
    rows = matching_rows(session, body.resource_type, body.filters, body.expected_count)
    if body.dry_run:
        ids = [r.id for r in rows]
        return Envelope(
            data=BulkDeleteOut(
                dry_run=True,
                resource_type=body.resource_type,
                matched_count=len(ids),
                matched_ids=ids,
                deleted_count=0,
                deleted_ids=[],
                failed_ids=[],
                errors=[],
            )
        )
    job = record_job(session, user, body, rows)
    done = run_job(platform, user, job.id)
    return Envelope(data=BulkDeleteOut.model_validate(done.result))


@router.post(
    "/resources/bulk/jobs",
    status_code=202,
    summary="Start a bulk delete as a job (admin)",
)
def start_bulk_delete(
    body: BulkDelete, session: DbSession, user: AdminUser, platform: PlatformDep
) -> Envelope[JobOut]:
    """Checks and records the bulk delete, answers its job (``bulk_delete-<id>``) and
    deletes in the background; follow it with ``GET /api/jobs/{job_id}``."""
    if body.dry_run:
        raise bad_request(
            "A dry run deletes nothing and answers at once: send it to "
            "DELETE /api/admin/resources/bulk (client.admin.bulk_delete(..., dry_run=True))."
        )
    rows = matching_rows(session, body.resource_type, body.filters, body.expected_count)
    job = record_job(session, user, body, rows)
    start_job(platform, user, job.id)
    return Envelope(data=bulk_delete_job(job))


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
