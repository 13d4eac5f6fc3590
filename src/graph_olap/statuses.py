"""The statuses the platform sends, as ``Literal`` types, and :class:`UnknownStatus` for
a value this SDK does not know yet.

A newer platform may add a status. An older SDK must still read the resource, so every
status field is typed ``Literal[<the known values>] | UnknownStatus``: a known value is
the plain string, any other arrives as an :class:`UnknownStatus` (a ``str``, so
comparisons, ``in`` tests and JSON keep working), and a notebook card shows it as
"unknown status". ``isinstance(x, UnknownStatus)`` narrows the type for mypy, so a
``match`` or an ``if`` chain over the known values can end in ``assert_never``.

Example:
    >>> snap = Snapshot.model_validate({..., "status": "archived"})
    >>> snap.status, isinstance(snap.status, UnknownStatus), snap.status == "archived"
    (UnknownStatus('archived'), True, True)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

__all__ = [
    "ClusterHealthStatus",
    "ExecutionStatus",
    "ExportJobStatus",
    "HealthCheckStatus",
    "InstanceStatus",
    "JobHealthStatus",
    "JobRunStatus",
    "KnownClusterHealthStatus",
    "KnownExecutionStatus",
    "KnownExportJobStatus",
    "KnownHealthCheckStatus",
    "KnownInstanceStatus",
    "KnownJobHealthStatus",
    "KnownJobRunStatus",
    "KnownSnapshotStatus",
    "SnapshotStatus",
    "UnknownStatus",
    "known_values",
]


class UnknownStatus(str):
    """A status value this SDK does not know (a newer platform sent it). It is the
    value as sent, as a ``str``; ``repr`` and the notebook cards mark it as unknown.

    Example:
        >>> UnknownStatus("archived") == "archived", repr(UnknownStatus("archived"))
        (True, "UnknownStatus('archived')")
    """

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    def __repr__(self) -> str:
        return f"UnknownStatus({str.__repr__(self)})"


_KNOWN_FIRST = Field(union_mode="left_to_right")
"""A known value stays the plain string; only another one becomes an UnknownStatus."""


def _as_string(known: Any) -> WithJsonSchema:
    """Documented (OpenAPI, JSON schema) as a string, with the known values as examples."""
    return WithJsonSchema({"type": "string", "examples": list(get_args(known))})


KnownSnapshotStatus = Literal["pending", "creating", "ready", "failed"]
SnapshotStatus = Annotated[
    KnownSnapshotStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownSnapshotStatus)
]
"""A snapshot's status: ``pending -> creating -> ready | failed``."""

KnownInstanceStatus = Literal[
    "waiting_for_snapshot", "starting", "running", "stopping", "terminated", "failed"
]
InstanceStatus = Annotated[
    KnownInstanceStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownInstanceStatus)
]
"""An instance's status: ``waiting_for_snapshot -> starting -> running -> stopping ->
terminated``, or ``failed``."""

KnownExportJobStatus = Literal["pending", "claimed", "completed", "failed"]
ExportJobStatus = Annotated[
    KnownExportJobStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownExportJobStatus)
]
"""An export job's status."""

KnownExecutionStatus = Literal["queued", "running", "completed", "failed", "cancelled"]
ExecutionStatus = Annotated[
    KnownExecutionStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownExecutionStatus)
]
"""An algorithm execution's status."""

KnownJobHealthStatus = Literal["healthy", "degraded", "unhealthy", "unknown"]
JobHealthStatus = Annotated[
    KnownJobHealthStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownJobHealthStatus)
]
"""A background job's health (``unknown`` before its first run)."""

KnownJobRunStatus = Literal["completed", "failed"]
JobRunStatus = Annotated[
    KnownJobRunStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownJobRunStatus)
]
"""How a triggered job run ended."""

KnownClusterHealthStatus = Literal["healthy", "degraded", "unhealthy"]
ClusterHealthStatus = Annotated[
    KnownClusterHealthStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownClusterHealthStatus)
]
"""The health of the cluster or of one of its components."""

KnownHealthCheckStatus = Literal["healthy", "ready", "not_ready"]
HealthCheckStatus = Annotated[
    KnownHealthCheckStatus | UnknownStatus, _KNOWN_FIRST, _as_string(KnownHealthCheckStatus)
]
"""``/health`` (``healthy``) or ``/ready`` (``ready`` / ``not_ready``)."""


def known_values(status_type: Any) -> tuple[str, ...]:
    """The known values of one of this module's status types.

    Example:
        >>> known_values(SnapshotStatus)
        ('pending', 'creating', 'ready', 'failed')
    """
    args = get_args(status_type)
    union = args[0] if args else status_type  # Annotated[union, ...] or the Literal
    found: list[str] = []
    for member in get_args(union) or (union,):
        found.extend(v for v in get_args(member) if isinstance(v, str))
    return tuple(found)
