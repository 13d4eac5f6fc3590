"""Operations models: configuration, cluster state, jobs, health and admin results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from graph_olap.models._dicts import ModelDict
from graph_olap.models.common import APIModel
from graph_olap.statuses import (
    ClusterHealthStatus,
    ExportJobStatus,
    HealthCheckStatus,
    JobHealthStatus,
    JobRunStatus,
)

__all__ = [
    "BulkDeleteResult",
    "ClusterHealth",
    "ClusterInstances",
    "ComponentHealth",
    "ConcurrencyConfig",
    "ExportConfig",
    "ExportJob",
    "HealthStatus",
    "InstanceLimits",
    "JobStatus",
    "JobTriggerResult",
    "JobsStatus",
    "LifecycleConfig",
    "MaintenanceMode",
    "ResourceLifecycleConfig",
    "SystemState",
]


class ResourceLifecycleConfig(APIModel):
    """Lifecycle defaults for one resource type (ISO 8601 durations, e.g. ``"PT24H"``)."""

    default_ttl: str | None = None
    default_inactivity: str | None = None
    max_ttl: str | None = None


class LifecycleConfig(APIModel):
    """Lifecycle defaults per resource type; ``updated_at`` / ``updated_by`` say who
    changed them last (``None`` while the defaults apply)."""

    mapping: ResourceLifecycleConfig = Field(default_factory=ResourceLifecycleConfig)
    snapshot: ResourceLifecycleConfig = Field(default_factory=ResourceLifecycleConfig)
    instance: ResourceLifecycleConfig = Field(default_factory=ResourceLifecycleConfig)
    updated_at: datetime | None = None
    updated_by: str | None = None

    def __repr__(self) -> str:
        parts = []
        for name in ("mapping", "snapshot", "instance"):
            cfg = getattr(self, name)
            values = [f"{k}={v}" for k, v in cfg.model_dump().items() if v is not None]
            parts.append(f"{name} {' '.join(values) or 'defaults'}")
        return f"<LifecycleConfig {'; '.join(parts)}>"


class ConcurrencyConfig(APIModel):
    per_analyst: int
    cluster_total: int
    updated_at: datetime | None = None
    updated_by: str | None = None


class MaintenanceMode(APIModel):
    enabled: bool
    message: str = ""
    updated_at: datetime | None = None
    updated_by: str | None = None


class ExportConfig(APIModel):
    max_duration_seconds: int
    updated_at: datetime | None = None
    updated_by: str | None = None


class ComponentHealth(APIModel):
    status: ClusterHealthStatus
    latency_ms: float | None = None
    message: str | None = None


class ClusterHealth(APIModel):
    status: ClusterHealthStatus
    components: dict[str, ComponentHealth] = Field(default_factory=dict)
    checked_at: datetime | None = None

    def __repr__(self) -> str:
        parts = ", ".join(f"{name} {c.status}" for name, c in self.components.items())
        return f"<ClusterHealth {self.status}: {parts or 'no components'}>"


class InstanceLimits(APIModel):
    per_analyst: int
    cluster_total: int
    cluster_used: int
    cluster_available: int


class ClusterInstances(APIModel):
    total: int
    by_status: dict[str, int] = Field(default_factory=dict)
    by_owner: list[dict[str, Any]] = Field(default_factory=list)
    limits: InstanceLimits

    def __repr__(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status.items()))
        return (
            f"<ClusterInstances {self.total} ({statuses or 'none'}), "
            f"{self.limits.cluster_available} of {self.limits.cluster_total} free>"
        )


class HealthStatus(APIModel):
    status: HealthCheckStatus
    version: str | None = None
    database: str | None = None
    warehouse: str | None = None
    checked_at: datetime | None = None

    def __repr__(self) -> str:
        fields = ("version", "database", "warehouse")
        parts = [self.status] + [f"{k} {v}" for k in fields if (v := getattr(self, k))]
        return f"<HealthStatus {', '.join(parts)}>"


class JobStatus(APIModel):
    name: str
    schedule: str
    interval_seconds: float | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    last_result: dict[str, Any] | None = None
    consecutive_failures: int = 0
    run_count: int = 0
    health_status: JobHealthStatus = "unknown"
    next_run_at: datetime | None = None


class JobsStatus(ModelDict):
    """Every background job's schedule, last runs and health: a ``dict``
    ``{"jobs": [...]}`` whose ``.jobs`` are typed :class:`JobStatus` models.

    Example:
        >>> status = client.ops.get_job_status()
        >>> [j["health_status"] for j in status["jobs"]] == [j.health_status for j in status.jobs]
        True
        >>> status.job("lifecycle").run_count
        0
    """

    jobs: list[JobStatus] = Field(default_factory=list)

    def job(self, name: str) -> JobStatus:
        """The status of one job by name."""
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(f"no job named {name!r}; jobs: {[j.name for j in self.jobs]}")

    def __repr__(self) -> str:
        jobs = ", ".join(f"{j.name} {j.health_status}" for j in self.jobs)
        return f"<JobsStatus {len(self.jobs)} jobs: {jobs or 'none'}>"


class JobTriggerResult(ModelDict):
    """What a manual job run did: a ``dict`` with typed attributes.

    Example:
        >>> result = client.ops.trigger_job("reconciliation", reason="smoke test")
        >>> result["status"], result.triggered_at.year
        ('completed', 2026)
    """

    job_name: str
    status: JobRunStatus
    triggered_at: datetime | None = None
    triggered_by: str | None = None
    reason: str | None = None
    result: dict[str, Any] | None = None


class SystemState(ModelDict):
    """Counts of instances, snapshots and export jobs (``total``, ``by_status`` with every
    status, zero included) and mappings (``total``): a ``dict`` with typed attributes.

    Example:
        >>> state = client.ops.get_state()
        >>> state["instances"]["by_status"]["running"], state.mappings["total"]
        (0, 3)
    """

    instances: dict[str, Any] = Field(default_factory=dict)
    snapshots: dict[str, Any] = Field(default_factory=dict)
    export_jobs: dict[str, Any] = Field(default_factory=dict)
    mappings: dict[str, Any] = Field(default_factory=dict)

    def __repr__(self) -> str:
        totals = ", ".join(
            f"{getattr(self, name).get('total', 0)} {name.replace('_', ' ')}"
            for name in ("mappings", "snapshots", "instances", "export_jobs")
        )
        return f"<SystemState {totals}>"


class ExportJob(ModelDict):
    """One export job of a snapshot (a node label or edge type): a ``dict`` with typed
    attributes.

    Example:
        >>> for job in client.ops.get_export_jobs(status="failed"):
        ...     print(f"Job {job['id']}: {job.error_message}")
    """

    id: int
    snapshot_id: int
    entity_type: str
    entity_name: str
    status: ExportJobStatus
    attempts: int = 0
    row_count: int | None = None
    error_message: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class BulkDeleteResult(ModelDict):
    """What a bulk delete matched and deleted: a ``dict`` with typed attributes.

    Example:
        >>> result = client.admin.bulk_delete(
        ...     "instance", {"name_prefix": "E2ETest-"}, "cleanup", dry_run=True
        ... )
        >>> result["matched_count"] == len(result.matched_ids)
        True
    """

    dry_run: bool
    resource_type: str
    matched_count: int
    matched_ids: list[int] = Field(default_factory=list)
    deleted_count: int = 0
    deleted_ids: list[int] = Field(default_factory=list)
    failed_ids: list[int] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)
