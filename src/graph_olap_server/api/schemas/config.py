"""Wire shapes of the platform configuration: lifecycle defaults, concurrency limits,
maintenance mode and the export time limit (requests are partial updates)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, StrictBool, StrictInt

from graph_olap_server.api.schemas.common import Out, Strict

__all__ = [
    "ConcurrencyIn",
    "ConcurrencyOut",
    "ExportIn",
    "ExportOut",
    "LifecycleIn",
    "LifecycleOut",
    "MaintenanceIn",
    "MaintenanceOut",
    "ResourceLifecycleIn",
    "ResourceLifecycleOut",
]


class ResourceLifecycleIn(Strict):
    default_ttl: str | None = Field(default=None, max_length=64)
    default_inactivity: str | None = Field(default=None, max_length=64)
    max_ttl: str | None = Field(default=None, max_length=64)


class LifecycleIn(Strict):
    mapping: ResourceLifecycleIn | None = None
    snapshot: ResourceLifecycleIn | None = None
    instance: ResourceLifecycleIn | None = None


class ConcurrencyIn(Strict):
    per_analyst: StrictInt | None = Field(default=None, ge=1, le=1000)
    cluster_total: StrictInt | None = Field(default=None, ge=1, le=1000)


class MaintenanceIn(Strict):
    enabled: StrictBool | None = None
    message: str | None = Field(default=None, max_length=500)


class ExportIn(Strict):
    max_duration_seconds: StrictInt | None = Field(default=None, ge=60, le=86400)


class ResourceLifecycleOut(Out):
    default_ttl: str | None
    default_inactivity: str | None
    max_ttl: str | None


class LifecycleOut(Out):
    """Lifecycle defaults per resource; ``updated_at`` / ``updated_by`` say who changed
    them last (``None`` while the defaults apply), as in every configuration answer."""

    mapping: ResourceLifecycleOut
    snapshot: ResourceLifecycleOut
    instance: ResourceLifecycleOut
    updated_at: dt.datetime | None
    updated_by: str | None


class ConcurrencyOut(Out):
    per_analyst: int
    cluster_total: int
    updated_at: dt.datetime | None
    updated_by: str | None


class MaintenanceOut(Out):
    enabled: bool
    message: str
    updated_at: dt.datetime | None
    updated_by: str | None


class ExportOut(Out):
    max_duration_seconds: int
    updated_at: dt.datetime | None
    updated_by: str | None
