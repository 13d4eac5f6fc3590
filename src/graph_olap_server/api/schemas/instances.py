"""Wire shapes of instances: requests, the instance and the answer of the access check."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import Field

from graph_olap_server.api.schemas.common import Out, Strict

if TYPE_CHECKING:
    from graph_olap_server.runtime.base import InstanceRuntime

__all__ = [
    "MAX_CPU_CORES",
    "ActivityOut",
    "CpuUpdate",
    "ExtendTtl",
    "InstanceAccessOut",
    "InstanceCreate",
    "InstanceFromMapping",
    "InstanceOut",
    "InstanceUpdate",
]

MAX_CPU_CORES = 8


class InstanceCreate(Strict):
    snapshot_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class InstanceFromMapping(Strict):
    mapping_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    mapping_version: int | None = Field(default=None, ge=1)
    snapshot_name: str | None = Field(default=None, min_length=1, max_length=255)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class InstanceUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)


class CpuUpdate(Strict):
    cpu_cores: int = Field(ge=1, le=MAX_CPU_CORES)


class ExtendTtl(Strict):
    hours: int = Field(default=24, ge=1, le=24 * 366)


class InstanceOut(Out):
    """An instance as the API shows it. ``in_cluster_url`` (where clients inside the
    cluster reach its wrapper) is computed by the runtime from the stored port, and is
    ``None`` unless the instance is running.

    Example:
        >>> InstanceOut.of_row(row, platform.runtime).in_cluster_url  # doctest: +SKIP
        'http://127.0.0.1:41234'
    """

    id: int
    snapshot_id: int | None
    mapping_id: int | None
    mapping_version: int | None
    name: str
    description: str | None
    owner_username: str
    status: str
    instance_url: str | None
    in_cluster_url: str | None
    cpu_cores: int | None
    error_message: str | None
    ttl: str | None
    expires_at: dt.datetime | None
    inactivity_timeout: str | None
    last_activity_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any, runtime: InstanceRuntime) -> InstanceOut:
        """The instance row ``row``; ``runtime`` gives the
        in-cluster address of a running one."""
        running = row.status == "running" and row.port is not None
        addresses = runtime.addresses(row.id, row.port) if running and row.port else None
        return cls.from_row(row, in_cluster_url=addresses.in_cluster if addresses else None)


class InstanceAccessOut(Out):
    """Who may use the instance: the caller, with their role."""

    username: str
    role: str
    instance_id: int


class ActivityOut(Out):
    """A wrapper's activity report, recorded."""

    instance_id: int
    last_activity_at: dt.datetime
