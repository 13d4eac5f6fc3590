"""The pieces the design names that are not resource methods: ``graph_olap.pagination``,
``client.http`` verbs, exceptions with positional ``details``, and a ``config=`` that never
silently drops an argument. The HTTP verbs run against the real local platform."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

import graph_olap
from graph_olap import (
    AsyncGraphOLAPClient,
    Config,
    ConflictError,
    GraphOLAPClient,
    NotFoundError,
    ValidationError,
)
from graph_olap.exceptions import (
    ConcurrencyLimitError,
    DependencyError,
    PermissionDeniedError,
    RateLimitError,
    ResourceLockedError,
)
from graph_olap.http import HTTPClient
from graph_olap.pagination import MAX_PAGE_SIZE, PaginatedList
from graph_olap_server.runner import ServerThread

from ..e2e.defs import CUSTOMER


def test_pagination_module_is_where_the_design_imports_it_from(client: GraphOLAPClient) -> None:
    page = client.mappings.list(limit=1)
    assert isinstance(page, PaginatedList)
    assert graph_olap.models.PaginatedList is PaginatedList
    assert MAX_PAGE_SIZE == 100


@pytest.mark.parametrize(
    "cls",
    [
        NotFoundError,
        ValidationError,
        ConflictError,
        PermissionDeniedError,
        ResourceLockedError,
        ConcurrencyLimitError,
        DependencyError,
        RateLimitError,
    ],
)
def test_exceptions_take_details_positionally_as_in_the_design(cls: type) -> None:
    err = cls("Mapping 7 has snapshots", {"mapping_id": 7})
    assert err.details == {"mapping_id": 7}
    assert err.message == "Mapping 7 has snapshots"
    assert isinstance(err, graph_olap.GraphOLAPError)


def test_http_verbs_reach_endpoints_with_the_clients_auth_and_errors(
    client: GraphOLAPClient,
) -> None:
    http = client.http
    assert isinstance(http, HTTPClient)
    name = f"raw-{uuid.uuid4().hex[:6]}"
    created = http.post(
        "/api/mappings",
        json={"name": name, "description": "by hand", "node_definitions": [CUSTOMER]},
    )
    mid = created["data"]["id"]
    assert created["data"]["owner_username"] == "alice"  # the client's identity went along
    assert http.get("/api/mappings", params={"search": name})["meta"]["total"] == 1
    assert http.request("GET", f"/api/mappings/{mid}")["data"]["name"] == name
    updated = http.put(f"/api/mappings/{mid}/lifecycle", json={"ttl": "P2D"})
    assert updated["data"]["ttl"] == "P2D"
    assert http.delete(f"/api/mappings/{mid}") == {}  # 204: an empty dict, as in the design
    with pytest.raises(NotFoundError, match=str(mid)) as err:
        http.get(f"/api/mappings/{mid}")
    assert err.value.status_code == 404


@pytest.mark.anyio
async def test_async_http_verbs(server: ServerThread) -> None:
    async with AsyncGraphOLAPClient(server.url, username="alice") as aclient:
        body = await aclient.http.get("/api/mappings", params={"limit": 1})
        assert set(body) >= {"data", "meta"}
        with pytest.raises(ValidationError):
            await aclient.http.post("/api/mappings", json={"name": ""})


@pytest.mark.parametrize(
    "argument",
    [
        {"api_url": "http://127.0.0.1:9"},
        {"username": "bob"},
        {"timeout": 30.0},  # the default's value, passed on purpose: still not ignored
        {"max_retries": 5},
    ],
)
def test_config_with_another_setting_is_refused_not_ignored(argument: dict[str, object]) -> None:
    config = Config(api_url="http://127.0.0.1:9", username="alice", timeout=10)
    name = next(iter(argument))
    with pytest.raises(ValueError, match=f"config=... or {name}, not both") as err:
        GraphOLAPClient(config=config, **argument)  # type: ignore[arg-type]
    assert "dataclasses.replace" in str(err.value)
    client = GraphOLAPClient(config=dataclasses.replace(config, timeout=60))
    assert client.config.timeout == 60
    client.close()


def test_resources_can_be_built_as_in_the_design(client: GraphOLAPClient) -> None:
    """The design's client builds ``InstanceResource(self._http, self._config)``."""
    instances = graph_olap.resources.InstanceResource(client.http, client.config)
    assert instances.list(limit=1).limit == 1
    other = Config(api_url="http://127.0.0.1:9", username="x")
    with pytest.raises(ValueError, match=r"config must be http\.config"):
        graph_olap.resources.InstanceResource(client.http, other)
