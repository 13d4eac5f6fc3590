"""In-cluster mode end to end: the platform publishes each running instance's in-cluster
address, and an SDK in in-cluster mode connects and waits through it.

Two platforms of their own: one whose ``in_cluster_url_template`` is
``http://localhost:{port}`` (another name for the same wrapper, so the two modes are told
apart by the URL they use), with real wrappers; and one whose template points at a port
this module holds bound but never listening (every connection to it is refused), with
stand-in wrappers.
"""

from __future__ import annotations

import socket
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph_olap import AsyncGraphOLAPClient, Config, GraphOLAPClient, Instance, TimeoutError

from .defs import ACCOUNT, CUSTOMER, OWNS
from .server_helpers import Plat, running_platform

pytestmark = pytest.mark.timeout(300)

USER = "ines"  # her own analyst: other modules' instances never count against her limit


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _port(url: str | None) -> int:
    assert url, "the instance has no URL"
    port = urllib.parse.urlsplit(url).port
    assert port is not None, url
    return port


def _client(plat: Plat, *, in_cluster: bool) -> GraphOLAPClient:
    return GraphOLAPClient(
        config=Config(
            api_url=plat.server.url, username=USER, max_retries=0, in_cluster_mode=in_cluster
        )
    )


def _mapping(client: GraphOLAPClient) -> int:
    return client.mappings.create(
        _name("owners"),
        "customers and their accounts",
        node_definitions=[CUSTOMER, ACCOUNT],
        edge_definitions=[OWNS],
    ).id


# -- a template that answers: http://localhost:{port} -----------------------------------


@pytest.fixture(scope="module")
def localhost_plat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plat]:
    data_dir = tmp_path_factory.mktemp("in-cluster") / "data"
    with running_platform(
        data_dir, kind="wrapper", in_cluster_url_template="http://localhost:{port}"
    ) as plat:
        yield plat


@pytest.fixture(scope="module")
def inside(localhost_plat: Plat) -> Iterator[GraphOLAPClient]:
    with _client(localhost_plat, in_cluster=True) as client:
        yield client


@pytest.fixture(scope="module")
def outside(localhost_plat: Plat) -> Iterator[GraphOLAPClient]:
    with _client(localhost_plat, in_cluster=False) as client:
        yield client


@pytest.fixture(scope="module")
def started(inside: GraphOLAPClient) -> Iterator[tuple[Instance, list[tuple[str, int, int]]]]:
    """One instance started by the in-cluster client (its wait probes the wrapper at the
    in-cluster address), and the progress it reported."""
    calls: list[tuple[str, int, int]] = []
    instance = inside.instances.create_from_mapping_and_wait(
        _mapping(inside), _name("inside"), timeout=240, on_progress=lambda *a: calls.append(a)
    )
    yield instance, calls
    inside.instances.terminate(instance.id)


def test_a_running_instance_publishes_both_addresses(
    started: tuple[Instance, Any], outside: GraphOLAPClient
) -> None:
    instance, calls = started
    assert instance.status == "running"
    port = _port(instance.instance_url)
    assert instance.instance_url == f"http://127.0.0.1:{port}"
    assert instance.in_cluster_url == f"http://localhost:{port}"
    assert calls[-1][0] == "ready"  # the wrapper answered at once: no waiting phase left
    # every answer carries it: get, list, updates
    assert outside.instances.get(instance.id).in_cluster_url == instance.in_cluster_url
    updated = outside.instances.set_lifecycle(instance.id, inactivity_timeout="PT2H")
    assert updated.in_cluster_url == instance.in_cluster_url
    listed = {i.id: i for i in outside.instances.list(owner=USER).iter_all()}
    assert listed[instance.id].in_cluster_url == instance.in_cluster_url


def test_an_instance_that_is_not_running_has_no_in_cluster_url(outside: GraphOLAPClient) -> None:
    created = outside.instances.create_from_mapping(_mapping(outside), _name("ended"))
    try:
        assert created.status == "waiting_for_snapshot"
        assert created.in_cluster_url is None and created.instance_url is None
    finally:
        ended = outside.instances.terminate(created.id)
    assert ended is not None and ended.in_cluster_url is None


def test_in_cluster_client_connects_through_the_in_cluster_url(
    started: tuple[Instance, Any], inside: GraphOLAPClient, outside: GraphOLAPClient
) -> None:
    instance, _ = started
    with inside.instances.connect(instance.id) as conn:
        assert conn.instance_url == instance.in_cluster_url
        assert conn.instance_url.startswith("http://localhost:")
        accounts = conn.query_scalar("MATCH (a:Account) RETURN count(a)")
    with outside.instances.connect(instance.id) as conn:
        assert conn.instance_url == instance.instance_url
        assert conn.instance_url.startswith("http://127.0.0.1:")
        assert conn.query_scalar("MATCH (a:Account) RETURN count(a)") == accounts > 0


@pytest.mark.anyio
async def test_async_in_cluster_wait_and_connect(
    localhost_plat: Plat, started: tuple[Instance, Any]
) -> None:
    instance, _ = started
    config = Config(
        api_url=localhost_plat.server.url, username=USER, max_retries=0, in_cluster_mode=True
    )
    async with AsyncGraphOLAPClient(config=config) as client:
        running = await client.instances.wait_until_running(instance.id, timeout=60)
        assert running.in_cluster_url == instance.in_cluster_url
        async with await client.instances.connect(instance.id) as conn:
            assert conn.instance_url == instance.in_cluster_url
            assert await conn.query_scalar("RETURN 41 + 1") == 42


# -- a template where nothing answers ----------------------------------------------------


@pytest.fixture(scope="module")
def refused_port() -> Iterator[int]:
    """A port bound by this module and never listened on: connections are refused, and
    no other process can take it while the module runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def nowhere_plat(tmp_path_factory: pytest.TempPathFactory, refused_port: int) -> Iterator[Plat]:
    data_dir: Path = tmp_path_factory.mktemp("in-cluster-nowhere") / "data"
    template = f"http://127.0.0.1:{refused_port}/instance-{{instance_id}}"
    with running_platform(data_dir, in_cluster_url_template=template) as plat:
        yield plat


def test_in_cluster_wait_fails_clearly_when_the_wrapper_does_not_answer_there(
    nowhere_plat: Plat, refused_port: int
) -> None:
    with _client(nowhere_plat, in_cluster=False) as outside:
        # outside the cluster the wait succeeds: the wrapper answers at instance_url
        instance = outside.instances.create_from_mapping_and_wait(
            _mapping(outside), _name("nowhere"), timeout=120
        )
        try:
            expected = f"http://127.0.0.1:{refused_port}/instance-{instance.id}"
            assert instance.status == "running"
            assert instance.in_cluster_url == expected
            with _client(nowhere_plat, in_cluster=True) as inside:
                phases: list[str] = []
                with pytest.raises(TimeoutError) as info:
                    # already running: every poll sees it running and its wrapper refusing
                    inside.instances.wait_until_running(
                        instance.id, timeout=1, on_progress=lambda p, *_: phases.append(p)
                    )
                assert inside.instances.get(instance.id).status == "running"  # left running
            message = str(info.value)
            assert f"is running but its wrapper does not answer at {expected} from here" in (
                message
            )
            for hint in (
                "network policy",
                "GRAPH_OLAP_IN_CLUSTER_MODE",
                "GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE",
                f"client.instances.wait_until_running({instance.id})",
            ):
                assert hint in message, hint
            assert phases == [f"waiting for the wrapper at {expected}"]
            assert info.value.details["instance_id"] == instance.id
        finally:
            outside.instances.terminate(instance.id)
