"""The platform's ``in_cluster_url_template`` setting (``GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE``):
the in-cluster address of each instance, checked when the settings load; and the SDK's
in-cluster mode against a platform too old to publish that address."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest

from graph_olap import Config, GraphOLAPClient
from graph_olap.resources import _instance_records
from graph_olap_server.runtime import LocalProcessRuntime
from graph_olap_server.settings import Settings

DATA = Path("/nonexistent/graph-olap-settings-test")  # never created: settings only


def test_default_in_cluster_url_is_the_external_url() -> None:
    runtime = LocalProcessRuntime(Settings(data_dir=DATA))
    addresses = runtime.addresses(7, 41234)
    assert addresses.external == "http://127.0.0.1:41234"
    assert addresses.in_cluster == addresses.external


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("http://localhost:{port}", "http://localhost:41234"),
        (
            "http://graph-instance-{instance_id}.analytics.svc:8000/",
            "http://graph-instance-7.analytics.svc:8000",
        ),
        (
            "https://gw.example:443/instances/{instance_id}/{port}",
            "https://gw.example:443/instances/7/41234",
        ),
    ],
)
def test_template_gives_each_instance_its_address(template: str, expected: str) -> None:
    settings = Settings(data_dir=DATA, in_cluster_url_template=template)
    assert LocalProcessRuntime(settings).addresses(7, 41234).in_cluster == expected


def test_template_from_the_environment() -> None:
    environ = {
        "GRAPH_OLAP_DATA_DIR": str(DATA),
        "GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE": "http://wrapper-{instance_id}:{port}",
    }
    assert Settings.from_env(environ).in_cluster_url(3, 9000) == "http://wrapper-3:9000"
    unset = Settings.from_env({"GRAPH_OLAP_DATA_DIR": str(DATA)})
    assert unset.in_cluster_url(3, 9000) == "http://127.0.0.1:9000"
    empty = Settings.from_env({**environ, "GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE": ""})
    assert empty.in_cluster_url(3, 9000) == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("http://127.0.0.1", "has no {port} or {instance_id}"),
        ("http://h:{port}/{namespace}", "uses unknown placeholder(s) {namespace}"),
        ("http://h:{0}", "uses unknown placeholder(s) {0}"),
        ("http://h:{port:05d}", "formats a placeholder"),
        ("http://h:{port!r}", "formats a placeholder"),
        ("http://h:{port", "is not a valid template"),
        ("ftp://h:{port}", "is not an http:// or https:// URL with a host"),
        ("localhost:{port}", "is not an http:// or https:// URL with a host"),
        ("http://h:x{port}", "has a port that is not a number"),
        ("   ", "is empty"),
    ],
)
def test_a_bad_template_is_refused_at_load_with_what_to_write(template: str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        Settings(data_dir=DATA, in_cluster_url_template=template)
    message = str(info.value)
    assert message.startswith(f"GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE {template!r} {problem}")
    assert "'http://127.0.0.1:{port}' (the default)" in message


def test_a_bad_template_in_the_environment_is_refused_too() -> None:
    environ = {"GRAPH_OLAP_DATA_DIR": str(DATA), "GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE": "svc:{port}"}
    expected = re.escape("GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE 'svc:{port}' is not an http://")
    with pytest.raises(ValueError, match=expected):
        Settings.from_env(environ)


# -- the SDK against a platform older than in_cluster_url (a fake: the real one has it) --


def test_in_cluster_client_falls_back_to_instance_url_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_instance_records, "_warned_no_in_cluster_url", False)
    old_answer = {"id": 12, "name": "i", "owner_username": "alice", "status": "running",
                  "instance_url": "http://wrapper.test:4100"}  # fmt: skip
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.path == "/api/instances/12/progress":
            return httpx.Response(
                200, json={"data": {"id": 12, "status": "running", "phase": "ready"}}
            )
        if request.url.path == "/api/instances/12":
            return httpx.Response(200, json={"data": old_answer})
        if str(request.url) == "http://wrapper.test:4100/ready":
            return httpx.Response(200, json={"status": "ready"})
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no"}})

    config = Config(api_url="http://olap.test", username="alice", in_cluster_mode=True)
    with (
        caplog.at_level(logging.WARNING, logger="graph_olap"),
        GraphOLAPClient(config=config, transport=httpx.MockTransport(handle)) as client,
    ):
        assert client.instances.wait_until_running(12).status == "running"
        assert "GET http://wrapper.test:4100/ready" in seen  # the wait probed the wrapper
        for _ in range(2):
            with client.instances.connect(12) as conn:
                assert conn.instance_url == "http://wrapper.test:4100"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "publishes no in_cluster_url for instance 12" in warnings[0]
    assert "using its instance_url http://wrapper.test:4100" in warnings[0]
