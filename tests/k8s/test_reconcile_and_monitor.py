"""The reconciliation job and the instance monitor driving the Kubernetes runtime (a real
metadata database, the in-memory CoreV1Api)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.export import MANIFEST, snapshot_folder
from graph_olap_server.jobs.definitions import JobContext, reconciliation
from graph_olap_server.runtime import InstanceMonitor
from graph_olap_server.runtime.kubernetes import POD_PID, KubernetesRuntime
from graph_olap_server.settings import Settings
from tests.k8s.conftest import NAMESPACE, TOKEN
from tests.k8s.fake_api import FakeCoreV1Api


@pytest.fixture
def database(settings: Settings) -> Iterator[db.Database]:
    database = db.Database(f"sqlite:///{(settings.data_dir / 'metadata.db').as_posix()}")
    yield database
    database.dispose()


def _add(database: db.Database, status: str, **values: Any) -> db.Instance:
    with database.transaction() as session:
        row = db.Instance(
            name="g",
            owner_username="ann",
            status=status,
            wrapper_token=TOKEN,
            cpu_cores=1,
            **values,
        )
        session.add(row)
    return row


def _get(database: db.Database, instance_id: int) -> db.Instance:
    with database.session() as session:
        row = session.get(db.Instance, instance_id)
        assert row is not None
        return row


def _launch(runtime: KubernetesRuntime, row: db.Instance) -> None:
    """Create the pod of ``row`` as if it had been started from snapshot 1."""
    launched = db.Instance(
        id=row.id, owner_username=row.owner_username, wrapper_token=TOKEN, snapshot_id=1
    )
    runtime.start(launched, Path("unused"), 41234, 1)


class _Resolved(KubernetesRuntime):
    """The runtime with its services' DNS names leading to ``at`` (a stand-in, or a port
    where nothing listens: no DNS lookup in these tests)."""

    def __init__(self, settings: Settings, api: FakeCoreV1Api, at: str) -> None:
        super().__init__(settings, api=api)
        self.at = at

    def wrapper_url(self, instance_id: int, port: int) -> str:
        return self.at


def test_reconciliation_marks_vanished_pods_and_removes_orphans(
    settings: Settings, runtime: KubernetesRuntime, api: FakeCoreV1Api, database: db.Database
) -> None:
    kept = _add(database, "running", pid=POD_PID, port=41234)
    vanished = _add(database, "running", pid=POD_PID, port=41235)
    ended = _add(database, "terminated")
    for row in (kept, vanished, ended):
        _launch(runtime, row)
    api.set_pod_status(NAMESPACE, f"graph-olap-instance-{kept.id}", {"phase": "Running"})
    api.delete_namespaced_pod(f"graph-olap-instance-{vanished.id}", NAMESPACE)
    unknown = db.Instance(id=999, owner_username="bob", wrapper_token=TOKEN, snapshot_id=1)
    _launch(runtime, unknown)  # objects of an instance the database never had

    jobs = JobContext(settings, database, runtime, None, None)  # type: ignore[arg-type]
    result = reconciliation(jobs)

    assert result == {"checked": 2, "marked_failed": 1, "orphans_removed": 3}
    failed = _get(database, vanished.id)
    assert failed.status == "failed"
    assert f"pod graph-olap-instance-{vanished.id}: its pod no longer exists" in (
        failed.error_message or ""
    )
    assert _get(database, kept.id).status == "running"
    assert {name for (_, _, name) in api.objects} == {f"graph-olap-instance-{kept.id}"}
    assert reconciliation(jobs) == {"checked": 1, "marked_failed": 0, "orphans_removed": 0}


def _ready_snapshot(settings: Settings, database: db.Database) -> int:
    with database.transaction() as session:
        mapping = db.Mapping(name="m", owner_username="ann")
        session.add(mapping)
        session.flush()
        snapshot = db.Snapshot(
            mapping_id=mapping.id, mapping_version=1, name="s", owner_username="ann",
            status="ready",
        )  # fmt: skip
        session.add(snapshot)
        session.flush()
        snapshot_id = snapshot.id
    folder = snapshot_folder(settings.snapshot_dir, snapshot_id)  # the monitor checks it
    folder.mkdir(parents=True)
    (folder / MANIFEST).write_text("{}")
    return snapshot_id


def test_the_monitor_launches_a_pod_and_fails_the_instance_when_it_cannot_start(
    settings: Settings, api: FakeCoreV1Api, database: db.Database
) -> None:
    with socket.socket() as closed:  # a port nobody listens on: the wrapper never answers
        closed.bind(("127.0.0.1", 0))
        runtime = _Resolved(settings, api, f"http://127.0.0.1:{closed.getsockname()[1]}")
    snapshot_id = _ready_snapshot(settings, database)
    row = _add(database, "starting", snapshot_id=snapshot_id)
    monitor = InstanceMonitor(settings, database, runtime)
    try:
        monitor.tick()
        launched = _get(database, row.id)
        name = f"graph-olap-instance-{row.id}"
        assert launched.pid == POD_PID and launched.port
        pod = api.raw("pod", NAMESPACE, name)
        args = pod["spec"]["containers"][0]["args"]
        assert args[args.index("--snapshot") + 1] == f"s3://snapshots/platform-a/{snapshot_id}"
        assert api.raw("service", NAMESPACE, name)["spec"]["ports"][0]["port"] == launched.port

        api.set_pod_status(
            NAMESPACE,
            name,
            {
                "phase": "Pending",
                "containerStatuses": [
                    {
                        "name": "wrapper",
                        "image": "x",
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {
                            "waiting": {
                                "reason": "ImagePullBackOff",
                                "message": 'Back-off pulling image "x"',
                            }
                        },
                    }
                ],
            },
        )
        monitor.tick()
    finally:
        monitor.stop()
    failed = _get(database, row.id)
    assert failed.status == "failed"
    assert "ImagePullBackOff" in (failed.error_message or "")
    assert "GRAPH_OLAP_K8S_IMAGE" in (failed.error_message or "")
    assert api.objects == {}  # the failed pod, its service and secret are gone


def test_adopt_after_restart_keeps_running_pods_and_fails_vanished_ones(
    settings: Settings, api: FakeCoreV1Api, database: db.Database
) -> None:
    first = KubernetesRuntime(settings, api=api)
    alive = _add(database, "running", pid=POD_PID, port=41234)
    gone = _add(database, "running", pid=POD_PID, port=41235)
    for row in (alive, gone):
        _launch(first, row)
    api.set_pod_status(NAMESPACE, f"graph-olap-instance-{alive.id}", {"phase": "Running"})
    api.delete_namespaced_pod(f"graph-olap-instance-{gone.id}", NAMESPACE)

    restarted = InstanceMonitor(settings, database, KubernetesRuntime(settings, api=api))
    assert restarted.adopt_after_restart() == {"adopted": 1, "failed": 1, "terminated": 0}
    assert _get(database, alive.id).status == "running"
    assert _get(database, gone.id).status == "failed"
    selected = select(db.Instance.id).where(db.Instance.status == "running")
    with database.session() as session:
        assert list(session.scalars(selected)) == [alive.id]


class _ReadyWrapper(ThreadingHTTPServer):
    """What an instance's service answers once its wrapper has loaded."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = {"/ready": {"ready": True}, "/progress": {"phase": "ready", "steps": []}}
                answer = body.get(self.path.split("?")[0])
                self.send_response(200 if answer else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"data": answer or {}}).encode())

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def ready_wrapper() -> Iterator[_ReadyWrapper]:
    server = _ReadyWrapper()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_monitor_polls_the_pod_through_its_service_until_running(
    settings: Settings, api: FakeCoreV1Api, database: db.Database, ready_wrapper: _ReadyWrapper
) -> None:
    port = ready_wrapper.server_address[1]

    runtime = _Resolved(settings, api=api, at=f"http://127.0.0.1:{port}")
    row = _add(database, "starting", snapshot_id=_ready_snapshot(settings, database))
    monitor = InstanceMonitor(settings, database, runtime)
    try:
        monitor.tick()
        api.set_pod_status(NAMESPACE, f"graph-olap-instance-{row.id}", {"phase": "Running"})
        monitor.tick()
    finally:
        monitor.stop()
    running = _get(database, row.id)
    assert running.status == "running", running.error_message
    assert running.instance_url == runtime.addresses(row.id, running.port or 0).external
