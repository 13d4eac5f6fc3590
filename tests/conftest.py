"""Fixtures shared by every test: the local platform, started once per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

INTERNAL_KEY = "internal-CANARY-7f3a"


@pytest.fixture(scope="session")
def platform_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("platform"),
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
    yield from _client(server)


@pytest.fixture
async def async_client(server: ServerThread) -> AsyncGraphOLAPClient:
    client = AsyncGraphOLAPClient(server.url, username="alice", max_retries=1)
    yield client  # type: ignore[misc]
    await client.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
