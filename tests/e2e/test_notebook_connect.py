"""``graph_olap.notebook``: the three ways a notebook finds the platform, and the current client.

The URL case talks to the real local platform; the in-cluster and local defaults are
checked on the client's configuration (no cluster here; ``start_platform=False`` keeps
connect() from probing or starting anything at port 8000). Starting the local platform
for real is tests/notebooks/test_connect_kernel.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph_olap import GraphOLAPClient, notebook
from graph_olap.display.interactive import enable_itables
from graph_olap_server.runner import ServerThread

ENV = (
    "GRAPH_OLAP_API_URL",
    "GRAPH_OLAP_API_KEY",
    "GRAPH_OLAP_INTERNAL_API_KEY",
    "GRAPH_OLAP_USERNAME",
    "GRAPH_OLAP_IN_CLUSTER_MODE",
    "GRAPH_OLAP_NAMESPACE",
    "GRAPH_OLAP_PORT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    yield
    client = notebook.get_client()
    if client is not None:
        client.close()
    notebook._current_client = None  # not monkeypatch: its undo would restore the client
    enable_itables(enabled=False)  # connect() turned interactive tables on for the process


def test_the_url_from_the_environment_reaches_the_platform(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPH_OLAP_API_URL", server.url)
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", "nina")
    client = notebook.connect()
    assert isinstance(client, GraphOLAPClient)
    assert notebook.get_client() is client
    assert client.config.api_url == server.url and client.config.username == "nina"
    assert client.health.check().status in {"healthy", "ok"}
    assert client.mappings.list().total >= 0


def test_in_cluster_mode_uses_the_service_dns_of_the_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPH_OLAP_IN_CLUSTER_MODE", "true")
    monkeypatch.setenv("GRAPH_OLAP_NAMESPACE", "analytics")
    client = notebook.connect()
    assert client.config.api_url == "http://control-plane.analytics.svc:8000"
    assert client.config.in_cluster_mode is True


def test_nothing_set_means_the_local_platform_and_arguments_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert notebook.get_client() is None
    assert notebook.connect(start_platform=False).config.api_url == "http://localhost:8000"
    monkeypatch.setenv("GRAPH_OLAP_API_URL", "http://elsewhere:9000")
    client = notebook.init(api_url="http://localhost:8123", username="olga")
    assert (client.config.api_url, client.config.username) == ("http://localhost:8123", "olga")


def test_connecting_again_closes_the_client_it_replaces(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPH_OLAP_API_URL", server.url)
    first = notebook.connect(username="nina")
    first.mappings.list()
    second = notebook.connect(username="nina")
    assert notebook.get_client() is second
    with pytest.raises(Exception, match="closed"):
        first.mappings.list()
    assert second.mappings.list().total >= 0
