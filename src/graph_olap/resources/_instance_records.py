"""The instance records: list, get, update, progress, CPU, lifecycle, terminate.

The base of :class:`~graph_olap.resources.instances.InstanceResource`, which adds
creation, waiting and connecting.
"""

from __future__ import annotations

import logging

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, drop_none, paged, require_id
from graph_olap.models.instance import Instance, InstanceProgress
from graph_olap.pagination import PaginatedList

__all__ = ["InstanceRecords", "wrapper_url"]

log = logging.getLogger("graph_olap")
_warned_no_in_cluster_url = False


def wrapper_url(instance: Instance, *, in_cluster: bool) -> str | None:
    """Where this client reaches the instance's wrapper: ``in_cluster_url`` in
    in-cluster mode, ``instance_url`` otherwise; ``None`` when it has no address (it is
    not running). The one place that chooses, for connections and waits alike.

    A platform too old to publish ``in_cluster_url`` gives none even for a running
    instance: in-cluster mode then uses ``instance_url``, and logs so once.

    Example:
        >>> wrapper_url(client.instances.get(12), in_cluster=True)
        'http://graph-instance-12.analytics.svc:8000'
    """
    global _warned_no_in_cluster_url
    if not in_cluster or instance.in_cluster_url:
        return instance.in_cluster_url if in_cluster else instance.instance_url
    if instance.instance_url and not _warned_no_in_cluster_url:
        _warned_no_in_cluster_url = True
        log.warning(
            "In-cluster mode is on but the platform publishes no in_cluster_url for "
            "instance %s (a platform older than this SDK): using its instance_url %s. "
            "Upgrade the platform to reach instances through their in-cluster address.",
            instance.id,
            instance.instance_url,
        )
    return instance.instance_url


class InstanceRecords(Resource[M]):
    """Inspect and manage instance records (see ``InstanceResource``)."""

    @property
    def _in_cluster(self) -> bool:
        """Whether this client reaches wrappers at their in-cluster address
        (``Config.in_cluster_mode``, ``GRAPH_OLAP_IN_CLUSTER_MODE``)."""
        return self._runner.config.in_cluster_mode

    @api_method
    def list(
        self,
        snapshot_id: int | None = None,
        owner: str | None = None,
        status: str | None = None,
        search: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> Op[PaginatedList[Instance]]:
        """List instances with optional filters (same paging as ``mappings.list``).

        Example:
            >>> [i.name for i in client.instances.list(status="running")]
            ['fraud']
        """
        params = {
            "snapshot_id": snapshot_id,
            "owner": owner,
            "status": status,
            "search": search,
            "created_after": created_after,
            "created_before": created_before,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "offset": offset,
            "limit": limit,
        }
        return (yield from paged("/api/instances", params, Instance.model_validate, self.list))

    @api_method
    def get(self, instance_id: int) -> Op[Instance]:
        """Get an instance by id.

        Example:
            >>> client.instances.get(12).status
            'running'
        """
        body = yield Call("GET", f"/api/instances/{require_id(instance_id, 'instance_id')}")
        return Instance.model_validate(body["data"])

    @api_method
    def update(
        self, instance_id: int, *, name: str | None = None, description: str | None = None
    ) -> Op[Instance]:
        """Rename an instance or change its description.

        Example:
            >>> client.instances.update(12, name="fraud ring study").name
            'fraud ring study'
        """
        iid = require_id(instance_id, "instance_id")
        body = drop_none({"name": name, "description": description})
        result = yield Call("PUT", f"/api/instances/{iid}", json=body)
        return Instance.model_validate(result["data"])

    @api_method
    def get_progress(self, instance_id: int) -> Op[InstanceProgress]:
        """The start-up phase and steps of an instance.

        Example:
            >>> p = client.instances.get_progress(12)
            >>> p.phase, p.completed_steps, p.total_steps
            ('loading_data', 3, 5)
        """
        iid = require_id(instance_id, "instance_id")
        body = yield Call("GET", f"/api/instances/{iid}/progress")
        return InstanceProgress.model_validate(body["data"])

    @api_method
    def terminate(self, instance_id: int) -> Op[Instance | None]:
        """Stop an instance and free its resources. Its graph is gone afterwards.

        Terminating a terminated instance does nothing.

        Returns:
            The instance as the platform left it (``terminated``, or ``stopping`` while its
            process stops), or None if the platform answered no body.

        Raises:
            PermissionDeniedError: You are neither the owner nor an admin.

        Example:
            >>> client.instances.terminate(12).status
            'terminated'
        """
        iid = require_id(instance_id, "instance_id")
        result = yield Call("POST", f"/api/instances/{iid}/terminate")
        if isinstance(result, dict) and isinstance(result.get("data"), dict):
            return Instance.model_validate(result["data"])
        return None

    @api_method
    def update_cpu(self, instance_id: int, cpu_cores: int) -> Op[Instance]:
        """Change the CPU cores of a running instance, without restarting it.

        Raises:
            ValidationError: ``cpu_cores`` is out of range (1-8).
            InvalidStateError: The instance is not running.

        Example:
            >>> client.instances.update_cpu(12, cpu_cores=4).cpu_cores
            4
        """
        iid = require_id(instance_id, "instance_id")
        if isinstance(cpu_cores, bool) or not isinstance(cpu_cores, int):
            raise exc.ValidationError(
                f"cpu_cores must be a whole number of cores, got {cpu_cores!r}.",
                details={"field": "cpu_cores"},
            )
        result = yield Call("PUT", f"/api/instances/{iid}/cpu", json={"cpu_cores": cpu_cores})
        return Instance.model_validate(result["data"])

    @api_method
    def set_lifecycle(
        self,
        instance_id: int,
        *,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Instance]:
        """Set an instance's TTL and inactivity timeout (ISO 8601 durations).

        Example:
            >>> client.instances.set_lifecycle(12, inactivity_timeout="PT2H").inactivity_timeout
            'PT2H'
        """
        iid = require_id(instance_id, "instance_id")
        body = drop_none({"ttl": ttl, "inactivity_timeout": inactivity_timeout})
        result = yield Call("PUT", f"/api/instances/{iid}/lifecycle", json=body)
        return Instance.model_validate(result["data"])

    @api_method
    def extend_ttl(self, instance_id: int, hours: int = 24) -> Op[Instance]:
        """Push an instance's expiry back by ``hours`` from its current expiry.

        Raises:
            ValidationError: The new expiry would pass the maximum TTL.

        Example:
            >>> client.instances.extend_ttl(12)            # +24 hours
            >>> client.instances.extend_ttl(12, hours=48)
        """
        iid = require_id(instance_id, "instance_id")
        if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
            raise exc.ValidationError(
                f"hours must be a positive whole number, got {hours!r}.",
                details={"field": "hours"},
            )
        result = yield Call("POST", f"/api/instances/{iid}/extend-ttl", json={"hours": hours})
        return Instance.model_validate(result["data"])
