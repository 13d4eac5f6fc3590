"""``client.ops``: platform configuration, cluster status and background jobs (ops role)."""

from __future__ import annotations

from typing import Any

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_text
from graph_olap.models.common import RequestModel, coerce_request
from graph_olap.models.ops import (
    ClusterHealth,
    ClusterInstances,
    ConcurrencyConfig,
    ExportConfig,
    ExportJob,
    JobsStatus,
    JobTriggerResult,
    LifecycleConfig,
    MaintenanceMode,
    ResourceLifecycleConfig,
    SystemState,
)
from graph_olap.pagination import page_limit

__all__ = ["JOB_NAMES", "OpsResource"]

JOB_NAMES = ("reconciliation", "lifecycle", "export_reconciliation", "schema_cache")


class OpsResource(Resource[M]):
    """Operations endpoints; every method needs the ``ops`` or ``admin`` role.

    Example:
        >>> client.ops.get_cluster_health().status
        'healthy'
        >>> client.ops.get_cluster_instances().limits.cluster_available
        50
    """

    # -- configuration -----------------------------------------------------------------

    @api_method
    def get_lifecycle_config(self) -> Op[LifecycleConfig]:
        """Lifecycle defaults (TTL, inactivity, max TTL) of mappings, snapshots, instances.

        Example:
            >>> client.ops.get_lifecycle_config().instance.default_ttl
            'PT24H'
        """
        body = yield Call("GET", "/api/config/lifecycle")
        return LifecycleConfig.model_validate(body["data"])

    @api_method
    def update_lifecycle_config(
        self,
        mapping: ResourceLifecycleConfig | dict[str, Any] | None = None,
        snapshot: ResourceLifecycleConfig | dict[str, Any] | None = None,
        instance: ResourceLifecycleConfig | dict[str, Any] | None = None,
    ) -> Op[bool]:
        """Change lifecycle defaults; resource types left ``None`` are unchanged.

        Each value has ``default_ttl``, ``default_inactivity`` and ``max_ttl`` as ISO 8601
        durations. Returns ``True`` once the platform has stored the change.

        Example:
            >>> client.ops.update_lifecycle_config(instance={"default_ttl": "PT12H"})
            True
        """
        body: dict[str, Any] = {}
        for key, value in (("mapping", mapping), ("snapshot", snapshot), ("instance", instance)):
            if value is not None:
                model = coerce_request(_LifecycleRequest, _as_dict(value), key)
                body[key] = model.model_dump(exclude_unset=True)
        yield Call("PUT", "/api/config/lifecycle", json=body)
        return True

    @api_method
    def get_concurrency_config(self) -> Op[ConcurrencyConfig]:
        """Instance limits per analyst and cluster-wide.

        Example:
            >>> client.ops.get_concurrency_config().per_analyst
            5
        """
        body = yield Call("GET", "/api/config/concurrency")
        return ConcurrencyConfig.model_validate(body["data"])

    @api_method
    def update_concurrency_config(
        self, per_analyst: int | None = None, cluster_total: int | None = None
    ) -> Op[ConcurrencyConfig]:
        """Change the instance limits; ``None`` leaves a limit unchanged.

        Example:
            >>> client.ops.update_concurrency_config(per_analyst=3).per_analyst
            3
        """
        body = {
            k: v
            for k, v in (("per_analyst", per_analyst), ("cluster_total", cluster_total))
            if v is not None
        }
        result = yield Call("PUT", "/api/config/concurrency", json=body)
        return ConcurrencyConfig.model_validate(result["data"])

    @api_method
    def get_maintenance_mode(self) -> Op[MaintenanceMode]:
        """Whether maintenance mode is on (new instances are refused while it is).

        Example:
            >>> client.ops.get_maintenance_mode().enabled
            False
        """
        body = yield Call("GET", "/api/config/maintenance")
        return MaintenanceMode.model_validate(body["data"])

    @api_method
    def set_maintenance_mode(self, enabled: bool, message: str = "") -> Op[MaintenanceMode]:  # noqa: FBT001
        """Turn maintenance mode on or off, with a message shown to users.

        Example:
            >>> client.ops.set_maintenance_mode(True, "Upgrade until 14:00 UTC").enabled
            True
        """
        body = {"enabled": enabled, "message": message}
        result = yield Call("PUT", "/api/config/maintenance", json=body)
        return MaintenanceMode.model_validate(result["data"])

    @api_method
    def get_export_config(self) -> Op[ExportConfig]:
        """Export settings (the longest an export may run).

        Example:
            >>> client.ops.get_export_config().max_duration_seconds
            3600
        """
        body = yield Call("GET", "/api/config/export")
        return ExportConfig.model_validate(body["data"])

    @api_method
    def update_export_config(self, max_duration_seconds: int) -> Op[ExportConfig]:
        """Change the longest an export may run before it is failed.

        Example:
            >>> client.ops.update_export_config(1800).max_duration_seconds
            1800
        """
        body = {"max_duration_seconds": max_duration_seconds}
        result = yield Call("PUT", "/api/config/export", json=body)
        return ExportConfig.model_validate(result["data"])

    # -- cluster ------------------------------------------------------------------------

    @api_method
    def get_cluster_health(self) -> Op[ClusterHealth]:
        """Health of each platform component (database, warehouse, instance runtime, jobs).

        Example:
            >>> {k: c.status for k, c in client.ops.get_cluster_health().components.items()}
            {'database': 'healthy', 'warehouse': 'healthy', ...}
        """
        body = yield Call("GET", "/api/cluster/health")
        return ClusterHealth.model_validate(body["data"])

    @api_method
    def get_cluster_instances(self) -> Op[ClusterInstances]:
        """Instance counts by status and owner, with the limits and what is left of them.

        Example:
            >>> client.ops.get_cluster_instances().by_status
            {'running': 2}
        """
        body = yield Call("GET", "/api/cluster/instances")
        return ClusterInstances.model_validate(body["data"])

    # -- background jobs ----------------------------------------------------------------

    @api_method
    def trigger_job(self, job_name: str, reason: str = "manual-trigger") -> Op[JobTriggerResult]:
        """Run a background job now and return its outcome.

        Rate limited to one trigger per job per minute.

        Args:
            job_name: ``reconciliation``, ``lifecycle``, ``export_reconciliation`` or
                ``schema_cache``.
            reason: Why (1-500 characters, kept in the audit log).

        Raises:
            RateLimitError: The job was triggered less than a minute ago;
                ``err.retry_after`` says how long to wait.
            ValidationError: Unknown job name.
            ForbiddenError: You lack the ops role.

        Example:
            >>> client.ops.trigger_job("reconciliation", reason="smoke test").status
            'completed'
        """
        body = {"job_name": require_text(job_name, "job_name"), "reason": reason}
        result = yield Call("POST", "/api/ops/jobs/trigger", json=body)
        return JobTriggerResult.model_validate(result["data"])

    @api_method
    def get_job_status(self) -> Op[JobsStatus]:
        """Schedule, last success/failure and health of every background job.

        Example:
            >>> [j.name for j in client.ops.get_job_status().jobs if j.health_status != "healthy"]
            []
        """
        body = yield Call("GET", "/api/ops/jobs/status")
        return JobsStatus.model_validate(body["data"])

    @api_method
    def get_state(self) -> Op[SystemState]:
        """Counts of instances, snapshots, export jobs and mappings by status.

        Example:
            >>> client.ops.get_state().instances["by_status"]
            {'running': 1}
        """
        body = yield Call("GET", "/api/ops/state")
        return SystemState.model_validate(body["data"])

    @api_method
    def get_export_jobs(self, status: str | None = None, limit: int = 100) -> Op[list[ExportJob]]:
        """Export jobs, newest first, for debugging exports.

        Args:
            status: ``pending``, ``claimed``, ``completed`` or ``failed``.
            limit: At most this many; values above 100 are clamped to 100.

        Example:
            >>> [j.error_message for j in client.ops.get_export_jobs(status="failed")]
            []
        """
        params = {"status": status, "limit": page_limit(limit)}
        body = yield Call("GET", "/api/ops/export-jobs", params=params)
        return [ExportJob.model_validate(j) for j in body["data"]]

    @api_method
    def get_metrics(self) -> Op[str]:
        """Prometheus metrics as text.

        Example:
            >>> "graph_olap_job_runs_total" in client.ops.get_metrics()
            True
        """
        text = yield Call("GET", "/metrics", raw=True)
        return str(text)


class _LifecycleRequest(RequestModel):
    default_ttl: str | None = None
    default_inactivity: str | None = None
    max_ttl: str | None = None


def _as_dict(value: ResourceLifecycleConfig | dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, ResourceLifecycleConfig):
        return value.model_dump(exclude_unset=True)
    return value
