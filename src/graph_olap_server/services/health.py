"""Health checks of the platform's parts: the metadata database, the warehouse, the
background jobs (``GET /api/cluster/health``)."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy import text

from graph_olap_server.context import Platform

__all__ = ["Component", "component_health", "overall_status"]


@dataclasses.dataclass(frozen=True)
class Component:
    """``healthy``, ``degraded`` or ``unhealthy``, how long the check took, and why."""

    status: str
    latency_ms: float | None
    message: str


def _component(status: str, latency_ms: float | None, message: str) -> Component:
    return Component(status, latency_ms, message)


def _database(platform: Platform) -> Component:
    began = time.perf_counter()
    try:
        with platform.db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:  # reported, not raised
        return _component("unhealthy", None, f"The metadata database does not answer: {err}")
    ms = round((time.perf_counter() - began) * 1000, 3)
    return _component("healthy", ms, f"{platform.db.engine.dialect.name} answers")


def _warehouse(platform: Platform) -> Component:
    try:
        seconds = platform.warehouse.ping()
    except Exception as err:  # reported, not raised
        return _component("unhealthy", None, f"The warehouse does not answer: {err}")
    return _component("healthy", round(seconds * 1000, 3), "The warehouse answers")


def _jobs(platform: Platform) -> Component:
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


def component_health(platform: Platform) -> dict[str, Component]:
    """Each part's health, by name (``database``, ``warehouse``, ``jobs``,
    ``instance_runtime``); a failing check is reported, never raised.

    Example:
        >>> component_health(platform)["database"].status
        'healthy'
    """
    return {
        "database": _database(platform),
        "warehouse": _warehouse(platform),
        "jobs": _jobs(platform),
        "instance_runtime": _component("healthy", None, "local processes"),
    }


def overall_status(components: dict[str, Component]) -> str:
    """``unhealthy`` when the database is, ``degraded`` when any other part is not
    healthy, else ``healthy``.

    Example:
        >>> overall_status(component_health(platform))
        'healthy'
    """
    if components["database"].status != "healthy":
        return "unhealthy"
    if any(c.status != "healthy" for c in components.values()):
        return "degraded"
    return "healthy"
