"""The plugin the way a user's E2E suite runs it: a pytest run of a user's test file in a
subprocess, against the session's platform, whose tests fail, raise, pass and are
interrupted after creating resources; checked from outside, nothing is left."""

from __future__ import annotations

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.testing import random_name
from graph_olap_server.runner import ServerThread
from tests.testing.helpers import USER_CONFTEST, assert_all_gone, plain_pytest, read_ids

pytest_plugins = ["pytester"]

USER_TESTS = """
import json
import os

import pytest

# imported into a test module: pytest must not collect these as tests
from graph_olap.testing import TestFixtures, connect, instance_context, test_context


def record(kind, rid):
    assert rid is not None
    with open(os.environ["IDS_FILE"], "a") as out:
        out.write(json.dumps([kind, rid]) + "\\n")


def test_fails_after_creating_an_instance(graph_olap_client, graph_olap_fixtures):
    inst = graph_olap_fixtures.create_instance(name="doomed")
    for kind, rid in [("instance", inst.id), ("snapshot", inst.snapshot_id),
                      ("mapping", inst.mapping_id)]:
        record(kind, rid)
    assert inst.status == "running"
    assert inst.name == graph_olap_fixtures.prefix + "doomed"
    with graph_olap_client.instances.connect(inst.id) as conn:
        assert conn.query_scalar("MATCH (c:Customer) RETURN count(c)") == 1000
    assert False, "fails on purpose after creating an instance"


def test_raises_inside_test_context():
    with test_context() as (client, fixtures):
        snap = fixtures.create_snapshot()
        record("snapshot", snap.id)
        record("mapping", snap.mapping_id)
        assert snap.status == "ready"
        raise RuntimeError("raises on purpose")


def test_instance_context_passes():
    with instance_context("queried") as conn, connect() as client:
        inst = client.instances.get(conn.instance_id)
        for kind, rid in [("instance", inst.id), ("snapshot", inst.snapshot_id),
                          ("mapping", inst.mapping_id)]:
            record(kind, rid)
        assert inst.status == "running" and inst.name.endswith("-queried")
        assert conn.query_scalar("MATCH (:Customer)-[:OWNS]->(a) RETURN count(a)") > 0


def test_interrupted(graph_olap_fixtures):
    record("mapping", graph_olap_fixtures.create_mapping().id)
    with test_context() as (client, fixtures):
        record("mapping", fixtures.create_mapping(edge_definitions=[]).id)
        raise KeyboardInterrupt  # as if Ctrl-C: stops the session


def test_never_reached():
    pass
"""


def test_failing_raising_and_interrupted_tests_leave_nothing(
    pytester: pytest.Pytester, server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = random_name("e2e-user")
    ids_file = pytester.path / "ids.jsonl"
    ids_file.touch()
    monkeypatch.setenv("GRAPH_OLAP_API_URL", server.url)
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", user)
    monkeypatch.setenv("IDS_FILE", str(ids_file))
    plain_pytest(monkeypatch)
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS)

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-W", "error::pytest.PytestCollectionWarning", timeout=90
    )

    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 2, outcomes  # the two failing tests, nothing else
    assert "error" not in outcomes and "errors" not in outcomes, outcomes
    assert outcomes.get("passed") == 1, outcomes  # interrupted before test_never_reached
    result.stdout.fnmatch_lines(["*AssertionError: fails on purpose*"])
    result.stdout.fnmatch_lines(["*RuntimeError: raises on purpose*"])
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])

    ids = read_ids(ids_file)
    assert (len(ids["instance"]), len(ids["snapshot"]), len(ids["mapping"])) == (2, 3, 5)
    with GraphOLAPClient(server.url, username=user, max_retries=1) as outside:
        assert_all_gone(outside, ids)
