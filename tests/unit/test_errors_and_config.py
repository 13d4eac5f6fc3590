"""Credentials, secrets, configuration, pagination and client-side validation.

Tests that talk to a "server" use the MockTransport harness of ``conftest.py`` and run
for the sync and the async client; configuration tests pass ``environ=`` dicts and never
touch ``os.environ`` (except the one ``from_env`` test that uses ``monkeypatch``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import graph_olap
from graph_olap import (
    AsyncGraphOLAPClient,
    AuthenticationError,
    Config,
    GraphOLAPClient,
    GraphOLAPError,
    ServerError,
    ValidationError,
)

CANARY_KEY = "sk-CANARY-123"
CANARY_INTERNAL = "internal-CANARY-456"
CANARIES = (CANARY_KEY, CANARY_INTERNAL)

MAPPING = {"id": 1, "name": "customers", "owner_username": "alice", "current_version": 1}
NODE = {
    "label": "Customer",
    "sql": "SELECT customer_id FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [],
}
ENV_VARS = [
    "GRAPH_OLAP_API_URL",
    "GRAPH_OLAP_API_KEY",
    "GRAPH_OLAP_INTERNAL_API_KEY",
    "GRAPH_OLAP_USERNAME",
    "GRAPH_OLAP_IN_CLUSTER_MODE",
    "GRAPH_OLAP_NAMESPACE",
    "GRAPH_OLAP_TIMEOUT",
    "GRAPH_OLAP_MAX_RETRIES",
]


def ok() -> httpx.Response:
    return httpx.Response(200, json={"data": MAPPING})


def get_mapping(client: Any) -> Any:
    return client.mappings.get(1)


def create_with(*nodes: Any, edges: Any = ()) -> Any:
    def call(client: Any) -> Any:
        return client.mappings.create(
            "customers", "Customers", node_definitions=list(nodes), edge_definitions=list(edges)
        )

    return call


async def expect(harness: Any, fn: Any, error_type: type[BaseException]) -> Any:
    with pytest.raises(error_type) as info:
        await harness.call(fn)
    return info.value


# --------------------------------------------------------------------------------------
# Credentials on the wire


AUTH_CASES = [
    pytest.param(
        {"internal_api_key": "ik", "api_key": "ak", "username": "alice"},
        {"x-internal-api-key": "ik", "x-username": "alice"},
        id="internal-beats-api-key-and-keeps-username",
    ),
    pytest.param(
        {"internal_api_key": "ik", "api_key": "ak", "username": None},
        {"x-internal-api-key": "ik"},
        id="internal-beats-api-key",
    ),
    pytest.param(
        {"api_key": "ak", "username": "alice"},
        {"authorization": "Bearer ak"},
        id="api-key-beats-username",
    ),
    pytest.param({"username": "alice"}, {"x-username": "alice"}, id="username-only"),
    # no credential: the user's name from the environment (JUPYTERHUB_USER, set below);
    # an anonymous client is a hand-built Config (tests/unit/test_identity.py)
    pytest.param({"username": None}, {"x-username": "hub-user"}, id="no-credential-hub-user"),
]
AUTH_HEADERS = ("x-internal-api-key", "authorization", "x-username")


@pytest.mark.anyio
@pytest.mark.parametrize(("credentials", "expected"), AUTH_CASES)
async def test_auth_headers_follow_the_priority_order(make, credentials, expected, monkeypatch):
    monkeypatch.delenv("GRAPH_OLAP_USERNAME", raising=False)
    monkeypatch.setenv("JUPYTERHUB_USER", "hub-user")  # sent only when no key is given
    harness = make([httpx.ConnectError("reset"), ok()], **credentials)

    await harness.call(get_mapping)

    assert harness.attempts == 2
    for request in harness.requests:  # the retry carries the same credentials
        sent = {name: request.headers[name] for name in AUTH_HEADERS if name in request.headers}
        assert sent == expected


@pytest.mark.anyio
async def test_user_agent_and_accept_headers(make):
    harness = make([ok()])

    await harness.call(get_mapping)

    [request] = harness.requests
    assert request.headers["user-agent"].startswith("graph-olap-python/")
    assert request.headers["user-agent"] == f"graph-olap-python/{graph_olap.__version__}"
    assert request.headers["accept"] == "application/json"


# --------------------------------------------------------------------------------------
# Secrets never leak


def assert_no_secret(*texts: object) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in str(text)


def test_config_repr_and_str_mask_secrets():
    config = Config(api_key=CANARY_KEY, internal_api_key=CANARY_INTERNAL, username="alice")

    assert_no_secret(repr(config), str(config), f"{config}", f"{config!r}")
    assert "api_key='***'" in repr(config)
    assert "internal_api_key='***'" in repr(config)
    assert "username='alice'" in repr(config)


def test_config_repr_shows_the_result_limits():
    config = Config(max_result_rows=5_000, max_result_bytes=0)  # 0: no limit
    assert "max_result_rows=5000, max_result_bytes=None" in repr(config)


@pytest.mark.parametrize(
    "url",
    [
        f"https://alice:{CANARY_KEY}@olap.example.com",
        f"http://{CANARY_KEY}@localhost:8000/api",
        f"ftp://alice:{CANARY_KEY}@olap.example.com",
    ],
)
def test_a_password_in_the_url_is_refused_without_echoing_it(url, monkeypatch):
    with pytest.raises(ValueError, match="must not carry a user name or password") as info:
        Config(api_url=url)
    assert_no_secret(str(info.value), repr(info.value))

    monkeypatch.setenv("GRAPH_OLAP_API_URL", url)
    with pytest.raises(ValueError, match=r"Pass the credential as api_key=\.\.\.") as info:
        GraphOLAPClient.from_env()
    assert_no_secret(str(info.value))


@pytest.mark.anyio
@pytest.mark.parametrize(
    "credentials",
    [
        {"api_key": CANARY_KEY, "username": None},
        {"internal_api_key": CANARY_INTERNAL, "username": None},
        {"api_key": CANARY_KEY, "internal_api_key": CANARY_INTERNAL, "username": "alice"},
    ],
    ids=["api-key", "internal-key", "both"],
)
async def test_client_repr_hides_secrets(make, mode, credentials):
    client = make([ok()], **credentials).client

    assert isinstance(client, GraphOLAPClient if mode == "sync" else AsyncGraphOLAPClient)
    assert_no_secret(repr(client), repr(client.config), str(client.config), repr(client.mappings))
    assert "http://olap.test" in repr(client)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("steps", "call", "error_type"),
    [
        pytest.param(
            [httpx.Response(401, json={"error": {"code": "UNAUTHORIZED", "message": "bad"}})],
            get_mapping,
            AuthenticationError,
            id="401",
        ),
        pytest.param(
            [httpx.ConnectError("refused")], get_mapping, graph_olap.ConnectionError, id="conn"
        ),
        pytest.param(
            [httpx.ReadTimeout("slow")], create_with(NODE), graph_olap.TimeoutError, id="timeout"
        ),
        pytest.param([httpx.Response(503, text="down")], get_mapping, ServerError, id="503"),
        pytest.param([httpx.Response(200, text="<html>")], get_mapping, ServerError, id="bad"),
        pytest.param([ok()], lambda c: c.mappings.get(0), ValidationError, id="bad-id"),
        pytest.param([ok()], create_with({**NODE, "lable": "x"}), ValidationError, id="field"),
    ],
)
async def test_errors_never_contain_secrets(make, steps, call, error_type):
    harness = make(steps, api_key=CANARY_KEY, internal_api_key=CANARY_INTERNAL)

    err = await expect(harness, call, error_type)

    assert_no_secret(str(err), repr(err), err.message, err.details, err.args)
    # the canary is live: it was really sent wherever a request went out
    for request in harness.requests:
        assert request.headers["x-internal-api-key"] == CANARY_INTERNAL


# --------------------------------------------------------------------------------------
# Config.from_env


def test_from_env_defaults_with_nothing_set(monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")  # the machine's login name
    config = Config.from_env(environ={})

    assert config == Config(
        api_url="http://localhost:8000",
        api_key=None,
        internal_api_key=None,
        username="os-user",
        timeout=30.0,
        max_retries=3,
        in_cluster_mode=False,
        namespace="graph-olap-local",
        username_source="OS login",
    )


def test_from_env_reads_every_variable():
    config = Config.from_env(
        environ={
            "GRAPH_OLAP_API_URL": "https://olap.example.com/",
            "GRAPH_OLAP_API_KEY": "ak",
            "GRAPH_OLAP_INTERNAL_API_KEY": "ik",
            "GRAPH_OLAP_USERNAME": "alice",
            "GRAPH_OLAP_NAMESPACE": "analytics",
            "GRAPH_OLAP_TIMEOUT": "12.5",
            "GRAPH_OLAP_MAX_RETRIES": "5",
        }
    )

    assert config.api_url == "https://olap.example.com"  # trailing slash dropped
    assert config.api_key == "ak"
    assert config.internal_api_key == "ik"
    assert config.username == "alice"
    assert config.namespace == "analytics"
    assert config.timeout == 12.5
    assert config.max_retries == 5
    assert config.in_cluster_mode is False


@pytest.mark.parametrize("flag", ["true", "TRUE", " True ", "1", "yes", "on"])
def test_in_cluster_mode_uses_the_service_dns_of_the_namespace(flag):
    config = Config.from_env(
        environ={"GRAPH_OLAP_IN_CLUSTER_MODE": flag, "GRAPH_OLAP_NAMESPACE": "analytics"}
    )

    assert config.in_cluster_mode is True
    assert config.api_url == "http://control-plane.analytics.svc:8000"


def test_in_cluster_mode_defaults_the_namespace():
    config = Config.from_env(environ={"GRAPH_OLAP_IN_CLUSTER_MODE": "true"})

    assert config.api_url == "http://control-plane.graph-olap-local.svc:8000"


@pytest.mark.parametrize("flag", ["false", "0", "no", "", "off"])
def test_in_cluster_mode_off(flag):
    config = Config.from_env(
        environ={"GRAPH_OLAP_IN_CLUSTER_MODE": flag, "GRAPH_OLAP_NAMESPACE": "analytics"}
    )

    assert config.in_cluster_mode is False
    assert config.api_url == "http://localhost:8000"


def test_explicit_api_url_beats_in_cluster_mode():
    config = Config.from_env(
        environ={"GRAPH_OLAP_IN_CLUSTER_MODE": "true", "GRAPH_OLAP_API_URL": "http://cp:9000"}
    )

    assert config.in_cluster_mode is True
    assert config.api_url == "http://cp:9000"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("GRAPH_OLAP_TIMEOUT", "abc"),
        ("GRAPH_OLAP_MAX_RETRIES", "many"),
        ("GRAPH_OLAP_MAX_RETRIES", "2.5"),
    ],
)
def test_non_numeric_settings_name_the_variable(name, raw):
    with pytest.raises(ValueError, match=f"^{name} must be a number, got {raw!r}$"):
        Config.from_env(environ={name: raw})


@pytest.mark.parametrize(
    ("name", "raw", "fragment"),
    [
        ("GRAPH_OLAP_TIMEOUT", "0", "timeout must be a positive number"),
        ("GRAPH_OLAP_TIMEOUT", "-3", "timeout must be a positive number"),
        ("GRAPH_OLAP_MAX_RETRIES", "-1", "max_retries must be 0 or more"),
    ],
)
def test_out_of_range_settings_are_refused(name, raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        Config.from_env(environ={name: raw})


def test_explicit_overrides_win_and_none_is_ignored():
    environ = {
        "GRAPH_OLAP_API_URL": "http://env:8000",
        "GRAPH_OLAP_API_KEY": "env-key",
        "GRAPH_OLAP_USERNAME": "env-user",
        "GRAPH_OLAP_TIMEOUT": "10",
        "GRAPH_OLAP_MAX_RETRIES": "5",
    }

    config = Config.from_env(
        environ=environ,
        api_url="http://explicit:1234",
        username="carol",
        max_retries=0,
        timeout=2.0,
        api_key=None,
    )

    assert config.api_url == "http://explicit:1234"
    assert config.username == "carol"
    assert config.max_retries == 0  # a falsy override still wins
    assert config.timeout == 2.0
    assert config.api_key == "env-key"  # None means "not given": the environment's value


def test_empty_variables_count_as_unset():
    config = Config.from_env(
        environ={
            "GRAPH_OLAP_API_URL": "",
            "GRAPH_OLAP_API_KEY": "",
            "GRAPH_OLAP_USERNAME": "",
            "GRAPH_OLAP_NAMESPACE": "",
            "GRAPH_OLAP_PORT": "",
            "JUPYTERHUB_USER": "hub-user",
        }
    )

    assert config.api_url == "http://localhost:8000"
    assert config.api_key is None
    assert (config.username, config.username_source) == ("hub-user", "JUPYTERHUB_USER")
    assert config.namespace == "graph-olap-local"


@pytest.mark.parametrize("bad", ["localhost:8000", "ftp://olap.test", "olap.test", "http//x"])
def test_invalid_api_url_is_refused_helpfully(bad):
    for build in (
        lambda: Config.from_env(environ={"GRAPH_OLAP_API_URL": bad}),
        lambda: Config(api_url=bad),
        lambda: GraphOLAPClient(api_url=bad),
    ):
        with pytest.raises(ValueError) as info:
            build()
        message = str(info.value)
        assert "http:// or https://" in message
        assert repr(bad) in message
        assert "GRAPH_OLAP_API_URL" in message


def test_client_from_env_reads_the_process_environment(monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAPH_OLAP_API_URL", "http://env-olap.test:8123")
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", "bob")
    monkeypatch.setenv("GRAPH_OLAP_API_KEY", CANARY_KEY)
    monkeypatch.setenv("GRAPH_OLAP_MAX_RETRIES", "1")
    monkeypatch.setenv("GRAPH_OLAP_TIMEOUT", "7")
    requests: list[httpx.Request] = []
    delays: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(503, text="down")

    with GraphOLAPClient.from_env(
        transport=httpx.MockTransport(handler), sleep=delays.append, rng=lambda: 1.0
    ) as client:
        assert client.config.username == "bob"
        assert client.config.timeout == 7.0
        with pytest.raises(ServerError, match="gave up after 2 attempts"):
            client.mappings.get(1)

    assert len(requests) == 2  # GRAPH_OLAP_MAX_RETRIES=1
    assert delays == [0.5]
    assert {str(r.url) for r in requests} == {"http://env-olap.test:8123/api/mappings/1"}
    assert requests[0].headers["authorization"] == f"Bearer {CANARY_KEY}"

    # explicit arguments beat the environment
    with GraphOLAPClient.from_env(
        username="carol", max_retries=0, transport=httpx.MockTransport(handler)
    ) as client:
        assert client.config.username == "carol"
        assert client.config.max_retries == 0
        assert client.config.api_url == "http://env-olap.test:8123"


# --------------------------------------------------------------------------------------
# Pagination


def mapping(i: int) -> dict[str, Any]:
    return {**MAPPING, "id": i, "name": f"m{i}"}


def pages(total: int) -> Any:
    """A list endpoint over ``total`` mappings that honours offset and limit."""

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        items = [mapping(i) for i in range(offset + 1, min(offset + limit, total) + 1)]
        meta = {"total": total, "offset": offset, "limit": limit}
        return httpx.Response(200, json={"data": items, "meta": meta})

    return handler


@pytest.mark.anyio
async def test_paginated_list_walks_three_pages(make, mode):
    harness = make(pages(7))

    page = await harness.call(lambda c: c.mappings.list(owner="alice", limit=3))

    assert harness.attempts == 1
    assert len(page) == 3
    assert [m.id for m in page] == [1, 2, 3]
    assert page[0].id == 1
    assert page[-1].name == "m3"
    assert [m.id for m in page[1:]] == [2, 3]
    assert (page.total, page.offset, page.limit) == (7, 0, 3)
    assert page.has_more is True

    if mode == "sync":
        walker = page.iter_all()
        first = [next(walker).id for _ in range(3)]
        assert harness.attempts == 1  # later pages are fetched only when reached
        ids = first + [m.id for m in walker]
    else:
        ids = [m.id async for m in page.aiter_all()]

    assert ids == [1, 2, 3, 4, 5, 6, 7]
    assert [r.url.params["offset"] for r in harness.requests] == ["0", "3", "6"]
    assert {r.url.params["limit"] for r in harness.requests} == {"3"}
    assert {r.url.params["owner"] for r in harness.requests} == {"alice"}
    assert {r.url.path for r in harness.requests} == {"/api/mappings"}


@pytest.mark.anyio
async def test_last_page_has_no_more(make):
    harness = make(pages(7))

    page = await harness.call(lambda c: c.mappings.list(offset=6, limit=3))

    assert [m.id for m in page] == [7]
    assert page.has_more is False
    assert len(page) == 1


@pytest.mark.anyio
async def test_walking_pages_survives_a_transient_fault(make, mode):
    serve = pages(5)
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second page's first attempt
            raise httpx.ReadError("connection reset by peer", request=request)
        return serve(request)

    harness = make(flaky)
    page = await harness.call(lambda c: c.mappings.list(limit=2))

    if mode == "sync":
        ids = [m.id for m in page.iter_all()]
    else:
        ids = [m.id async for m in page.aiter_all()]

    assert ids == [1, 2, 3, 4, 5]
    assert [r.url.params["offset"] for r in harness.requests] == ["0", "2", "2", "4"]
    assert harness.delays == [0.5]


@pytest.mark.anyio
async def test_empty_list_makes_one_request(make, mode):
    harness = make(pages(0))

    page = await harness.call(lambda c: c.mappings.list())

    if mode == "sync":
        ids = [m.id for m in page.iter_all()]
    else:
        ids = [m.id async for m in page.aiter_all()]
    assert ids == []
    assert (len(page), page.total, page.has_more) == (0, 0, False)
    assert harness.attempts == 1


# --------------------------------------------------------------------------------------
# Client-side validation: refused before any request


@pytest.mark.anyio
@pytest.mark.parametrize("bad", [0, -1, "1", None, True, 1.0])
async def test_bad_ids_are_refused_without_a_request(make, bad):
    harness = make([ok()])

    err = await expect(harness, lambda c: c.mappings.get(bad), ValidationError)

    assert "mapping_id" in err.message
    assert repr(bad) in err.message
    assert err.details == {"field": "mapping_id"}
    assert err.code == "VALIDATION_ERROR"
    assert err.status_code is None
    assert harness.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.mappings.get_version(1, 0), "version"),
        (lambda c: c.mappings.delete("1"), "mapping_id"),
        (lambda c: c.mappings.diff_versions(1, 1, None), "to_version"),
    ],
    ids=["get_version", "delete", "diff_versions"],
)
async def test_every_id_argument_is_checked(make, call, field):
    harness = make([ok()])

    err = await expect(harness, call, ValidationError)

    assert err.details == {"field": field}
    assert harness.requests == []


@pytest.mark.anyio
async def test_misspelt_node_field_suggests_the_right_one(make):
    node = {key: value for key, value in NODE.items() if key != "label"}
    node["lable"] = "Customer"
    harness = make([ok()])

    err = await expect(harness, create_with(node), ValidationError)

    assert "node_definitions[0] has an unknown field 'lable'" in err.message
    assert "Did you mean 'label'?" in err.message
    assert err.details == {"field": "node_definitions[0].lable"}
    assert harness.requests == []


@pytest.mark.anyio
async def test_misspelt_edge_field_names_the_edge(make):
    edge = {
        "type": "OWNS",
        "from_nod": "Customer",
        "to_node": "Account",
        "sql": "SELECT 1",
        "from_key": "a",
        "to_key": "b",
    }
    harness = make([ok()])

    err = await expect(harness, create_with(NODE, edges=[edge]), ValidationError)

    assert "edge_definitions[0] has an unknown field 'from_nod'" in err.message
    assert "Did you mean 'from_node'?" in err.message
    assert harness.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("node", "fragment"),
    [
        ({k: v for k, v in NODE.items() if k != "sql"}, "sql"),
        ({**NODE, "primary_key": {"nmae": "id"}}, "primary_key"),
        ({**NODE, "label": ""}, "label"),
        ("Customer", "must be a NodeDefinition or a dict"),
    ],
    ids=["missing-sql", "nested-typo", "empty-label", "not-a-dict"],
)
async def test_invalid_node_definitions_are_refused_locally(make, node, fragment):
    harness = make([ok()])

    err = await expect(harness, create_with(node), ValidationError)

    assert "node_definitions[0]" in err.message
    assert fragment in err.message
    assert isinstance(err, GraphOLAPError)
    assert harness.requests == []


# --------------------------------------------------------------------------------------
# Errors in a notebook: the compact block (the real kernel: tests/notebooks/test_connect_kernel.py)


def test_errors_carry_a_hint_from_the_platform_or_their_class():
    from graph_olap import ConnectionError, NotFoundError

    assert "GRAPH_OLAP_API_KEY" in (AuthenticationError("no").hint or "")
    assert "GRAPH_OLAP_API_URL" in (ConnectionError("down").hint or "")
    assert NotFoundError("gone").hint is None
    assert NotFoundError("gone", details={"hint": "list them"}).hint == "list them"
    assert NotFoundError("gone", hint="given", details={"hint": "x"}).hint == "given"


def test_the_compact_block_holds_message_code_status_request_id_hint_and_line():
    from graph_olap.display.errors import compact_text, error_html

    err = AuthenticationError(
        "Authentication required <now>.", status_code=401, code="UNAUTHORIZED", request_id="r-1"
    )
    text = compact_text(err, "client.mappings.list()")
    assert text.splitlines() == [
        "AuthenticationError: Authentication required <now>.",
        "  code: UNAUTHORIZED · HTTP status: 401 · request id: r-1",
        f"  hint: {err.hint}",
        "  raised by: client.mappings.list()",
        "  (full traceback: %tb in the next cell; graph_olap.notebook.verbose_errors())",
    ]
    html = error_html(err, "x < y")
    assert "&lt;now&gt;" in html and "<now>" not in html and "x &lt; y" in html
    assert "r-1" in html and "UNAUTHORIZED" in html and "%tb" in html


def test_the_line_that_raised_is_the_callers_last_line_before_the_sdk():
    from graph_olap.display.errors import your_line

    missing = httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no"}})
    transport = httpx.MockTransport(lambda request: missing)
    client = GraphOLAPClient("http://olap.test", username="a", transport=transport)
    with client, pytest.raises(GraphOLAPError) as info:
        client.mappings.get(7)
    assert your_line(info.value.__traceback__) == "client.mappings.get(7)"
