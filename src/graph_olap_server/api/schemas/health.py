"""Wire shapes of liveness and readiness (bare objects, no ``data`` envelope; times are
ISO 8601 strings with ``+00:00``)."""

from __future__ import annotations

from pydantic import ConfigDict

from graph_olap_server.api.schemas.common import ErrorBody, Out

__all__ = ["HealthOut", "ReadyOut"]


class HealthOut(Out):
    status: str
    version: str
    checked_at: str


class ReadyOut(Out):
    """``ready`` with every part ``ok``, or ``not_ready`` (a 503) with the failing part
    ``unavailable`` and an ``error`` saying what failed (absent when ready)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    status: str
    version: str
    database: str
    warehouse: str
    checked_at: str
    error: ErrorBody | None = None
