"""Removing test resources in dependency order, going on past failures.

Instances are terminated first (and waited for until they are ``terminated`` or
``failed``), then snapshots are deleted, then mappings. A resource that is already gone
counts as removed. Every other failure is collected, never raised on the spot, so one
stuck resource does not keep the others alive.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable

from graph_olap.client import GraphOLAPClient
from graph_olap.exceptions import GraphOLAPError, NotFoundError

__all__ = ["CleanupError", "CleanupFailure", "Removal", "remove_resources"]

ENDED = frozenset({"terminated", "failed"})


@dataclasses.dataclass(frozen=True)
class CleanupFailure:
    """One resource that could not be removed, and why."""

    kind: str
    """``"instance"``, ``"snapshot"`` or ``"mapping"``."""
    id: int
    name: str
    error: Exception

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.name}): {type(self.error).__name__}: {self.error}"


class CleanupError(GraphOLAPError):
    """Some resources created for a test could not be removed.

    Every other resource was removed; ``failures`` lists the ones left, with their errors.

    Example:
        >>> try:
        ...     fixtures.cleanup()
        ... except CleanupError as err:
        ...     for failure in err.failures:
        ...         print(failure.kind, failure.id, failure.error)
    """

    default_code = "CLEANUP_FAILED"

    def __init__(self, failures: list[CleanupFailure], *, prefix: str | None = None) -> None:
        lines = "\n".join(f"  - {f}" for f in failures)
        hint = (
            f" They are named {prefix}...; remove them later with "
            f"graph_olap.testing.purge_leftovers(client, prefix={prefix!r}, "
            "older_than=datetime.timedelta(0))."
            if prefix
            else ""
        )
        super().__init__(
            f"{len(failures)} test resource(s) could not be removed:\n{lines}\n"
            f"Everything else was removed.{hint}",
            details={"failures": [(f.kind, f.id) for f in failures]},
        )
        self.failures = failures


@dataclasses.dataclass
class Removal:
    """What to remove: ``{id: name}`` per kind. Removed ids leave the dicts."""

    instances: dict[int, str] = dataclasses.field(default_factory=dict)
    snapshots: dict[int, str] = dataclasses.field(default_factory=dict)
    mappings: dict[int, str] = dataclasses.field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.instances or self.snapshots or self.mappings)


def remove_resources(
    client: GraphOLAPClient, todo: Removal, *, timeout: float = 60.0
) -> list[CleanupFailure]:
    """Terminate ``todo.instances``, then delete its snapshots, then its mappings.

    Ids removed (or found already gone) are taken out of ``todo``; the failed ones stay,
    so calling again retries exactly those.

    Returns:
        The failures, in the order they happened (empty when all went).
    """
    failures: list[CleanupFailure] = []
    stopping = _terminate(client, todo.instances, failures)
    _await_ended(client, stopping, todo.instances, failures, timeout=timeout)
    for kind, ids, delete in (
        ("snapshot", todo.snapshots, client.snapshots.delete),
        ("mapping", todo.mappings, client.mappings.delete),
    ):
        for rid in sorted(ids, reverse=True):  # newest first
            try:
                delete(rid)
            except NotFoundError:
                pass
            except Exception as err:
                failures.append(CleanupFailure(kind, rid, ids[rid], err))
                continue
            del ids[rid]
    return failures


def _terminate(
    client: GraphOLAPClient, instances: dict[int, str], failures: list[CleanupFailure]
) -> list[int]:
    """Ask every instance to stop; returns the ids still stopping."""
    stopping: list[int] = []
    for iid in sorted(instances, reverse=True):
        try:
            answer = client.instances.terminate(iid)
        except NotFoundError:
            del instances[iid]
            continue
        except Exception as err:
            failures.append(CleanupFailure("instance", iid, instances[iid], err))
            continue
        if answer is not None and answer.status in ENDED:
            del instances[iid]
        else:
            stopping.append(iid)
    return stopping


def _await_ended(
    client: GraphOLAPClient,
    ids: Iterable[int],
    instances: dict[int, str],
    failures: list[CleanupFailure],
    *,
    timeout: float,
) -> None:
    """Wait until each instance is ``terminated`` or ``failed`` (its snapshot can only be
    deleted then), polling with a deadline."""
    pending = list(ids)
    deadline = time.monotonic() + timeout
    while pending:
        for iid in list(pending):
            try:
                status = client.instances.get(iid).status
            except NotFoundError:
                status = "terminated"
            except Exception as err:
                failures.append(CleanupFailure("instance", iid, instances[iid], err))
                pending.remove(iid)
                continue
            if status in ENDED:
                pending.remove(iid)
                del instances[iid]
        if pending and time.monotonic() > deadline:
            for iid in pending:
                failures.append(
                    CleanupFailure(
                        "instance",
                        iid,
                        instances[iid],
                        GraphOLAPError(f"still stopping after {timeout:g}s"),
                    )
                )
            return
        if pending:
            time.sleep(0.2)
