"""Plain-HTTP helpers for the control plane's snapshot and instance tests (no SDK)."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STANDIN = Path(__file__).with_name("standin_wrapper.py")
WRAPPER_MAIN = ROOT / "src" / "graph_olap_server" / "wrapper" / "__main__.py"

SNAPSHOT_PHASES = {"queued", "exporting", "ready"}
INSTANCE_PHASES = {"pod_scheduled", "downloading", "loading_schema", "loading_data", "ready"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``check`` until it answers something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.03)


class Api:
    """One user's view of the control plane API (``/api`` prefix)."""

    def __init__(self, url: str, username: str) -> None:
        self.username = username
        self.http = httpx.Client(
            base_url=f"{url}/api", headers={"X-Username": username}, timeout=60, trust_env=False
        )

    def call(self, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        """The ``data`` of an answer with ``status`` (the error body for errors)."""
        response = self.http.request(method, path, **kw)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        if status == 204:
            return None
        body = response.json()
        return body["data"] if status < 400 else body["error"]

    def get(self, path: str, status: int = 200, **kw: Any) -> Any:
        return self.call("GET", path, status, **kw)

    def post(self, path: str, json: Any = None, status: int = 200, **kw: Any) -> Any:
        return self.call("POST", path, status, json=json, **kw)

    def put(self, path: str, json: Any = None, status: int = 200, **kw: Any) -> Any:
        return self.call("PUT", path, status, json=json, **kw)

    def delete(self, path: str, status: int = 204, **kw: Any) -> Any:
        return self.call("DELETE", path, status, **kw)

    def mapping(self, nodes: list[Any], edges: list[Any] | None = None) -> int:
        body = {"name": unique("m"), "node_definitions": nodes, "edge_definitions": edges or []}
        return int(self.post("/mappings", body, 201)["id"])

    def snapshot(self, mapping_id: int, **extra: Any) -> int:
        body = {"mapping_id": mapping_id, "name": unique("s"), **extra}
        return int(self.post("/snapshots", body, 201)["id"])

    def settled_snapshot(self, snapshot_id: int, timeout: float = 60) -> dict[str, Any]:
        def done() -> Any:
            s = self.get(f"/snapshots/{snapshot_id}")
            return s if s["status"] in ("ready", "failed") else None

        return wait_for(done, f"snapshot {snapshot_id} to be ready or failed", timeout)  # type: ignore[no-any-return]

    def from_mapping(self, mapping_id: int, status: int = 201, **extra: Any) -> Any:
        body = {"mapping_id": mapping_id, "name": unique("i"), **extra}
        return self.post("/instances/from-mapping", body, status)

    def instance_in(self, instance_id: int, *statuses: str, timeout: float = 90) -> Any:
        def reached() -> Any:
            i = self.get(f"/instances/{instance_id}")
            return i if i["status"] in statuses else None

        return wait_for(reached, f"instance {instance_id} to be {statuses}", timeout)

    def trigger(self, job: str) -> dict[str, Any]:
        return self.post("/ops/jobs/trigger", {"job_name": job, "reason": "test"})  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()


class Plat:
    """A control plane of the tests' own, with helpers to look behind the API."""

    def __init__(self, server: ServerThread, behaviour: Path) -> None:
        self.server = server
        self.settings = server.settings
        self.behaviour = behaviour
        self._apis: list[Api] = []

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, username: str) -> Api:
        api = Api(self.url, username)
        self._apis.append(api)
        return api

    def behave(self, mapping_id: int, mode: str) -> None:
        """How the stand-in wrapper of instances of ``mapping_id`` behaves."""
        current = json.loads(self.behaviour.read_text() or "{}")
        self.behaviour.write_text(json.dumps({**current, str(mapping_id): mode}))

    def row(self, table: str, ident: int) -> dict[str, Any]:
        """A row of the metadata database, read directly (pids, ports, tokens)."""
        path = self.settings.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as con:
            con.row_factory = sqlite3.Row
            found = con.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,)).fetchone()
        assert found is not None, (table, ident)
        return dict(found)

    @property
    def platform(self) -> Any:
        """The running platform's parts (exporter, monitor, runtime), to hold one back."""
        return self.server.app.state.platform

    def process(self, instance_id: int) -> int:
        pid = self.row("instances", instance_id)["pid"]
        assert pid, f"instance {instance_id} has no process"
        return int(pid)

    def instance_folder(self, instance_id: int) -> Path:
        return self.settings.instance_dir / str(instance_id)

    def snapshot_folder(self, snapshot_id: int) -> Path:
        return self.settings.snapshot_dir / str(snapshot_id)

    def close(self) -> None:
        for api in self._apis:
            api.close()


def wrapper_command(kind: str, behaviour: Path) -> tuple[str, ...]:
    if kind == "stand-in":
        return (sys.executable, str(STANDIN), "--behaviour", str(behaviour))
    if not WRAPPER_MAIN.exists():
        pytest.skip("the wrapper (graph_olap_server.wrapper) is not written yet")
    return ()


@contextmanager
def running_platform(data_dir: Path, kind: str = "stand-in", **overrides: Any) -> Iterator[Plat]:
    """A control plane on ``data_dir`` whose instances run ``kind`` wrappers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    behaviour = data_dir.parent / f"{data_dir.name}-behaviour.json"
    if not behaviour.exists():
        behaviour.write_text("{}")
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "wrapper_command": wrapper_command(kind, behaviour),
        "job_trigger_min_interval": 0.0,
        "run_scheduler": False,
        "instance_poll_interval": 0.05,
        "instance_stop_timeout": 1.0,
        "stop_instances_on_exit": True,  # no wrapper outlives a failed test
        **overrides,
    }
    port = values.pop("port", 0)
    with ServerThread(Settings(**values), port=port) as server:
        plat = Plat(server, behaviour)
        try:
            yield plat
        finally:
            plat.close()


def gone(pid: int) -> bool:
    return not process_alive(pid)
