"""The job scheduler: one daemon thread runs each background job when it is due.

* Jobs come from :data:`graph_olap_server.jobs.definitions.JOBS` with their intervals from
  ``settings.job_intervals`` (a job not listed there keeps its default interval; an
  interval of 0 means "only when triggered"). :meth:`JobScheduler.register` adds or
  replaces a job (tests, extensions).
* The first scheduled run of a job is one interval after :meth:`~JobScheduler.start`;
  the next one an interval after the previous run ended.
* A run, scheduled or triggered, holds the job's lock: runs of one job never overlap.
* Every run is recorded in the ``job_state`` table and in the metrics; a failing job is
  logged and recorded, never stops the thread.
* :meth:`~JobScheduler.trigger` (``POST /api/ops/jobs/trigger``) is rate limited per job
  to one per ``settings.job_trigger_min_interval`` seconds, remembered in the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.errors import bad_request
from graph_olap_server.jobs.definitions import JOBS, JobContext, JobFunction
from graph_olap_server.jobs.state import claim_trigger, record_run, status_row
from graph_olap_server.settings import Settings

if TYPE_CHECKING:
    from graph_olap_server.identity import User
    from graph_olap_server.metrics import Metrics

__all__ = ["DEFAULT_INTERVALS", "JobScheduler"]

log = logging.getLogger("graph_olap_server")

DEFAULT_INTERVALS: dict[str, float] = dict(
    Settings.__dataclass_fields__["job_intervals"].default  # type: ignore[arg-type]
)
"""Interval of each built-in job when ``settings.job_intervals`` does not name it."""


@dataclasses.dataclass
class _Job:
    name: str
    fn: JobFunction
    interval: float
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    due: float | None = None  # time.monotonic() of the next scheduled run


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class JobScheduler:
    """Runs the platform's background jobs on a schedule and on demand.

    Example:
        >>> jobs = JobContext(settings, database, runtime, cache, exporter)
        >>> scheduler = JobScheduler(jobs, metrics)
        >>> scheduler.run("lifecycle")["status"]
        'completed'
    """

    def __init__(self, context: JobContext, metrics: Metrics) -> None:
        self.context = context
        self._db = context.db
        self._settings = context.settings
        self._metrics = metrics
        intervals = {**DEFAULT_INTERVALS, **dict(context.settings.job_intervals)}
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()  # guards _jobs and the due times
        self._trigger_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        for name, fn in JOBS.items():
            self.register(name, fn, intervals[name])

    # -- registration and the thread -----------------------------------------------------

    def register(self, name: str, fn: JobFunction, interval: float) -> None:
        """Add or replace job ``name``: ``fn(context) -> dict`` every ``interval`` s (0:
        only when run or triggered). A running scheduler picks it up at once."""
        with self._lock:
            old = self._jobs.get(name)
            job = _Job(name, fn, float(interval), lock=old.lock if old else threading.Lock())
            if self.running and job.interval > 0:
                job.due = time.monotonic() + job.interval
            self._jobs[name] = job
        self._wake.set()

    @property
    def names(self) -> list[str]:
        """Names of the registered jobs."""
        with self._lock:
            return list(self._jobs)

    @property
    def running(self) -> bool:
        """Whether the scheduler thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the scheduler thread (once); each job first runs one interval from now."""
        if self.running:
            return
        now = time.monotonic()
        with self._lock:
            for job in self._jobs.values():
                job.due = now + job.interval if job.interval > 0 else None
        self._stopping = False
        self._wake.clear()
        self._thread = threading.Thread(target=self._loop, name="graph-olap-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread; waits for a job that is running to finish (up to ``timeout``)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            for job in self._jobs.values():
                job.due = None

    def _loop(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            with self._lock:
                due = [j for j in self._jobs.values() if j.due is not None and j.due <= now]
            for job in due:
                if self._stopping:
                    return
                try:
                    self.run(job.name)
                except Exception:  # recording failed (database down): keep going
                    log.exception("job %s: the run could not be recorded", job.name)
                with self._lock:
                    if job.due is not None and job.interval > 0:
                        job.due = time.monotonic() + job.interval
            with self._lock:
                pending = [j.due for j in self._jobs.values() if j.due is not None]
            timeout = max(0.0, min(pending) - time.monotonic()) if pending else None
            self._wake.wait(timeout)
            self._wake.clear()

    # -- running -------------------------------------------------------------------------

    def _job(self, name: str) -> _Job:
        with self._lock:
            job = self._jobs.get(name)
            known = list(self._jobs)
        if job is None:
            raise bad_request(
                f"There is no job named {name!r}. Valid job names: {', '.join(known)}.",
                field="job_name",
                valid=known,
            )
        return job

    def run(
        self, name: str, *, triggered_by: str | None = None, reason: str | None = None
    ) -> dict[str, Any]:
        """Run job ``name`` now (after a run of it in progress) and record the outcome.

        Returns ``{"job_name", "status" ("completed" | "failed"), "started_at",
        "finished_at", "duration_seconds", "result", "error"}``.
        """
        job = self._job(name)
        with job.lock:
            started_at = db.utcnow()
            began = time.perf_counter()
            result: dict[str, Any] | None = None
            error: str | None = None
            try:
                result = _jsonable(job.fn(self.context) or {})
            except Exception as err:
                log.exception("job %s failed (triggered by %s: %s)", name, triggered_by, reason)
                error = f"{type(err).__name__}: {err}"[:2000]
            seconds = time.perf_counter() - began
            finished_at = db.utcnow()
            failures = record_run(
                self._db,
                name,
                started_at=started_at,
                finished_at=finished_at,
                result=result,
                error=error,
            )
            self._metrics.observe_job(
                name,
                success=error is None,
                seconds=seconds,
                consecutive_failures=failures,
                finished_at=finished_at.timestamp(),
            )
        return {
            "job_name": name,
            "status": "completed" if error is None else "failed",
            "started_at": started_at,
            "finished_at": finished_at,
            "duration_seconds": round(seconds, 6),
            "result": result,
            "error": error,
        }

    def trigger(self, name: str, user: User, reason: str) -> dict[str, Any]:
        """Run job ``name`` now for ``user``, at most once per job per
        ``settings.job_trigger_min_interval`` seconds (else 429 ``RATE_LIMITED``).

        Answers ``{"job_name", "status", "triggered_at", "triggered_by", "reason",
        "result"}``; ``result`` is ``{"error": ...}`` when the run failed.
        """
        self._job(name)
        with self._trigger_lock:
            triggered_at = claim_trigger(self._db, name, self._settings.job_trigger_min_interval)
        outcome = self.run(name, triggered_by=user.username, reason=reason)
        details = {"job_name": name, "reason": reason, "status": outcome["status"]}
        if outcome["error"]:
            details["error"] = outcome["error"]
        with self._db.transaction() as session:
            session.add(
                db.AuditEntry(username=user.username, action="job.trigger", details=details)
            )
        failed = outcome["error"] is not None
        return {
            "job_name": name,
            "status": outcome["status"],
            "triggered_at": triggered_at,
            "triggered_by": user.username,
            "reason": reason,
            "result": {"error": outcome["error"]} if failed else outcome["result"],
        }

    # -- status --------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """One dict per job: schedule, last runs, health and next scheduled run."""
        with self._lock:
            jobs = [(j.name, j.interval, j.due) for j in self._jobs.values()]
        with self._db.session() as session:
            states = {s.name: s for s in session.scalars(select(db.JobState)).all()}
        now_wall, now_mono = db.utcnow(), time.monotonic()
        running = self.running
        return [
            status_row(
                name,
                interval,
                states.get(name),
                now_wall + dt.timedelta(seconds=max(0.0, due - now_mono))
                if due is not None and running
                else None,
            )
            for name, interval, due in jobs
        ]
