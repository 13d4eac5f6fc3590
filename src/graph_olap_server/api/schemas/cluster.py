"""Wire shapes of cluster health and instance usage (ops role)."""

from __future__ import annotations

import datetime as dt

from graph_olap_server.api.schemas.common import Out

__all__ = [
    "ClusterHealthOut",
    "ClusterInstancesOut",
    "ComponentHealthOut",
    "InstanceLimitsOut",
    "OwnerCountOut",
]


class ComponentHealthOut(Out):
    """``healthy``, ``degraded`` or ``unhealthy``, how long the check took, and why."""

    status: str
    latency_ms: int | float | None
    message: str


class ClusterHealthOut(Out):
    """Health of each component (``database``, ``warehouse``, ``jobs``,
    ``instance_runtime``) and overall."""

    status: str
    components: dict[str, ComponentHealthOut]
    checked_at: dt.datetime


class OwnerCountOut(Out):
    owner_username: str
    count: int


class InstanceLimitsOut(Out):
    per_analyst: int
    cluster_total: int
    cluster_used: int
    cluster_available: int


class ClusterInstancesOut(Out):
    """Instance counts by status (every status) and by owner (live ones), with limits."""

    total: int
    by_status: dict[str, int]
    by_owner: list[OwnerCountOut]
    limits: InstanceLimitsOut
