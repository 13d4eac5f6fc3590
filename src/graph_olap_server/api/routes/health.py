"""Routes: liveness and readiness (no credentials needed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from graph_olap_server.api.deps import PlatformDep
from graph_olap_server.api.schemas.health import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness")
def health(platform: PlatformDep) -> HealthOut:
    return HealthOut(
        status="healthy",
        version=platform.settings.version,
        checked_at=dt.datetime.now(dt.timezone.utc).isoformat(),
    )


@router.get(
    "/ready",
    summary="Readiness: database and warehouse answer",
    response_model=ReadyOut,
    responses={
        503: {"model": ReadyOut, "description": "Not ready: the failing part is `unavailable`"}
    },
)
def ready(platform: PlatformDep) -> JSONResponse:
    problems = []
    database = warehouse = "ok"
    try:
        with platform.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:
        database = "unavailable"
        problems.append(f"metadata database: {err}")
    try:
        platform.warehouse.ping()
    except Exception as err:
        warehouse = "unavailable"
        problems.append(f"warehouse: {err}")
    body: dict[str, Any] = {
        "status": "ready" if not problems else "not_ready",
        "version": platform.settings.version,
        "database": database,
        "warehouse": warehouse,
        "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }
    if problems:
        body["error"] = {
            "code": "NOT_READY",
            "message": "The platform is not ready: " + "; ".join(problems),
            "details": {},
        }
    return JSONResponse(body, status_code=200 if not problems else 503)
