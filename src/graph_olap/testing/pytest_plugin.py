"""pytest plugin: Graph OLAP fixtures that clean up, and an optional local platform.

Enable it in your top-level ``conftest.py``::

    pytest_plugins = ["graph_olap.testing.pytest_plugin"]

(or run ``pytest -p graph_olap.testing.pytest_plugin``). It is not loaded automatically.

Fixtures:

``graph_olap_api_url`` (session)
    URL of the platform the tests use: ``GRAPH_OLAP_API_URL`` (or the local default
    ``http://localhost:8000``), checked once to answer; or, with ``--graph-olap-local`` /
    ini ``graph_olap_local = true``, a local platform started for the session in a
    temporary folder (needs ``pip install 'graph-olap[server]'``) and stopped at the
    end. While it runs, ``GRAPH_OLAP_API_URL`` points at it (so ``test_context()`` finds
    it) and ``GRAPH_OLAP_USERNAME`` defaults to ``e2e-test-user``.
``graph_olap_client``
    A :class:`~graph_olap.GraphOLAPClient` for that platform, configured from the
    environment; closed after the test.
``graph_olap_fixtures``
    :class:`~graph_olap.testing.TestFixtures` on that client; everything it created is
    removed after the test, whether it passed, failed, raised or was interrupted.
``graph_olap_instance``
    A running instance of the default sample graph (named after the test), terminated
    after it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from graph_olap.client import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.exceptions import GraphOLAPError
from graph_olap.models.instance import Instance
from graph_olap.testing.fixtures import TestFixtures

if TYPE_CHECKING:
    from graph_olap_server.runner import ServerThread

__all__ = [
    "graph_olap_api_url",
    "graph_olap_client",
    "graph_olap_fixtures",
    "graph_olap_instance",
]

LOCAL_USERNAME = "e2e-test-user"
_CREDENTIALS = ("GRAPH_OLAP_API_KEY", "GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_USERNAME")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("graph-olap", "Graph OLAP platform")
    group.addoption(
        "--graph-olap-local",
        action="store_true",
        default=None,
        help="start a local Graph OLAP platform for the test session (temporary data) "
        "instead of using GRAPH_OLAP_API_URL",
    )
    parser.addini(
        "graph_olap_local",
        type="bool",
        default=False,
        help="start a local Graph OLAP platform for the test session",
    )


def _wants_local(config: pytest.Config) -> bool:
    option = config.getoption("graph_olap_local")
    return bool(option) if option is not None else bool(config.getini("graph_olap_local"))


def _start_local(tmp_path_factory: pytest.TempPathFactory) -> ServerThread:
    try:
        from graph_olap_server.runner import ServerThread
        from graph_olap_server.settings import Settings
    except ImportError as err:
        missing = str(err)
    else:
        missing = ""
    if missing:  # failed outside the except block: no "during handling" chain
        pytest.fail(
            "--graph-olap-local starts the local Graph OLAP platform, but it cannot be "
            f"imported ({missing}). Install it with: pip install 'graph-olap[server]'. Or "
            "run the tests against a running platform: set GRAPH_OLAP_API_URL and drop "
            "--graph-olap-local (and graph_olap_local in the ini file).",
            pytrace=False,
        )
    settings = Settings.from_env(
        data_dir=tmp_path_factory.mktemp("graph-olap-platform"), stop_instances_on_exit=True
    )
    return ServerThread(settings).start()


def _check_reachable(url: str) -> None:
    try:
        with GraphOLAPClient.from_env(api_url=url, max_retries=0, timeout=10) as client:
            client.health.check()
    except GraphOLAPError as err:
        problem = str(err)
    else:
        return
    where = "GRAPH_OLAP_API_URL" if os.environ.get("GRAPH_OLAP_API_URL") else "the default"
    pytest.fail(
        f"No Graph OLAP platform answers at {url} ({where}): {problem} Start one "
        "(graph-olap server), point GRAPH_OLAP_API_URL at yours, or run pytest with "
        "--graph-olap-local to start one for the session.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def graph_olap_api_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of the platform under test (a local one started here with --graph-olap-local)."""
    if not _wants_local(request.config):
        url = Config.from_env().api_url
        _check_reachable(url)
        yield url
        return
    server = _start_local(tmp_path_factory)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GRAPH_OLAP_API_URL", server.url)
        env.delenv("GRAPH_OLAP_IN_CLUSTER_MODE", raising=False)
        if not any(os.environ.get(name) for name in _CREDENTIALS):
            env.setenv("GRAPH_OLAP_USERNAME", LOCAL_USERNAME)
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture
def graph_olap_client(graph_olap_api_url: str) -> Iterator[GraphOLAPClient]:
    """A client for the platform under test, from the ``GRAPH_OLAP_*`` environment."""
    with GraphOLAPClient.from_env(api_url=graph_olap_api_url) as client:
        yield client


@pytest.fixture
def graph_olap_fixtures(graph_olap_client: GraphOLAPClient) -> Iterator[TestFixtures]:
    """Fixtures whose resources are removed after the test, however it ended."""
    fixtures = TestFixtures(graph_olap_client)
    yield fixtures
    fixtures.cleanup()  # a CleanupError shows as an error in the test's teardown


@pytest.fixture
def graph_olap_instance(
    graph_olap_fixtures: TestFixtures, request: pytest.FixtureRequest
) -> Instance:
    """A running instance of the sample graph (``Customer -[:OWNS]-> Account``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")[:100] or "instance"
    return graph_olap_fixtures.create_instance(name=name)
