"""Prometheus metrics of one control plane, in a registry of its own (no global state).

Series:

* ``graph_olap_http_requests_total{method,route,status}`` and
  ``graph_olap_http_request_duration_seconds{method,route}``: every HTTP request;
* ``graph_olap_job_runs_total{job,outcome}`` (outcome ``success`` | ``failure``),
  ``graph_olap_job_duration_seconds{job}``, ``graph_olap_job_last_success_timestamp_seconds{job}``
  and ``graph_olap_job_consecutive_failures{job}``: background jobs;
* read from the metadata database at scrape time: ``instances_by_status_total{status}``,
  ``snapshots_by_status_total{status}``, ``mappings_total`` and
  ``export_jobs_by_status_total{status}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from graph_olap_server import db

if TYPE_CHECKING:
    from graph_olap_server.db import Database

__all__ = [
    "EXPORT_JOB_STATUSES",
    "INSTANCE_STATUSES",
    "SNAPSHOT_STATUSES",
    "Metrics",
    "counts_by_status",
]

log = logging.getLogger("graph_olap_server")

INSTANCE_STATUSES = (
    "waiting_for_snapshot",
    "starting",
    "running",
    "stopping",
    "terminated",
    "failed",
)
SNAPSHOT_STATUSES = ("pending", "creating", "ready", "failed")
EXPORT_JOB_STATUSES = ("pending", "claimed", "completed", "failed")

_JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


class Metrics:
    """The metrics of one platform; :meth:`render` gives the Prometheus text exposition.

    Example:
        >>> metrics = Metrics()
        >>> metrics.observe_request("GET", "/api/mappings", 200, 0.012)
        >>> b"graph_olap_http_requests_total" in metrics.render()
        True
    """

    def __init__(self) -> None:
        self.database: Database | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.http_requests = Counter(
            "graph_olap_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "graph_olap_http_request_duration_seconds",
            "Time taken to answer HTTP requests, by method and route template.",
            ["method", "route"],
            registry=r,
        )
        self.job_runs = Counter(
            "graph_olap_job_runs_total",
            "Background job runs, by job and outcome (success or failure).",
            ["job", "outcome"],
            registry=r,
        )
        self.job_duration = Histogram(
            "graph_olap_job_duration_seconds",
            "Time taken by background job runs.",
            ["job"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.job_last_success = Gauge(
            "graph_olap_job_last_success_timestamp_seconds",
            "Unix time of the last successful run of each background job.",
            ["job"],
            registry=r,
        )
        self.job_consecutive_failures = Gauge(
            "graph_olap_job_consecutive_failures",
            "Failed runs in a row of each background job (0 after a success).",
            ["job"],
            registry=r,
        )
        r.register(_DatabaseCollector(self))

    def bind(self, database: Database) -> None:
        """Attach the metadata database the scrape-time gauges read."""
        self.database = database

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request and record how long it took."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)

    def observe_job(
        self,
        job: str,
        *,
        success: bool,
        seconds: float,
        consecutive_failures: int,
        finished_at: float,
    ) -> None:
        """Record one job run; ``finished_at`` is a Unix timestamp."""
        self.job_runs.labels(job, "success" if success else "failure").inc()
        self.job_duration.labels(job).observe(seconds)
        self.job_consecutive_failures.labels(job).set(consecutive_failures)
        if success:
            self.job_last_success.labels(job).set(finished_at)

    def render(self) -> bytes:
        """The Prometheus text exposition of every series."""
        return bytes(generate_latest(self.registry))


class _DatabaseCollector:
    """Gauges counted from the metadata database at every scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return []  # no scrape at registration time: the platform is not bound yet

    def collect(self) -> Iterator[Metric]:
        database = self.metrics.database
        if database is None:
            return
        try:
            with database.session() as session:
                instances = counts_by_status(session, db.Instance, INSTANCE_STATUSES)
                snapshots = counts_by_status(session, db.Snapshot, SNAPSHOT_STATUSES)
                exports = counts_by_status(session, db.ExportJob, EXPORT_JOB_STATUSES)
                mappings = session.scalar(select(func.count()).select_from(db.Mapping)) or 0
        except Exception:  # a scrape must not fail because the database is down
            log.exception("metrics: could not read the metadata database")
            return
        yield _family("instances_by_status_total", "Instances by status.", instances)
        yield _family("snapshots_by_status_total", "Snapshots by status.", snapshots)
        yield _family("export_jobs_by_status_total", "Export jobs by status.", exports)
        yield GaugeMetricFamily("mappings_total", "Mappings.", value=mappings)


def counts_by_status(session: Any, model: Any, known: tuple[str, ...]) -> dict[str, int]:
    """Rows of ``model`` per status: every status of ``known``, zero included (so
    ``state["instances"]["by_status"]["running"]`` always answers), then any other found.

    Example:
        >>> counts_by_status(session, db.Instance, INSTANCE_STATUSES)["running"]
        0
    """
    counts = dict.fromkeys(known, 0)
    rows = session.execute(select(model.status, func.count()).group_by(model.status)).all()
    for status, count in rows:
        counts[str(status)] = int(count)
    return counts


def _family(name: str, doc: str, counts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=["status"])
    for status in sorted(counts):
        family.add_metric([status], counts[status])
    return family
