"""Routes: cluster health and instance usage (ops role).

``GET /cluster/health`` answers ``{"status", "components", "checked_at"}``; each component
(``database``, ``warehouse``, ``jobs``, ``instance_runtime``) is ``{"status",
"latency_ms", "message"}``. The overall status is ``unhealthy`` when the database is,
``degraded`` when any other component is not healthy, else ``healthy``.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select, text

from graph_olap_server import db
from graph_olap_server.api.deps import DbSession, OpsUser, PlatformDep
from graph_olap_server.api.envelope import ok
from graph_olap_server.config_store import get_config
from graph_olap_server.context import Platform
from graph_olap_server.instance_lifecycle import ENDED_STATUSES
from graph_olap_server.metrics import INSTANCE_STATUSES, counts_by_status

router = APIRouter(tags=["cluster"], prefix="/cluster")


def _component(status: str, latency_ms: float | None, message: str) -> dict[str, Any]:
    return {"status": status, "latency_ms": latency_ms, "message": message}


def _database(platform: Platform) -> dict[str, Any]:
    began = time.perf_counter()
    try:
        with platform.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:  # reported, not raised
        return _component("unhealthy", None, f"The metadata database does not answer: {err}")
    ms = round((time.perf_counter() - began) * 1000, 3)
    return _component("healthy", ms, f"{platform.db.engine.dialect.name} answers")


def _warehouse(platform: Platform) -> dict[str, Any]:
    try:
        seconds = platform.warehouse.ping()
    except Exception as err:  # reported, not raised
        return _component("unhealthy", None, f"The warehouse does not answer: {err}")
    return _component("healthy", round(seconds * 1000, 3), "DuckDB warehouse answers")


def _jobs(platform: Platform) -> dict[str, Any]:
    jobs = platform.scheduler.status()
    health = {j["name"]: j["health_status"] for j in jobs}
    unhealthy = sorted(n for n, h in health.items() if h == "unhealthy")
    degraded = sorted(n for n, h in health.items() if h == "degraded")
    running = "" if platform.scheduler.running else " (scheduler not running)"
    if unhealthy:
        return _component(
            "unhealthy",
            None,
            f"Failing repeatedly: {', '.join(unhealthy)}; see client.ops.get_job_status()"
            f"{running}.",
        )
    if degraded:
        return _component(
            "degraded",
            None,
            f"Last run failed: {', '.join(degraded)}; see client.ops.get_job_status(){running}.",
        )
    return _component("healthy", None, f"{len(jobs)} jobs, none failing{running}")


@router.get("/health", summary="Health of each platform component")
def cluster_health(platform: PlatformDep, _user: OpsUser) -> dict[str, Any]:
    components = {
        "database": _database(platform),
        "warehouse": _warehouse(platform),
        "jobs": _jobs(platform),
        "instance_runtime": _component("healthy", None, "local processes"),
    }
    if components["database"]["status"] != "healthy":
        status = "unhealthy"
    elif any(c["status"] != "healthy" for c in components.values()):
        status = "degraded"
    else:
        status = "healthy"
    return ok(
        {
            "status": status,
            "components": components,
            "checked_at": dt.datetime.now(dt.timezone.utc),
        }
    )


@router.get("/instances", summary="Instance counts by status and owner, with the limits")
def cluster_instances(session: DbSession, _user: OpsUser) -> dict[str, Any]:
    """``by_status`` counts every instance (every status listed, zero included);
    ``by_owner`` and ``limits.cluster_used`` count the instances holding resources (not
    terminated or failed)."""
    by_status = counts_by_status(session, db.Instance, INSTANCE_STATUSES)
    owners = session.execute(
        select(db.Instance.owner_username, func.count())
        .where(db.Instance.status.not_in(ENDED_STATUSES))
        .group_by(db.Instance.owner_username)
        .order_by(func.count().desc(), db.Instance.owner_username)
    ).all()
    used = sum(int(count) for _owner, count in owners)
    limits = get_config(session, "concurrency")
    return ok(
        {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "by_owner": [{"owner_username": o, "count": int(c)} for o, c in owners],
            "limits": {
                "per_analyst": limits["per_analyst"],
                "cluster_total": limits["cluster_total"],
                "cluster_used": used,
                "cluster_available": max(0, int(limits["cluster_total"]) - used),
            },
        }
    )
