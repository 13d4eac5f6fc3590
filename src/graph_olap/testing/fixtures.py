"""``TestFixtures``: create mappings, snapshots and instances for a test, and remove them.

Every resource gets a name starting with the fixtures' prefix (``gotest-<run id>-``) and,
unless you give one, a description saying which run made it, so an interrupted run's
leftovers can be found later (:func:`~graph_olap.testing.purge_leftovers`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from graph_olap.client import GraphOLAPClient
from graph_olap.models.instance import Instance
from graph_olap.models.mapping import EdgeDefinition, Mapping, NodeDefinition
from graph_olap.models.snapshot import Snapshot
from graph_olap.testing._names import DEFAULT_TAG, new_run_id, random_name, run_prefix
from graph_olap.testing._samples import SAMPLE_EDGES, SAMPLE_NODES
from graph_olap.testing._teardown import CleanupError, Removal, remove_resources

__all__ = ["DEFAULT_INSTANCE_TTL", "TestFixtures"]

log = logging.getLogger("graph_olap.testing")

DEFAULT_INSTANCE_TTL = "PT4H"
"""Instances made for tests expire after 4 hours even if nothing cleans them up."""

_NodeDefs = Sequence[NodeDefinition | dict[str, Any]]
_EdgeDefs = Sequence[EdgeDefinition | dict[str, Any]]


class TestFixtures:
    """Creates resources for one test and removes them all in :meth:`cleanup`.

    Args:
        client: The (blocking) client to create the resources with.
        tag: First part of every name (default ``"gotest"``); :func:`purge_leftovers`
            finds leftovers by it.
        run_id: Second part of every name (default: 8 random hex digits, one per
            ``TestFixtures``).
        cleanup_timeout: Seconds :meth:`cleanup` waits for instances to stop.

    Example:
        >>> fixtures = TestFixtures(client)
        >>> try:
        ...     instance = fixtures.create_instance(name="smoke")
        ...     instance.name, instance.status
        ... finally:
        ...     fixtures.cleanup()
        ('gotest-3fa2c1d0-smoke', 'running')
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self,
        client: GraphOLAPClient,
        *,
        tag: str = DEFAULT_TAG,
        run_id: str | None = None,
        cleanup_timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.run_id = run_id or new_run_id()
        self.prefix = run_prefix(tag, self.run_id)
        self.cleanup_timeout = cleanup_timeout
        self._todo = Removal()

    def __repr__(self) -> str:
        t = self._todo
        return (
            f"<TestFixtures {self.prefix}* holding {len(t.instances)} instance(s), "
            f"{len(t.snapshots)} snapshot(s), {len(t.mappings)} mapping(s)>"
        )

    # names -------------------------------------------------------------------------

    def name(self, base: str | None = None, *, kind: str = "test") -> str:
        """The tagged name for ``base``: ``"<prefix><base>"``, or a random one.

        A ``base`` that already starts with the prefix is returned as it is.

        Example:
            >>> fixtures.name("orders")
            'gotest-3fa2c1d0-orders'
            >>> fixtures.name(kind="mapping")
            'gotest-3fa2c1d0-mapping-5be1a2c9'
        """
        if base and base.startswith(self.prefix):
            return base
        return self.prefix + (base if base else random_name(kind))

    @property
    def description(self) -> str:
        """The description given to resources created without one."""
        return f"Created by graph_olap.testing (run {self.run_id}); safe to delete."

    @property
    def mapping_ids(self) -> tuple[int, ...]:
        """Mappings created and not yet removed."""
        return tuple(self._todo.mappings)

    @property
    def snapshot_ids(self) -> tuple[int, ...]:
        """Snapshots created (explicitly or for an instance) and not yet removed."""
        return tuple(self._todo.snapshots)

    @property
    def instance_ids(self) -> tuple[int, ...]:
        """Instances created and not yet terminated."""
        return tuple(self._todo.instances)

    # creation ----------------------------------------------------------------------

    def create_mapping(
        self,
        *,
        name: str | None = None,
        description: str | None = None,
        node_definitions: _NodeDefs | None = None,
        edge_definitions: _EdgeDefs | None = None,
        **kwargs: Any,
    ) -> Mapping:
        """Create a mapping, by default a small one over the sample warehouse.

        The default graph: ``Customer`` (1,000 rows) ``-[:OWNS]->`` ``Account`` (1,784 rows)
        from ``sample.bank``.

        Args:
            name: Name after the prefix (default: random).
            description: Default: which run made it.
            node_definitions: Default: ``Customer`` and ``Account``.
            edge_definitions: Default: ``OWNS`` (pass ``[]`` for none).
            **kwargs: Other arguments of ``client.mappings.create`` (``ttl``, ...).

        Returns:
            The mapping; :meth:`cleanup` deletes it.

        Example:
            >>> mapping = fixtures.create_mapping()
            >>> [n.label for n in mapping.node_definitions]
            ['Customer', 'Account']
        """
        nodes = SAMPLE_NODES if node_definitions is None else node_definitions
        if edge_definitions is not None:
            edges = edge_definitions
        else:  # the sample edges only make sense with the sample nodes
            edges = SAMPLE_EDGES if node_definitions is None else []
        mapping = self.client.mappings.create(
            self.name(name, kind="mapping"),
            description if description is not None else self.description,
            node_definitions=list(nodes),
            edge_definitions=list(edges),
            **kwargs,
        )
        self._todo.mappings[mapping.id] = mapping.name
        return mapping

    def create_snapshot(
        self,
        *,
        mapping_id: int | None = None,
        name: str | None = None,
        description: str | None = None,
        wait: bool = True,
        timeout: float = 600,
        **kwargs: Any,
    ) -> Snapshot:
        """Export a mapping into a snapshot and wait until it is ready.

        Args:
            mapping_id: Default: a new :meth:`create_mapping` with its defaults.
            name: Name after the prefix (default: random).
            description: Default: which run made it.
            wait: ``False`` returns at once (status ``pending``).
            timeout: Seconds to wait for the export.
            **kwargs: Other arguments of ``client.snapshots.create`` (``version``, ``ttl``).

        Returns:
            The snapshot (``ready`` when ``wait``); :meth:`cleanup` deletes it.

        Raises:
            SnapshotFailedError: The export failed (the snapshot is still cleaned up).
            ForbiddenError: The platform allows no explicit snapshots
                (``SNAPSHOTS_DISABLED``); ``create_instance(mapping_id=...)`` still works.

        Example:
            >>> fixtures.create_snapshot().node_counts
            {"Customer": 1000, "Account": 1784}
        """
        if mapping_id is None:
            mapping_id = self.create_mapping().id
        snapshot = self.client.snapshots.create(
            mapping_id,
            self.name(name, kind="snapshot"),
            description=description if description is not None else self.description,
            **kwargs,
        )
        self._todo.snapshots[snapshot.id] = snapshot.name
        if not wait:
            return snapshot
        return self.client.snapshots.wait_until_ready(
            snapshot.id, timeout=timeout, poll_interval=0.5
        )

    def create_instance(
        self,
        *,
        name: str | None = None,
        snapshot_id: int | None = None,
        mapping_id: int | None = None,
        description: str | None = None,
        ttl: str | None = DEFAULT_INSTANCE_TTL,
        wait: bool = True,
        timeout: float = 600,
        **kwargs: Any,
    ) -> Instance:
        """Start a graph instance and wait until it is running.

        From ``snapshot_id`` if given, else from ``mapping_id`` (the platform exports it
        first), else from a new default mapping (:meth:`create_mapping`).

        Args:
            name: Name after the prefix (default: random).
            snapshot_id: A ready snapshot to load.
            mapping_id: A mapping to export and load (its snapshot is cleaned up too).
            description: Default: which run made it.
            ttl: Expiry of the instance (default 4 hours), a safety net if nothing cleans
                up; ``None`` for the platform's default.
            wait: ``False`` returns at once.
            timeout: Seconds to wait for the export and the start.
            **kwargs: Other arguments of ``client.instances.create`` /
                ``create_from_mapping`` (``inactivity_timeout``, ``mapping_version``).

        Returns:
            The instance (``running`` when ``wait``); :meth:`cleanup` terminates it.

        Raises:
            InstanceFailedError: It failed to start (it is still cleaned up).
            TimeoutError: Not running after ``timeout`` seconds (still cleaned up).

        Example:
            >>> inst = fixtures.create_instance(name="test-instance")
            >>> with client.instances.connect(inst.id) as conn:
            ...     conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
            1000
        """
        full_name = self.name(name, kind="instance")
        desc = description if description is not None else self.description
        if snapshot_id is not None:
            instance = self.client.instances.create(
                snapshot_id, full_name, description=desc, ttl=ttl, **kwargs
            )
        else:
            if mapping_id is None:
                mapping_id = self.create_mapping().id
            kwargs.setdefault("snapshot_name", full_name)
            instance = self.client.instances.create_from_mapping(
                mapping_id, full_name, description=desc, ttl=ttl, **kwargs
            )
            if instance.snapshot_id is not None:
                self._todo.snapshots[instance.snapshot_id] = kwargs["snapshot_name"]
        self._todo.instances[instance.id] = instance.name
        if not wait:
            return instance
        return self.client.instances.wait_until_running(
            instance.id, timeout=timeout, poll_interval=0.5
        )

    # cleanup -----------------------------------------------------------------------

    def cleanup(self) -> None:
        """Remove everything these fixtures created: terminate the instances, then delete
        the snapshots, then the mappings.

        Also removes resources that carry this run's prefix but were not recorded (say a
        create whose answer was lost). Resources already gone are fine. It goes on past a
        failure and raises once at the end; calling it again retries only what is left.

        Raises:
            CleanupError: Some resources could not be removed (``failures`` says which
                and why); everything else was removed.

        Example:
            >>> fixtures.cleanup()
            >>> fixtures.instance_ids, fixtures.snapshot_ids, fixtures.mapping_ids
            ((), (), ())
        """
        try:
            self._sweep()
        except Exception as err:  # removal of the recorded resources goes on regardless
            log.warning("could not list the resources named %s*: %s", self.prefix, err)
        failures = remove_resources(self.client, self._todo, timeout=self.cleanup_timeout)
        if failures:
            raise CleanupError(failures, prefix=self.prefix)

    def _sweep(self) -> None:
        """Add to the removal list what carries our prefix and is still there (a
        snapshot made for an instance carries the instance's name)."""
        me = self.client.config.username
        todo, prefix = self._todo, self.prefix
        for inst in self.client.instances.list(search=prefix, owner=me, limit=100).iter_all():
            if inst.name.startswith(prefix) and inst.status not in ("terminated", "failed"):
                todo.instances.setdefault(inst.id, inst.name)
        for snap in self.client.snapshots.list(search=prefix, owner=me, limit=100).iter_all():
            if snap.name.startswith(prefix):
                todo.snapshots.setdefault(snap.id, snap.name)
        for mapping in self.client.mappings.list(search=prefix, owner=me, limit=100).iter_all():
            if mapping.name.startswith(prefix):
                todo.mappings.setdefault(mapping.id, mapping.name)

    def __enter__(self) -> TestFixtures:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.cleanup()
        else:
            cleanup_after_error(self, exc)


def cleanup_after_error(fixtures: TestFixtures, error: BaseException) -> None:
    """Clean up after the test body raised ``error``; a cleanup failure is added to
    ``error`` as a note and logged, so it never hides the test's own failure."""
    try:
        fixtures.cleanup()
    except CleanupError as cleanup_error:
        log.error("%s", cleanup_error)
        add_note = getattr(error, "add_note", None)  # Python 3.11+
        if add_note is not None:
            add_note(f"graph_olap.testing cleanup also failed: {cleanup_error}")
