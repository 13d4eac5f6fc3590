"""Fixtures shared by every test: the local platform, started once per test session."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from graph_olap import AsyncGraphOLAPClient, Config, GraphOLAPClient
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings
from tests.security.canary import SecretCanary

INTERNAL_KEY = "internal-CANARY-7f3a"

# -- the secret canary: the internal key (and every API key a test registers with the
# ``secret_canary`` fixture) must never appear in a log record, a test report (captured
# output, tracebacks) or a log file of the session platform. A leak fails the run.
SECRET_CANARY = SecretCanary({"the session's internal key": INTERNAL_KEY})
_WATCHED_LOGGERS = {"graph_olap": logging.DEBUG, "graph_olap_server": logging.DEBUG}


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger().addHandler(SECRET_CANARY)
    for name, level in _WATCHED_LOGGERS.items():  # the project's own records, all levels
        logging.getLogger(name).setLevel(level)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, text in report.sections:
        SECRET_CANARY.scan(text, where=f"{name} of {report.nodeid}")
    if report.longrepr is not None:
        SECRET_CANARY.scan(str(report.longrepr), where=f"the failure report of {report.nodeid}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    logging.getLogger().removeHandler(SECRET_CANARY)
    SECRET_CANARY.scan_files()
    try:
        SECRET_CANARY.check()
    except AssertionError as leak:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("")
            reporter.write_sep("=", "secret canary", red=True)
            reporter.write_line(str(leak))


@pytest.fixture(scope="session")
def secret_canary() -> SecretCanary:
    """The session's detector: ``secret_canary.add(key)`` watches a key a test created."""
    return SECRET_CANARY


@pytest.fixture(scope="session")
def platform_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("platform")
    SECRET_CANARY.watch_folder(data_dir)  # wrapper logs are scanned at the end
    return Settings(
        data_dir=data_dir,
        internal_api_key=INTERNAL_KEY,
        job_trigger_min_interval=60.0,
        stop_instances_on_exit=True,  # no wrapper process outlives the test session
    )


@pytest.fixture(scope="session")
def server(platform_settings: Settings) -> Iterator[ServerThread]:
    """The real local platform over a real socket, for the whole test session."""
    with ServerThread(platform_settings) as running:
        yield running


def _client(server: ServerThread, **kwargs: object) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, max_retries=1, **kwargs) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    """An analyst, alice."""
    yield from _client(server, username="alice")


@pytest.fixture
def bob(server: ServerThread) -> Iterator[GraphOLAPClient]:
    """Another analyst."""
    yield from _client(server, username="bob")


@pytest.fixture
def ops_client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    yield from _client(server, username="ops")


@pytest.fixture
def admin_client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    yield from _client(server, username="admin")


@pytest.fixture
def anonymous(server: ServerThread) -> Iterator[GraphOLAPClient]:
    """No credential at all: a hand-built Config (the clients' arguments would fill in
    the OS login name; see docs/configuration.md)."""
    with GraphOLAPClient(config=Config(api_url=server.url, max_retries=1)) as client:
        yield client


@pytest.fixture
async def async_client(server: ServerThread) -> AsyncGraphOLAPClient:
    client = AsyncGraphOLAPClient(server.url, username="alice", max_retries=1)
    yield client  # type: ignore[misc]
    await client.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
