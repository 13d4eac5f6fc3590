"""Routes: jobs, one view of exports, instance starts, algorithm executions and bulk
deletes (``services/jobs.py`` builds them; who sees and cancels follows the resource)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request

from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.jobs import JobListOut, JobOut
from graph_olap_server.services.jobs import cancel_job, get_job, list_jobs

router = APIRouter(tags=["jobs"], prefix="/jobs")


@router.get("", summary="List your jobs (exports, starts, algorithm executions, bulk deletes)")
def list_all(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
    active: bool = Query(default=True, description="Only queued and running jobs"),
    kind: Literal["export", "start", "algorithm", "bulk_delete"] | None = Query(None),
    all_users: bool = Query(default=False, description="Every user's jobs (ops and admins)"),
    limit: int = Query(50, ge=1, le=100, description="At most this many of each kind"),
) -> Envelope[JobListOut]:
    found = list_jobs(
        platform,
        session,
        user,
        request.headers,
        active=active,
        kind=kind,
        all_users=all_users,
        limit=limit,
    )
    return Envelope(data=found)


@router.get("/{job_id}", summary="Get a job")
def get_one(
    job_id: str, request: Request, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[JobOut]:
    return Envelope(data=get_job(platform, session, user, job_id, request.headers))


@router.post("/{job_id}/cancel", summary="Cancel a job")
def cancel(
    job_id: str, request: Request, session: DbSession, user: CurrentUser, platform: PlatformDep
) -> Envelope[JobOut]:
    """Cancels the export, terminates the starting instance, cancels the execution, or
    stops the bulk delete before its next item; a job that ended is answered as it is."""
    return Envelope(data=cancel_job(platform, session, user, job_id, request.headers))
