"""Names, and that importing the testing helpers into a test module adds no tests."""

from __future__ import annotations

import re

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.testing import TestFixtures, random_name, test_context
from graph_olap.testing._names import run_prefix

pytest_plugins = ["pytester"]


def test_random_names_are_prefixed_and_unique() -> None:
    names = {random_name() for _ in range(200)}
    assert len(names) == 200
    assert all(re.fullmatch(r"test-[0-9a-f]{8}", n) for n in names)
    assert re.fullmatch(r"orders-[0-9a-f]{8}", random_name("orders"))


@pytest.mark.parametrize("tag", ["", "go-test", "go test", "go_test"])
def test_a_tag_that_would_make_prefixes_ambiguous_is_refused(tag: str) -> None:
    with pytest.raises(ValueError, match="tag must be letters, digits and dots"):
        run_prefix(tag, "3fa2c1d0")


def test_names_the_pytest_collector_must_skip_say_so() -> None:
    assert TestFixtures.__test__ is False
    assert test_context.__test__ is False  # type: ignore[attr-defined]


def test_a_user_module_importing_the_helpers_collects_only_its_own_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_user="""
        from graph_olap.testing import TestFixtures, instance_context, test_context
        from graph_olap.testing import *

        def test_mine():
            pass
        """
    )
    result = pytester.runpytest("--collect-only", "-q", "-W", "error")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    tests = [line for line in result.outlines if "::" in line]
    assert tests == ["test_user.py::test_mine"]


def test_fixture_names_carry_the_run_prefix_once() -> None:
    client = GraphOLAPClient("http://127.0.0.1:9", username="nobody")  # never called
    fixtures = TestFixtures(client, run_id="3fa2c1d0")
    assert fixtures.prefix == "gotest-3fa2c1d0-"
    assert fixtures.name("orders") == "gotest-3fa2c1d0-orders"
    assert fixtures.name(fixtures.name("orders")) == "gotest-3fa2c1d0-orders"
    assert re.fullmatch(r"gotest-3fa2c1d0-mapping-[0-9a-f]{8}", fixtures.name(kind="mapping"))
    assert TestFixtures(client).prefix != TestFixtures(client).prefix
    client.close()
