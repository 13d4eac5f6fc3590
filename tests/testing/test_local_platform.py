"""The plugin's own platform: ``--graph-olap-local`` starts one for the session; without
the server package, or with no platform answering, the error says what to do."""

from __future__ import annotations

import pytest

from graph_olap_server.runner import ServerThread, free_port
from tests.testing.helpers import USER_CONFTEST, plain_pytest

pytest_plugins = ["pytester"]

LOCAL_TEST = """
import os


def test_on_a_platform_of_its_own(graph_olap_api_url, graph_olap_client, graph_olap_instance):
    assert graph_olap_api_url != os.environ["OUTER_PLATFORM"]
    assert os.environ["GRAPH_OLAP_API_URL"] == graph_olap_api_url  # test_context() finds it
    assert graph_olap_client.config.username == "e2e-test-user"
    assert graph_olap_instance.status == "running"
    assert graph_olap_instance.name.endswith("-test_on_a_platform_of_its_own")
    with graph_olap_client.instances.connect(graph_olap_instance.id) as conn:
        assert conn.query_scalar("MATCH (:Customer)-[:OWNS]->(a:Account) RETURN count(a)") > 0
"""

USES_PLATFORM = """
def test_needs_a_platform(graph_olap_client):
    pass
"""


def test_graph_olap_local_starts_and_stops_a_platform_for_the_session(
    pytester: pytest.Pytester, server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GRAPH_OLAP_API_URL", "GRAPH_OLAP_USERNAME", "GRAPH_OLAP_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTER_PLATFORM", server.url)
    plain_pytest(monkeypatch)
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_local=LOCAL_TEST)

    result = pytester.runpytest_subprocess(
        "--graph-olap-local", "-p", "no:cacheprovider", timeout=90
    )

    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=1)


def test_without_the_server_package_graph_olap_local_says_how_to_install_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_pytest(monkeypatch)
    pytester.makeconftest(
        "import sys\n"
        "sys.modules['graph_olap_server'] = None  # as if only the SDK were installed\n"
        + USER_CONFTEST
    )
    pytester.makepyfile(test_user=USES_PLATFORM)

    result = pytester.runpytest_subprocess("--graph-olap-local", "-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot be imported*pip install 'graph-olap[[]server[]]'*"])
    assert "During handling" not in result.stdout.str()


def test_with_no_platform_answering_the_error_says_what_to_do(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("GRAPH_OLAP_API_URL", url)
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_user=USES_PLATFORM)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*No Graph OLAP platform answers at {url}*--graph-olap-local*"])
