"""Zero-config identity against the real platform: a client given no credential acts as
the user's OS login name (or JupyterHub user); a platform that requires keys refuses it
with a message that says what to do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_olap import AuthenticationError, GraphOLAPClient
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings
from tests.e2e.defs import CUSTOMER

IDENTITY_VARS = ("GRAPH_OLAP_USERNAME", "JUPYTERHUB_USER", "GRAPH_OLAP_API_KEY")


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The machine's login name, made unique so what it creates is told apart."""
    name = f"login-{uuid.uuid4().hex[:8]}"
    for variable in IDENTITY_VARS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: name)
    yield name


def test_no_credential_means_the_os_login_owns_what_it_creates(
    server: ServerThread, login: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GraphOLAPClient(server.url, max_retries=1) as client:
        mapping = client.mappings.create(
            f"mine-{login}", "x", node_definitions=[CUSTOMER], edge_definitions=[]
        )
        assert mapping.owner_username == login
        assert [m.id for m in client.mappings.list(owner=login).iter_all()] == [mapping.id]
    monkeypatch.setenv("JUPYTERHUB_USER", f"hub-{login}")
    with GraphOLAPClient.from_env(api_url=server.url, max_retries=1) as hub:
        assert hub.mappings.copy(mapping.id, f"copy-{login}").owner_username == f"hub-{login}"


def test_a_platform_that_requires_keys_refuses_the_login_name_clearly(
    tmp_path: Path, login: str
) -> None:
    settings = Settings(data_dir=tmp_path, dev_mode=False, run_scheduler=False)
    with ServerThread(settings) as keys_only, GraphOLAPClient(keys_only.url) as client:
        assert client.config.username == login  # sent, and refused: it is no credential
        with pytest.raises(AuthenticationError) as refused:
            client.mappings.list()
    err = refused.value
    assert err.status_code == 401 and "use an API key" in err.message
    assert err.hint is not None and "api_key=" in err.hint and "GRAPH_OLAP_API_KEY" in err.hint


def test_with_no_login_name_the_platform_says_how_to_name_yourself(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in IDENTITY_VARS:
        monkeypatch.delenv(variable, raising=False)

    def no_login() -> str:
        raise OSError("No username set in the environment")  # a container without one

    monkeypatch.setattr("getpass.getuser", no_login)
    with GraphOLAPClient(server.url, max_retries=1) as client:
        assert client.config.username is None
        with pytest.raises(AuthenticationError, match=r"pass username='you'.*GRAPH_OLAP_USERNAME"):
            client.mappings.list()
