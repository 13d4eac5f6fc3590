"""What the scheduler keeps in the ``job_state`` table: runs, health, trigger times."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from graph_olap_server import db
from graph_olap_server.db import Database
from graph_olap_server.errors import APIError

__all__ = [
    "UNHEALTHY_AFTER",
    "claim_trigger",
    "health_of",
    "record_run",
    "schedule_text",
    "status_row",
]

UNHEALTHY_AFTER = 3
"""Failed runs in a row after which a job is ``unhealthy`` (fewer: ``degraded``)."""


def schedule_text(interval: float) -> str:
    """``"every 60s"``, ``"every 5m"``, ``"every 24h"``; ``"on demand"`` for 0."""
    if interval <= 0:
        return "on demand"
    if interval >= 3600 and interval % 3600 == 0:
        return f"every {int(interval // 3600)}h"
    if interval >= 120 and interval % 60 == 0:
        return f"every {int(interval // 60)}m"
    return f"every {interval:g}s"


def health_of(run_count: int, consecutive_failures: int) -> str:
    """``unknown`` before any run, ``healthy`` after a success, ``degraded`` after 1-2
    failures in a row, ``unhealthy`` after :data:`UNHEALTHY_AFTER` or more."""
    if run_count == 0:
        return "unknown"
    if consecutive_failures >= UNHEALTHY_AFTER:
        return "unhealthy"
    return "degraded" if consecutive_failures else "healthy"


def _state(session: Any, name: str) -> db.JobState:
    state = session.get(db.JobState, name)
    if state is None:
        state = db.JobState(name=name, consecutive_failures=0, run_count=0)
        session.add(state)
    return state  # type: ignore[no-any-return]


def record_run(
    database: Database,
    name: str,
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    result: dict[str, Any] | None,
    error: str | None,
) -> int:
    """Store one run's outcome; answers the failures in a row after it.

    ``last_error`` keeps the error of the latest failure (paired with ``last_failure_at``);
    ``last_result`` is the result of the latest run (``None`` when it failed).
    """
    with database.transaction() as session:
        state = _state(session, name)
        state.run_count = (state.run_count or 0) + 1
        state.last_run_at = started_at
        if error is None:
            state.last_success_at = finished_at
            state.last_result = result
            state.consecutive_failures = 0
        else:
            state.last_failure_at = finished_at
            state.last_error = error
            state.last_result = None
            state.consecutive_failures = (state.consecutive_failures or 0) + 1
        return int(state.consecutive_failures)


def claim_trigger(database: Database, name: str, min_interval: float) -> dt.datetime:
    """Record a manual trigger of job ``name`` now, or raise 429 ``RATE_LIMITED`` when the
    previous one was less than ``min_interval`` seconds ago (kept in the database, so the
    limit survives restarts). The caller serialises calls."""
    with database.transaction() as session:
        state = _state(session, name)
        now = db.utcnow()
        if state.last_triggered_at is not None:
            wait = min_interval - (now - state.last_triggered_at).total_seconds()
            if wait > 0:
                raise _rate_limited(name, min_interval, wait)
        state.last_triggered_at = now
    return now


def _rate_limited(name: str, min_interval: float, wait: float) -> APIError:
    seconds = max(1, math.ceil(wait))
    return APIError(
        429,
        "RATE_LIMITED",
        f"Job {name!r} was triggered less than {min_interval:g} s ago; each job can be "
        f"triggered once every {min_interval:g} s. Try again in {seconds} s "
        "(its scheduled runs continue meanwhile).",
        {"job_name": name, "retry_after": round(wait, 3)},
        headers={"Retry-After": str(seconds)},
    )


def status_row(
    name: str, interval: float, state: db.JobState | None, next_run_at: dt.datetime | None
) -> dict[str, Any]:
    """The wire shape of one job's status (``GET /api/ops/jobs/status``)."""
    runs = state.run_count if state else 0
    failures = state.consecutive_failures if state else 0
    return {
        "name": name,
        "schedule": schedule_text(interval),
        "interval_seconds": interval if interval > 0 else None,
        "last_run_at": state.last_run_at if state else None,
        "last_success_at": state.last_success_at if state else None,
        "last_failure_at": state.last_failure_at if state else None,
        "last_error": state.last_error if state else None,
        "last_result": state.last_result if state else None,
        "consecutive_failures": failures,
        "run_count": runs,
        "health_status": health_of(runs, failures),
        "next_run_at": next_run_at,
    }
