"""Access checks through the control plane, activity reports, and the app in-process.

A fake control plane (uvicorn in a thread) answers ``/access`` and records activity; the
in-process wrapper app runs on a stub engine, so no graph engine enters this process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from graph_olap_server.errors import APIError
from graph_olap_server.runner import free_port
from graph_olap_server.wrapper.app import create_wrapper_app
from graph_olap_server.wrapper.auth import OBSERVER_HEADER, ActivityReporter, ControlPlaneAuthorizer
from graph_olap_server.wrapper.config import WrapperConfig
from graph_olap_server.wrapper.engine import EngineResult
from graph_olap_server.wrapper.manifest import EdgeFile, Manifest, NodeFile
from tests.wrapper.conftest import TOKEN


class FakeControlPlane:
    """Alice may use instance 7, bob may not; activity posts are recorded."""

    def __init__(self) -> None:
        self.access_calls: list[dict[str, str]] = []
        self.activity: list[str] = []
        app = FastAPI()

        @app.get("/api/instances/{instance_id}/access")
        def access(instance_id: int, request: Request) -> JSONResponse:
            self.access_calls.append(dict(request.headers))
            user = request.headers.get("x-username")
            if request.headers.get("authorization") == "Bearer alice-key":
                user = "alice"
            if not user:
                return _error(401, "UNAUTHORIZED", "Send credentials.")
            if user != "alice" or instance_id != 7:
                return _error(403, "FORBIDDEN", f"{user} may not use instance {instance_id}.")
            return JSONResponse({"data": {"username": user, "role": "analyst"}})

        @app.post("/api/internal/instances/{instance_id}/activity")
        def activity(instance_id: int, request: Request) -> dict[str, Any]:
            self.activity.append(request.headers.get("x-wrapper-token", ""))
            return {"data": {"instance_id": instance_id}}

        self.served = Served(app)
        self.url = self.served.url


class Served:
    """An ASGI app served by uvicorn in a daemon thread on a free port."""

    def __init__(self, app: FastAPI) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": {}}}, status)


@pytest.fixture(scope="module")
def control_plane() -> Iterator[FakeControlPlane]:
    fake = FakeControlPlane()
    with fake.served:
        yield fake


def test_access_is_asked_once_per_header_set(control_plane: FakeControlPlane) -> None:
    authorizer = ControlPlaneAuthorizer(control_plane.url, 7, ttl=60)
    before = len(control_plane.access_calls)
    assert authorizer.check({"x-username": "alice"}).username == "alice"
    assert authorizer.check({"x-username": "alice"}).role == "analyst"
    assert len(control_plane.access_calls) == before + 1  # cached
    assert authorizer.check({"authorization": "Bearer alice-key"}).username == "alice"
    assert control_plane.access_calls[-1]["authorization"] == "Bearer alice-key"
    with pytest.raises(APIError) as refused:
        authorizer.check({"x-username": "bob"})
    assert (refused.value.status_code, refused.value.code) == (403, "FORBIDDEN")
    assert refused.value.message == "bob may not use instance 7."
    with pytest.raises(APIError) as anonymous:
        authorizer.check({})
    assert anonymous.value.status_code == 401
    authorizer.close()


def test_answers_expire(control_plane: FakeControlPlane) -> None:
    authorizer = ControlPlaneAuthorizer(control_plane.url, 7, ttl=0.05)
    authorizer.check({"x-username": "alice"})
    before = len(control_plane.access_calls)
    time.sleep(0.1)
    authorizer.check({"x-username": "alice"})
    assert len(control_plane.access_calls) == before + 1
    authorizer.close()


def test_an_unreachable_control_plane_answers_503() -> None:
    authorizer = ControlPlaneAuthorizer(f"http://127.0.0.1:{free_port()}", 7, timeout=2)
    with pytest.raises(APIError) as down:
        authorizer.check({"x-username": "alice"})
    assert down.value.status_code == 503
    authorizer.close()


def test_activity_is_throttled_and_carries_the_token(control_plane: FakeControlPlane) -> None:
    reporter = ActivityReporter(control_plane.url, 7, TOKEN, interval=3600)
    before = len(control_plane.activity)
    for _ in range(5):  # well within the interval, on any machine
        reporter.touch()
    deadline = time.monotonic() + 60  # against hangs only
    while len(control_plane.activity) < before + 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    reporter.interval = 0.0  # as when the interval has passed since the last report
    reporter.touch()
    while len(control_plane.activity) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert control_plane.activity[before:] == [TOKEN, TOKEN]
    unreachable = ActivityReporter(f"http://127.0.0.1:{free_port()}", 7, TOKEN)
    unreachable.touch()  # never raises
    time.sleep(0.2)
    unreachable.close()
    reporter.close()


class StubEngine:
    """A :class:`GraphEngine` that "loads" by counting Parquet rows and answers ``RETURN``."""

    name = "stub"

    def __init__(self) -> None:
        self.threads = 0
        self.rows: dict[str, int] = {}

    def open(self, path: Path | None, threads: int) -> None:
        self.threads = threads

    def create_schema(self, manifest: Manifest) -> None:
        return None

    def load_nodes(self, node: NodeFile) -> int:
        self.rows[node.label] = node.row_count or 0
        return self.rows[node.label]

    def load_edges(self, edge: EdgeFile) -> int:
        self.rows[edge.type] = edge.row_count or 0
        return self.rows[edge.type]

    def query(self, cypher: str, parameters: Any = None, timeout_ms: Any = None, *, write=False):  # type: ignore[no-untyped-def]
        table = pa.table({"x": [parameters.get("x", 1)]})
        return EngineResult(["x"], ["INT64"], table, 1.0)

    def counts(self, manifest: Manifest) -> dict[str, int]:
        return dict(self.rows)

    def set_threads(self, threads: int) -> None:
        self.threads = threads

    def close(self) -> None:
        return None


def test_the_app_checks_access_and_reports_activity(
    control_plane: FakeControlPlane, snapshot_dir: Path, tmp_path: Path
) -> None:
    config = WrapperConfig(
        instance_id=7,
        snapshot_dir=snapshot_dir,
        data_dir=tmp_path,
        control_plane=control_plane.url,
        token=TOKEN,
    )
    stub = StubEngine()
    before = len(control_plane.activity)
    app = create_wrapper_app(config, engine=stub)
    with Served(app) as served, httpx.Client(base_url=served.url, trust_env=False) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        alice = {"X-Username": "alice"}
        answer = client.post(
            "/query", json={"query": "RETURN $x", "parameters": {"x": 5}}, headers=alice
        )
        assert answer.json()["rows"] == [[5]]
        refused = client.post("/query", json={"query": "RETURN 1"}, headers={"X-Username": "bob"})
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == "bob may not use instance 7."
        schema = client.get("/schema", headers=alice).json()
        assert [n["count"] for n in schema["node_labels"]] == [400, 600]
        assert client.put(
            "/threads", json={"threads": 3}, headers={"X-Wrapper-Token": TOKEN}
        ).json() == {"threads": 3}
        assert stub.threads == 3
    deadline = time.monotonic() + 5
    while len(control_plane.activity) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert control_plane.activity[before:] == [TOKEN]


def test_a_call_marked_as_observing_is_no_activity(
    control_plane: FakeControlPlane,
    snapshot_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control plane listing jobs (``OBSERVER_HEADER``) must not keep an idle
    instance alive; the same call from the analyst is activity."""
    touched: list[int] = []
    monkeypatch.setattr(ActivityReporter, "touch", lambda self: touched.append(1))
    config = WrapperConfig(
        instance_id=7,
        snapshot_dir=snapshot_dir,
        data_dir=tmp_path,
        control_plane=control_plane.url,
        token=TOKEN,
    )
    app = create_wrapper_app(config, engine=StubEngine())
    with Served(app) as served, httpx.Client(base_url=served.url, trust_env=False) as client:
        deadline = time.monotonic() + 10
        while client.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        watching = {"X-Username": "alice", OBSERVER_HEADER: "1"}
        assert client.get("/algo/executions", headers=watching).status_code == 200
        assert touched == []
        assert client.get("/algo/executions", headers={"X-Username": "alice"}).status_code == 200
        assert touched == [1]
