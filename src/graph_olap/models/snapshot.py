"""Snapshots: the exported data of one mapping version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from graph_olap.models.common import APIModel
from graph_olap.statuses import SnapshotStatus, UnknownStatus

__all__ = ["Snapshot", "SnapshotProgress"]


class Snapshot(APIModel):
    """A snapshot: ``pending -> creating -> ready | failed``."""

    id: int
    mapping_id: int
    mapping_version: int
    name: str
    description: str | None = None
    owner_username: str
    status: SnapshotStatus
    error_message: str | None = None
    size_bytes: int | None = None
    node_counts: dict[str, int] = Field(default_factory=dict)
    edge_counts: dict[str, int] = Field(default_factory=dict)
    ttl: str | None = None
    inactivity_timeout: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __repr__(self) -> str:
        error = f", error {self.error_message!r}" if self.error_message else ""
        return (
            f"<Snapshot {self.id} {self.name!r} {self.status}, mapping {self.mapping_id} "
            f"v{self.mapping_version}{error}>"
        )


class _Progress(APIModel):
    id: int
    status: str = ""
    phase: str = ""
    started_at: datetime | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list)
    current_step: str | None = None
    progress_percent: int = 0
    estimated_remaining_seconds: int | None = None
    error_message: str | None = None
    token: str | None = None
    """Opaque; changes when the status, phase or a step does (the SDK's waits send it
    back to be answered only once something changed)."""

    @property
    def completed_steps(self) -> int:
        """Number of completed steps."""
        return sum(1 for s in self.steps if s.get("status") == "completed")

    @property
    def total_steps(self) -> int:
        """Total number of steps."""
        return len(self.steps)

    def __str__(self) -> str:
        steps = f" {self.completed_steps}/{self.total_steps} steps" if self.steps else ""
        return f"{type(self).__name__}({self.status}, phase {self.phase or '-'}{steps})"

    def __repr__(self) -> str:
        steps = f" {self.completed_steps}/{self.total_steps} steps," if self.steps else ""
        error = f", error {self.error_message!r}" if self.error_message else ""
        return (
            f"<{type(self).__name__} {self.id} {self.status}, phase {self.phase or '-'}"
            f"{steps} {self.progress_percent}%{error}>"
        )


class SnapshotProgress(_Progress):
    """Progress of a snapshot export (phases: queued, exporting, uploading, importing,
    ready, failed)."""

    status: SnapshotStatus = UnknownStatus("")  # "" when the platform did not say
