"""Wire shapes of snapshots: requests, the snapshot and its export progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from graph_olap_server.api.schemas.common import Out, Strict

__all__ = ["ProgressOut", "SnapshotCreate", "SnapshotOut", "SnapshotUpdate"]


class SnapshotCreate(Strict):
    mapping_id: int
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    version: int | None = Field(default=None, ge=1)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class SnapshotUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)


class SnapshotOut(Out):
    """A snapshot: the exported data of one mapping version.

    Example:
        >>> SnapshotOut.of_row(row).status  # doctest: +SKIP
        'ready'
    """

    id: int
    mapping_id: int
    mapping_version: int
    name: str
    description: str | None
    owner_username: str
    status: str
    error_message: str | None
    size_bytes: int | None
    node_counts: dict[str, int]
    edge_counts: dict[str, int]
    ttl: str | None
    inactivity_timeout: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of_row(cls, row: Any) -> SnapshotOut:
        """The snapshot row ``row`` (counts not yet known are ``{}``)."""
        return cls.from_row(
            row, node_counts=row.node_counts or {}, edge_counts=row.edge_counts or {}
        )


class ProgressOut(Out):
    """Progress of a snapshot's export or an instance's start-up: the phase, the steps
    (each ``{"name", "status", ...}``), the percentage done and an estimate of the rest."""

    id: int
    status: str
    phase: str
    started_at: dt.datetime | None
    steps: list[dict[str, Any]]
    current_step: str | None
    progress_percent: int
    estimated_remaining_seconds: int | None
    error_message: str | None
    token: str
    """Opaque; changes when the status, phase or a step does: send it back as ``seen``
    with ``wait_ms`` to be answered only once something changed."""
