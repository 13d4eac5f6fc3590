"""Instances: running graph databases loaded from a snapshot."""

from __future__ import annotations

from datetime import datetime

from graph_olap.models.common import APIModel
from graph_olap.models.snapshot import _Progress
from graph_olap.statuses import InstanceStatus, UnknownStatus

__all__ = ["Instance", "InstanceProgress", "LockStatus"]


class Instance(APIModel):
    """A graph instance: ``waiting_for_snapshot -> starting -> running -> stopping ->
    terminated``, or ``failed`` with ``error_message``.

    A running instance has two addresses: ``instance_url`` from outside the cluster and
    ``in_cluster_url`` from inside it (a Kubernetes service DNS name on a cluster; the
    SDK uses it when ``Config.in_cluster_mode`` is on). Both are ``None`` otherwise.
    """

    id: int
    snapshot_id: int | None = None
    mapping_id: int | None = None
    mapping_version: int | None = None
    name: str
    description: str | None = None
    owner_username: str
    status: InstanceStatus
    instance_url: str | None = None
    in_cluster_url: str | None = None
    cpu_cores: int | None = None
    error_message: str | None = None
    ttl: str | None = None
    expires_at: datetime | None = None
    inactivity_timeout: str | None = None
    last_activity_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __repr__(self) -> str:
        error = f", error {self.error_message!r}" if self.error_message else ""
        return (
            f"<Instance {self.id} {self.name!r} {self.status}, snapshot {self.snapshot_id}{error}>"
        )


class InstanceProgress(_Progress):
    """Startup progress of an instance (phases: pod_scheduled, downloading,
    loading_schema, loading_data, ready, failed)."""

    status: InstanceStatus = UnknownStatus("")  # "" when the platform did not say


class LockStatus(APIModel):
    """Instance lock status for algorithm execution.

    ``holder_id`` and ``execution_id`` are the id of the execution holding the lock (a
    running ``mutate`` algorithm); ``holder_username`` who started it.
    """

    locked: bool
    holder_id: str | None = None
    holder_name: str | None = None
    holder_username: str | None = None
    algorithm: str | None = None
    execution_id: str | None = None
    locked_at: datetime | None = None

    def __repr__(self) -> str:
        if not self.locked:
            return "LockStatus(unlocked)"
        return (
            f"LockStatus(locked by {self.holder_username} running {self.algorithm}, "
            f"execution {self.execution_id or self.holder_id}, since {self.locked_at})"
        )

    __str__ = __repr__
