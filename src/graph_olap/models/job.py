"""Jobs: one record for a snapshot export, an instance start, an algorithm execution or
a bulk delete (``client.jobs``; the handle is :class:`graph_olap.Job`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from graph_olap.models.common import APIModel
from graph_olap.statuses import UnknownStatus

__all__ = ["JobList", "JobRecord", "JobStatus", "KnownJobStatus", "UnansweredWrapper"]

KnownJobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JobStatus = Annotated[
    KnownJobStatus | UnknownStatus,
    Field(union_mode="left_to_right"),
    WithJsonSchema({"type": "string", "examples": ["queued", "running", "succeeded"]}),
]
"""A job's status, the same for every kind: ``queued -> running -> succeeded | failed |
cancelled``."""


class JobRecord(APIModel):
    """What the platform says about one job.

    ``id`` encodes the kind and the resource: ``export-<snapshot id>``, ``start-<instance
    id>``, ``algorithm-<instance id>-<execution id>`` or ``bulk_delete-<id>``. ``status``
    is one vocabulary for all kinds; ``detail`` is the resource's own status
    (``creating``, ``waiting_for_snapshot``, ``completed``...). ``progress`` is the
    fraction of steps done (0..1), ``None`` while the steps are unknown.

    Example:
        >>> record = client.jobs.get("export-12").record
        >>> record.kind, record.status, record.detail
        ('export', 'running', 'creating')
    """

    id: str
    kind: str
    status: JobStatus
    detail: str = ""
    phase: str | None = None
    completed: int = 0
    total: int = 0
    progress: float | None = None
    message: str = ""
    error_message: str | None = None
    owner: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    snapshot_id: int | None = None
    instance_id: int | None = None
    execution_id: str | None = None
    result: dict[str, Any] | None = None

    @property
    def is_active(self) -> bool:
        """Whether it is still queued or running."""
        return self.status in ("queued", "running")

    def __repr__(self) -> str:
        return f"<JobRecord {self.line()}>"

    def line(self) -> str:
        """``export-12 running 40% (creating)``: the id, status, progress and detail."""
        done = f" {self.progress:.0%}" if self.progress is not None and self.is_active else ""
        return f"{self.id} {self.status}{done} ({self.detail})"


class UnansweredWrapper(APIModel):
    """A running instance whose wrapper did not answer: its executions are not listed."""

    instance_id: int
    message: str = ""


class JobList(APIModel):
    """The platform's answer to ``GET /api/jobs``: the jobs, newest first, and whether
    the list is ``partial`` (a wrapper did not answer: ``unanswered`` says which)."""

    jobs: list[JobRecord] = Field(default_factory=list)
    partial: bool = False
    unanswered: list[UnansweredWrapper] = Field(default_factory=list)
