"""Zero-config identity: who the SDK says the user is when no credential is given.

The OS login name is the machine's; tests replace ``getpass.getuser`` (a fault or a
name of their choosing) instead of depending on who runs the suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from graph_olap import AsyncGraphOLAPClient, Config, GraphOLAPClient, notebook
from graph_olap._identity import Identity, resolve_identity
from graph_olap.config import local_api_url

IDENTITY_VARS = ("GRAPH_OLAP_USERNAME", "JUPYTERHUB_USER", "GRAPH_OLAP_API_KEY", "GRAPH_OLAP_PORT")


@pytest.fixture(autouse=True)
def os_login(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in IDENTITY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")
    yield


def _no_login() -> str:
    raise OSError("No username set in the environment")  # what getpass raises in containers


@pytest.mark.parametrize(
    ("username", "has_key", "environ", "expected"),
    [
        pytest.param("bob", False, {"GRAPH_OLAP_USERNAME": "env"}, ("bob", "argument"), id="arg"),
        pytest.param(
            None,
            False,
            {"GRAPH_OLAP_USERNAME": "env", "JUPYTERHUB_USER": "hub"},
            ("env", "GRAPH_OLAP_USERNAME"),
            id="env-beats-hub",
        ),
        pytest.param(None, False, {"JUPYTERHUB_USER": "hub"}, ("hub", "JUPYTERHUB_USER"), id="hub"),
        pytest.param(None, False, {}, ("os-user", "OS login"), id="os-login"),
        pytest.param(
            None, False, {"GRAPH_OLAP_USERNAME": "  "}, ("os-user", "OS login"), id="blank-env"
        ),
        # a key is the credential: only an explicit name goes with it
        pytest.param(None, True, {"JUPYTERHUB_USER": "hub"}, (None, None), id="key-no-hub"),
        pytest.param(None, True, {}, (None, None), id="key-no-login"),
        pytest.param(
            None, True, {"GRAPH_OLAP_USERNAME": "svc"}, ("svc", "GRAPH_OLAP_USERNAME"), id="key+env"
        ),
    ],
)
def test_the_name_comes_from_the_first_source_that_has_one(username, has_key, environ, expected):
    who = resolve_identity(username, has_key=has_key, environ=environ)
    assert (who.username, who.source) == expected


@pytest.mark.parametrize(
    ("login", "expected"),
    [
        ("John Smith", "John_Smith"),
        ("CORP\\j.doe", "CORP_j.doe"),
        ("_svc", "svc"),
        ("   ", None),
        ("ééé", None),
    ],
)
def test_an_os_login_is_made_a_valid_platform_username(login, expected):
    who = resolve_identity(None, has_key=False, environ={}, getuser=lambda: login)
    assert who.username == expected
    assert who.source == ("OS login" if expected else None)


def test_a_jupyterhub_user_is_made_a_valid_platform_username_too():
    who = resolve_identity(None, has_key=False, environ={"JUPYTERHUB_USER": "Ada Lovelace"})
    assert (who.username, who.source) == ("Ada_Lovelace", "JUPYTERHUB_USER")


def test_no_os_login_means_no_name_and_the_card_says_what_to_do():
    who = resolve_identity(None, has_key=False, environ={}, getuser=_no_login)
    assert who == Identity()
    config = Config(api_url="http://olap.test")  # a hand-built Config reads no environment
    html = GraphOLAPClient(config=config)._repr_html_()
    assert "anonymous: most calls will be refused" in html
    assert "GRAPH_OLAP_USERNAME" in html and "api_key=" in html


def test_the_clients_say_where_the_name_came_from(monkeypatch: pytest.MonkeyPatch):
    with GraphOLAPClient() as client:
        assert (client.config.username, client.config.username_source) == ("os-user", "OS login")
        assert repr(client) == "<GraphOLAPClient http://localhost:8000 as os-user (OS login)>"
        html = client._repr_html_()
        assert "os-user" in html and "OS login; set GRAPH_OLAP_USERNAME to change" in html
    assert AsyncGraphOLAPClient().config.username_source == "OS login"
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")
    client = GraphOLAPClient.from_env()
    assert (client.config.username, client.config.username_source) == (
        "hub-user",
        "JUPYTERHUB_USER",
    )
    assert "JUPYTERHUB_USER; set GRAPH_OLAP_USERNAME to change" in client._repr_html_()
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", "nina")
    assert GraphOLAPClient().config.identity.describe() == "nina (GRAPH_OLAP_USERNAME)"
    named = GraphOLAPClient(username="olga")
    assert (named.config.username_source, repr(named).endswith("as olga>")) == ("argument", True)
    assert GraphOLAPClient(api_key="k").config.username is None  # a key: only the argument
    assert GraphOLAPClient.from_env(api_key="k").config.username == "nina"  # as before
    monkeypatch.delenv("GRAPH_OLAP_USERNAME")
    assert GraphOLAPClient.from_env(api_key="k").config.username is None
    assert notebook.connect(api_url="http://olap.test").config.username == "hub-user"
    notebook.get_client().close()  # type: ignore[union-attr]
    notebook._current_client = None


def test_the_name_goes_on_the_wire_and_a_hand_built_config_is_anonymous():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "healthy"})

    transport = httpx.MockTransport(answer)
    with GraphOLAPClient("http://olap.test", transport=transport) as client:
        client.health.check()
    with GraphOLAPClient(config=Config(api_url="http://olap.test"), transport=transport) as anon:
        anon.health.check()
    assert [r.headers.get("x-username") for r in seen] == ["os-user", None]


def test_the_local_platform_port_comes_from_graph_olap_port():
    assert local_api_url({}) == "http://localhost:8000"
    assert local_api_url({"GRAPH_OLAP_PORT": "8123"}) == "http://localhost:8123"
    assert Config.from_env(environ={"GRAPH_OLAP_PORT": "8123"}).api_url == "http://localhost:8123"
    env = {"GRAPH_OLAP_PORT": "8123", "GRAPH_OLAP_API_URL": "http://olap.test"}
    assert Config.from_env(environ=env).api_url == "http://olap.test"  # a URL wins
    with pytest.raises(ValueError, match=r"GRAPH_OLAP_PORT must be a port number.*'eighty'"):
        local_api_url({"GRAPH_OLAP_PORT": "eighty"})
