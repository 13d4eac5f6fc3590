"""``purge_leftovers``: remove what earlier, interrupted test runs left on the platform."""

from __future__ import annotations

import dataclasses
import datetime as dt

from graph_olap.client import GraphOLAPClient
from graph_olap.testing._names import DEFAULT_TAG
from graph_olap.testing._teardown import CleanupFailure, Removal, remove_resources

__all__ = ["PurgeReport", "purge_leftovers"]


@dataclasses.dataclass
class PurgeReport:
    """What :func:`purge_leftovers` found and removed.

    Example:
        >>> report = purge_leftovers(client)
        >>> print(report)
        purged 1 instance(s), 1 snapshot(s), 2 mapping(s) named gotest-*; 0 failure(s)
    """

    prefix: str
    dry_run: bool
    instances: list[int] = dataclasses.field(default_factory=list)
    snapshots: list[int] = dataclasses.field(default_factory=list)
    mappings: list[int] = dataclasses.field(default_factory=list)
    failures: list[CleanupFailure] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every leftover found was removed."""
        return not self.failures

    def __str__(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        text = (
            f"{verb} {len(self.instances)} instance(s), {len(self.snapshots)} snapshot(s), "
            f"{len(self.mappings)} mapping(s) named {self.prefix}*; "
            f"{len(self.failures)} failure(s)"
        )
        return "\n  - ".join([text, *map(str, self.failures)])


def purge_leftovers(
    client: GraphOLAPClient,
    *,
    prefix: str = DEFAULT_TAG + "-",
    older_than: dt.timedelta = dt.timedelta(hours=1),
    everyone: bool = False,
    dry_run: bool = False,
    timeout: float = 60.0,
) -> PurgeReport:
    """Remove test resources an earlier run left behind (it crashed, was killed, ...).

    Finds the instances (not yet terminated), snapshots and mappings whose name starts
    with ``prefix`` and that were created more than ``older_than`` ago, then terminates
    and deletes them in dependency order. The age limit keeps a run that is going on at
    the same time (another CI job, another xdist worker) safe: keep it longer than your
    longest test session.

    Args:
        client: Whose leftovers: by default only this client's user's.
        prefix: Name prefix of the leftovers: ``"gotest-"`` for every run of
            :class:`TestFixtures`, ``fixtures.prefix`` for one run.
        older_than: Only resources at least this old (``timedelta(0)``: all).
        everyone: Also other users' leftovers (needs the admin role to delete them).
            For a bulk clean-up by an admin, ``client.admin.bulk_delete(...,
            {"name_prefix": prefix})`` is the audited alternative.
        dry_run: Only report what would be removed.
        timeout: Seconds to wait for the instances to stop.

    Returns:
        A :class:`PurgeReport`; check ``report.ok`` (failures do not raise).

    Example:
        >>> from graph_olap.testing import connect, purge_leftovers
        >>> report = purge_leftovers(connect(), older_than=datetime.timedelta(hours=6))
        >>> report.ok
        True
    """
    if not prefix:
        raise ValueError("prefix must not be empty: it would purge every resource you own.")
    cutoff = (dt.datetime.now(dt.timezone.utc) - older_than).isoformat()
    owner = None if everyone else client.config.username
    todo = Removal()
    instances = client.instances.list(search=prefix, owner=owner, created_before=cutoff, limit=100)
    for inst in instances.iter_all():
        if inst.name.startswith(prefix) and inst.status not in ("terminated", "failed"):
            todo.instances[inst.id] = inst.name
    snapshots = client.snapshots.list(search=prefix, owner=owner, created_before=cutoff, limit=100)
    for snap in snapshots.iter_all():
        if snap.name.startswith(prefix):
            todo.snapshots[snap.id] = snap.name
    mappings = client.mappings.list(search=prefix, owner=owner, created_before=cutoff, limit=100)
    for mapping in mappings.iter_all():
        if mapping.name.startswith(prefix):
            todo.mappings[mapping.id] = mapping.name
    report = PurgeReport(
        prefix=prefix,
        dry_run=dry_run,
        instances=sorted(todo.instances),
        snapshots=sorted(todo.snapshots),
        mappings=sorted(todo.mappings),
    )
    if not dry_run:
        report.failures = remove_resources(client, todo, timeout=timeout)
        failed = {(f.kind, f.id) for f in report.failures}
        report.instances = [i for i in report.instances if ("instance", i) not in failed]
        report.snapshots = [i for i in report.snapshots if ("snapshot", i) not in failed]
        report.mappings = [i for i in report.mappings if ("mapping", i) not in failed]
    return report
