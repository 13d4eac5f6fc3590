"""Fixtures for end-to-end tests against a Graph OLAP platform (ADR-074).

Three lines instead of fifty::

    from graph_olap.testing import test_context

    with test_context() as (client, fixtures):
        instance = fixtures.create_instance(name="test-instance")
        # test code - cleanup automatic

* :func:`connect` - a client from the ``GRAPH_OLAP_*`` environment (local platform default).
* :class:`TestFixtures` - ``create_mapping``, ``create_snapshot``, ``create_instance``
  with working defaults, and ``cleanup`` (instances, then snapshots, then mappings; goes on
  past failures and reports them all in one :class:`CleanupError`).
* :func:`test_context` / :func:`instance_context` - the same, cleaned up on exit even
  when the block fails or is interrupted.
* :func:`random_name` - a unique name.
* :func:`purge_leftovers` - remove what an interrupted earlier run left behind. Every
  resource the fixtures create is named ``gotest-<run id>-...``.

For pytest, the plugin :mod:`graph_olap.testing.pytest_plugin` offers the fixtures
``graph_olap_client``, ``graph_olap_fixtures`` and ``graph_olap_instance`` and can start
the local platform for the session (``--graph-olap-local``). See docs/testing.md.
"""

from graph_olap.testing._names import DEFAULT_TAG, random_name
from graph_olap.testing._teardown import CleanupError, CleanupFailure
from graph_olap.testing.contexts import connect, instance_context, test_context
from graph_olap.testing.fixtures import DEFAULT_INSTANCE_TTL, TestFixtures
from graph_olap.testing.purge import PurgeReport, purge_leftovers

__all__ = [
    "DEFAULT_INSTANCE_TTL",
    "DEFAULT_TAG",
    "CleanupError",
    "CleanupFailure",
    "PurgeReport",
    "TestFixtures",
    "connect",
    "instance_context",
    "purge_leftovers",
    "random_name",
    "test_context",
]
