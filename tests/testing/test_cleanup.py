"""``test_context`` and ``TestFixtures.cleanup`` against the session's platform: cleanup on
interrupt, going on past a failure and reporting it, never hiding the test's own error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_olap import DependencyError, GraphOLAPClient, NotFoundError
from graph_olap.testing import CleanupError, TestFixtures, random_name, test_context
from graph_olap_server.runner import ServerThread
from tests.testing.helpers import assert_owns_nothing


@pytest.fixture
def tester(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> Iterator[GraphOLAPClient]:
    """A client of a user of its own, also set in the environment ``connect()`` reads."""
    user = random_name("tester")
    monkeypatch.setenv("GRAPH_OLAP_API_URL", server.url)
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", user)
    with GraphOLAPClient(server.url, username=user, max_retries=1) as client:
        yield client


def test_keyboard_interrupt_inside_test_context_cleans_up_then_propagates(
    tester: GraphOLAPClient,
) -> None:
    seen: dict[str, int] = {}
    with pytest.raises(KeyboardInterrupt), test_context() as (client, fixtures):
        assert client.config.username == tester.config.username  # from the environment
        snapshot = fixtures.create_snapshot(name="interrupted")
        seen = {"snapshot": snapshot.id, "mapping": snapshot.mapping_id}
        assert snapshot.status == "ready"
        assert snapshot.name == fixtures.prefix + "interrupted"
        raise KeyboardInterrupt

    with pytest.raises(NotFoundError):
        tester.snapshots.get(seen["snapshot"])
    with pytest.raises(NotFoundError):
        tester.mappings.get(seen["mapping"])
    assert_owns_nothing(tester)


def test_cleanup_goes_on_past_a_failure_and_reports_it(tester: GraphOLAPClient) -> None:
    fixtures = TestFixtures(tester)
    older = fixtures.create_mapping(name="older")
    newer = fixtures.create_mapping(name="newer", edge_definitions=[])
    # a snapshot the fixtures do not know (no prefix) keeps `newer` from being deleted;
    # `newer` is removed first, so `older` is only removed if cleanup goes on
    blocker = tester.snapshots.create(newer.id, "not-made-by-the-fixtures")

    with pytest.raises(CleanupError) as info:
        fixtures.cleanup()

    [failure] = info.value.failures
    assert (failure.kind, failure.id, failure.name) == ("mapping", newer.id, newer.name)
    assert isinstance(failure.error, DependencyError)
    assert f"mapping {newer.id} ({newer.name}): DependencyError" in str(info.value)
    assert fixtures.prefix in str(info.value)  # how to purge it later
    with pytest.raises(NotFoundError):
        tester.mappings.get(older.id)
    assert fixtures.mapping_ids == (newer.id,)

    tester.snapshots.delete(blocker.id)
    fixtures.cleanup()  # retries what is left, and now succeeds
    assert fixtures.mapping_ids == ()
    assert_owns_nothing(tester)


def test_a_failing_cleanup_does_not_hide_the_tests_own_error(tester: GraphOLAPClient) -> None:
    blockers = []
    own_error = pytest.raises(ValueError, match="the test's own error")
    with own_error as info, test_context(tester) as (client, fixtures):
        mapping = fixtures.create_mapping()
        blockers.append(client.snapshots.create(mapping.id, "blocker"))
        raise ValueError("the test's own error")

    notes = "".join(getattr(info.value, "__notes__", []))
    assert "cleanup also failed" in notes and f"mapping {mapping.id}" in notes
    tester.snapshots.delete(blockers[0].id)
    tester.mappings.delete(mapping.id)
    assert_owns_nothing(tester)


def test_cleanup_accepts_resources_already_removed_and_finds_unrecorded_ones(
    tester: GraphOLAPClient,
) -> None:
    with test_context(tester) as (client, fixtures):
        removed = fixtures.create_mapping(name="removed-by-the-test", edge_definitions=[])
        client.mappings.delete(removed.id)
        # created without the fixtures (say, its answer was lost), but with their prefix
        stray = client.mappings.create(
            fixtures.name("stray"),
            "made directly",
            node_definitions=removed.node_definitions,
            edge_definitions=[],
        )
    with pytest.raises(NotFoundError):
        tester.mappings.get(stray.id)
    assert_owns_nothing(tester)


def test_test_context_raises_cleanup_error_when_the_block_succeeded(
    tester: GraphOLAPClient,
) -> None:
    blockers = []
    with pytest.raises(CleanupError, match="1 test resource"), test_context(tester) as (c, f):
        mapping = f.create_mapping(edge_definitions=[])
        blockers.append(c.snapshots.create(mapping.id, "blocker"))
    tester.snapshots.delete(blockers[0].id)
    tester.mappings.delete(mapping.id)
    assert_owns_nothing(tester)


def test_removed_ids_are_never_reused(tester: GraphOLAPClient) -> None:
    """Fixtures remove resources by the ids they recorded: were a deleted mapping's id
    given to a newer mapping, a later cleanup (or retry) would delete the wrong one."""
    with test_context(tester) as (client, fixtures):
        first = fixtures.create_mapping(edge_definitions=[])
        client.mappings.delete(first.id)  # the newest row: its id would come next again
        second = fixtures.create_mapping(edge_definitions=[])
        assert second.id > first.id
        snapshot = fixtures.create_snapshot(mapping_id=second.id, wait=False)
        client.snapshots.delete(snapshot.id)
        assert fixtures.create_snapshot(mapping_id=second.id, wait=False).id > snapshot.id
    assert_owns_nothing(tester)
