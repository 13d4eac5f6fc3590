"""``connect``, ``test_context`` and ``instance_context``: a client and fixtures that clean
up after themselves, whatever the test does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graph_olap._core.resource import Sync
from graph_olap.client import GraphOLAPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.testing._names import DEFAULT_TAG
from graph_olap.testing.fixtures import TestFixtures, cleanup_after_error

__all__ = ["connect", "instance_context", "test_context"]


def connect(**kwargs: Any) -> GraphOLAPClient:
    """A client configured from the environment, for tests.

    The platform is ``GRAPH_OLAP_API_URL``, else the in-cluster service when
    ``GRAPH_OLAP_IN_CLUSTER_MODE=true``, else the local platform at
    ``http://localhost:8000``; credentials from ``GRAPH_OLAP_API_KEY``,
    ``GRAPH_OLAP_INTERNAL_API_KEY`` or ``GRAPH_OLAP_USERNAME``.

    Args:
        **kwargs: Arguments of :meth:`GraphOLAPClient.from_env` (``api_url``,
            ``username``, ``timeout``, ...); they win over the environment.

    Returns:
        A new client; close it when done (or use :func:`test_context`).

    Example:
        >>> from graph_olap.testing import connect
        >>> with connect(username="e2e-test-user") as client:
        ...     client.health.check().status
        'healthy'
    """
    return GraphOLAPClient.from_env(**kwargs)


@contextmanager
def test_context(
    client: GraphOLAPClient | None = None, *, tag: str = DEFAULT_TAG, **connect_kwargs: Any
) -> Iterator[tuple[GraphOLAPClient, TestFixtures]]:
    """A client and :class:`TestFixtures` whose resources are removed on exit.

    Cleanup runs however the block ends: normally, by an exception, a failed assert or
    ``KeyboardInterrupt`` (which is re-raised once cleanup is done). When the block
    raised, a cleanup failure is logged and added to the block's exception as a note
    instead of replacing it; when it did not, :class:`CleanupError` is raised.

    Args:
        client: A client to use (default: :func:`connect`, closed on exit).
        tag: First part of the names of the resources (see :class:`TestFixtures`).
        **connect_kwargs: Passed to :func:`connect` when ``client`` is not given.

    Yields:
        ``(client, fixtures)``.

    Example:
        >>> from graph_olap.testing import test_context
        >>> with test_context() as (client, fixtures):
        ...     instance = fixtures.create_instance(name="test-instance")
        ...     # test code - cleanup automatic
    """
    own = client is None
    active = connect(**connect_kwargs) if client is None else client
    fixtures = TestFixtures(active, tag=tag)
    try:
        try:
            yield active, fixtures
        except BaseException as err:  # KeyboardInterrupt too: clean up, then re-raise
            cleanup_after_error(fixtures, err)
            raise
        fixtures.cleanup()
    finally:
        if own:
            active.close()


test_context.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@contextmanager
def instance_context(
    name: str,
    *,
    client: GraphOLAPClient | None = None,
    tag: str = DEFAULT_TAG,
    **create_kwargs: Any,
) -> Iterator[InstanceConnection[Sync]]:
    """A running instance for the block, terminated (with what was made for it) on exit.

    It yields a connection, ready for queries; its ``instance_id`` is the instance's id.
    For the instance record itself, use ``fixtures.create_instance`` in a
    :func:`test_context`.

    Args:
        name: Name of the instance, after the fixtures' prefix.
        client: A client to use (default: :func:`connect`, closed on exit).
        tag: First part of the names of the resources.
        **create_kwargs: Passed to :meth:`TestFixtures.create_instance` (``snapshot_id``,
            ``mapping_id``, ``timeout``, ...). Default: a small sample graph.

    Yields:
        An :class:`~graph_olap.InstanceConnection` to the running instance.

    Example:
        >>> from graph_olap.testing import instance_context
        >>> with instance_context("pagerank-check") as conn:
        ...     conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
        1000
    """
    with test_context(client, tag=tag) as (active, fixtures):
        instance = fixtures.create_instance(name=name, **create_kwargs)
        with active.instances.connect(instance.id) as conn:
            yield conn
