"""Jobs (issue 15, point 3): exports, instance starts, algorithm executions and bulk
deletes behind one handle, found again by id from a new client (as a new kernel does).

Every client below that re-attaches is a NEW ``GraphOLAPClient``: it knows nothing but
the job id. Work is kept active by things the test controls, never by hoping it is slow:
a platform without workers (its exports and starts stay queued), a NetworkX run that
takes hours (until cancelled), and a gate before a bulk delete's next item (the one
fault-injection point: ``services.bulk_delete._stop_before_next``, the check a bulk delete
makes before each item, is wrapped to wait; nothing else is replaced).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from graph_olap import (
    AsyncGraphOLAPClient,
    GraphOLAPClient,
    Instance,
    Job,
    JobFailedError,
    JobNotFoundError,
    Snapshot,
)
from graph_olap.models import BulkDeleteResult
from graph_olap_server import db
from graph_olap_server.migrations import head_revision
from graph_olap_server.migrations.upgrade import alembic_config
from graph_olap_server.runner import ServerThread
from graph_olap_server.services import bulk_delete
from graph_olap_server.settings import Settings

from .defs import CUSTOMER, KARATE_MEMBER, KARATE_TIE
from .server_helpers import wait_for

pytestmark = pytest.mark.timeout(300)

USER = "jules"  # her own analyst: her instances never count against another's limit
SLOW = {"epsilon": 1e-4, "kmax": 10**12, "seed": 1}  # hours of NetworkX: until cancelled


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _new(server_url: str, username: str) -> GraphOLAPClient:
    """A client that knows nothing but the URL and the user: a new kernel's."""
    return GraphOLAPClient(server_url, username=username, max_retries=1)


# -- exports and starts that stay queued: a platform without workers -------------------


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    data = tmp_path_factory.mktemp("jobs-idle")
    settings = Settings(data_dir=data, run_workers=False, run_scheduler=False)
    with ServerThread(settings) as running:
        yield running


def test_queued_export_and_start_are_listed_reattached_and_cancelled(idle: ServerThread) -> None:
    with _new(idle.url, USER) as first:
        mapping = first.mappings.create(
            _name("jobs"), "", node_definitions=[CUSTOMER], edge_definitions=[]
        )
        instance = first.instances.create_from_mapping(mapping.id, _name("jobs"))
        assert instance.snapshot_id is not None
    export_id, start_id = f"export-{instance.snapshot_id}", f"start-{instance.id}"

    with _new(idle.url, USER) as kernel:  # a new kernel knows only the ids
        listed = {job.id: job for job in kernel.jobs.list(active=True)}
        assert {export_id, start_id} <= set(listed)
        assert listed[export_id].status == "queued" and listed[export_id].detail == "pending"
        assert listed[start_id].detail == "waiting_for_snapshot"
        assert [j.id for j in kernel.jobs.list(kind="start")] == [start_id]
        export = kernel.jobs.get(export_id)
        assert isinstance(export, Job) and export.kind == "export"
        assert kernel.jobs.get(kernel.instances.get(instance.id)).id == start_id
        assert kernel.jobs.get(kernel.snapshots.get(instance.snapshot_id)).id == export_id
        assert export_id in repr(export) and "client.jobs.get" in export._repr_html_()

        with _new(idle.url, "bob") as bob:  # another analyst neither sees nor cancels
            assert export_id not in {j.id for j in bob.jobs.list(active=False)}
            with pytest.raises(JobNotFoundError) as err:
                bob.jobs.get(export_id)
            assert "client.jobs.list()" in err.value.message
            with pytest.raises(JobNotFoundError):
                Job(bob.http, export.record).cancel()
        with _new(idle.url, "ops") as ops:  # ops see everyone's
            assert start_id in {j.id for j in ops.jobs.list(all_users=True)}

        started = kernel.jobs.get(start_id).cancel()
        assert started.status == "cancelled"
        assert kernel.instances.get(instance.id).status in ("stopping", "terminated")
        cancelled = export.cancel()
        assert cancelled.status == "cancelled"
        assert "cancelled by jules" in (
            kernel.snapshots.get(instance.snapshot_id).error_message or ""
        )
        assert {export_id, start_id}.isdisjoint(j.id for j in kernel.jobs.list(active=True))
        with pytest.raises(Exception, match=f"Job {export_id} ended cancelled") as ended:
            export.wait(timeout=30, progress=False)
        assert type(ended.value).__name__ == "SnapshotFailedError"


def test_an_unknown_or_malformed_job_id_says_what_ids_look_like(client: GraphOLAPClient) -> None:
    for job_id in ("export-999999999", "nonsense", "algorithm-999999-ex-1"):
        with pytest.raises(JobNotFoundError) as err:
            client.jobs.get(job_id)
        assert err.value.code == "JOB_NOT_FOUND"
        assert "Job ids look like export-12" in err.value.message


# -- on the session platform: real exports, starts and algorithms ---------------------


@pytest.fixture(scope="module")
def jules(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with _new(server.url, USER) as client:
        yield client


@pytest.fixture(scope="module")
def mapping_id(jules: GraphOLAPClient) -> int:
    mapping = jules.mappings.create(
        _name("jobs"),
        "customers and the karate club",
        node_definitions=[CUSTOMER, KARATE_MEMBER],
        edge_definitions=[KARATE_TIE],
    )
    return mapping.id


def _steps_seen() -> tuple[list[tuple[str, int, int]], Callable[[str, int, int], None]]:
    seen: list[tuple[str, int, int]] = []
    return seen, lambda phase, done, total: seen.append((phase, done, total))


def _increasing(seen: list[tuple[str, int, int]]) -> None:
    assert seen, "the progress callback was never called"
    done = [d for _, d, _ in seen]
    assert done == sorted(done), seen
    assert seen[-1][1] == seen[-1][2] > 0, seen


def test_an_export_job_waits_with_progress_and_returns_the_snapshot(
    server: ServerThread, jules: GraphOLAPClient, mapping_id: int
) -> None:
    snapshot = jules.snapshots.create(mapping_id, _name("jobs"))
    with _new(server.url, USER) as kernel:
        seen, on_progress = _steps_seen()
        job = kernel.jobs.get(f"export-{snapshot.id}")
        result = job.wait(timeout=120, on_progress=on_progress, progress=False)
        assert isinstance(result, Snapshot)
        assert (result.id, result.status) == (snapshot.id, "ready")
        assert job.status == "succeeded" and job.progress.fraction == 1.0
        _increasing(seen)
        assert kernel.jobs.get(snapshot).result().id == snapshot.id
    jules.snapshots.delete(snapshot.id)


@pytest.fixture(scope="module")
def instance_id(server: ServerThread, jules: GraphOLAPClient, mapping_id: int) -> Iterator[int]:
    created = jules.instances.create_from_mapping(mapping_id, _name("jobs"))
    with _new(server.url, USER) as kernel:
        seen, on_progress = _steps_seen()
        running = kernel.jobs.get(f"start-{created.id}").wait(
            timeout=240, on_progress=on_progress, progress=False
        )
    assert isinstance(running, Instance) and running.status == "running"
    _increasing(seen)
    yield created.id
    jules.instances.terminate(created.id)


def test_an_algorithm_job_is_listed_reattached_and_cancelled(
    server: ServerThread, jules: GraphOLAPClient, instance_id: int
) -> None:
    conn = jules.instances.connect(instance_id)
    run = conn.networkx.run(
        "approximate_current_flow_betweenness_centrality",
        SLOW,
        node_labels=KARATE_MEMBER["label"],
        orientation="undirected",
        mode="mutate",
        property=_name("slow").replace("-", "_"),
        force=True,
        wait=False,
    )
    assert run.job_id == f"algorithm-{instance_id}-{run.id}"
    assert jules.jobs.get(run).id == run.job_id  # a handle names its job
    try:
        with _new(server.url, USER) as kernel:
            active = kernel.jobs.list(kind="algorithm")
            assert run.job_id in {j.id for j in active} and not active.partial
            job = kernel.jobs.get(run.job_id)
            assert job.kind == "algorithm" and job.status in ("queued", "running")
            with _new(server.url, "bob") as bob:
                assert run.job_id not in {j.id for j in bob.jobs.list(kind="algorithm")}
                with pytest.raises(JobNotFoundError):
                    bob.jobs.get(run.job_id)
            assert job.cancel().status == "cancelled"
    finally:
        run.cancel()
    assert run.refresh().status == "cancelled"
    assert conn.lock_status().locked is False
    conn.close()


def test_an_algorithm_job_from_a_new_client_returns_the_result(
    server: ServerThread, jules: GraphOLAPClient, instance_id: int
) -> None:
    with jules.instances.connect(instance_id) as conn:
        run = conn.algo.pagerank(node_labels=KARATE_MEMBER["label"], wait=False)
        assert run.job_id is not None
        expected = run.wait(timeout=120).result()
    with _new(server.url, USER) as kernel:
        frame = kernel.jobs.get(run.job_id).wait(timeout=120, progress=False)
    assert frame.shape == expected.shape and frame.columns == expected.columns
    assert sorted(frame.rows()) == sorted(expected.rows())


@pytest.mark.anyio
async def test_the_async_client_awaits_a_job(server: ServerThread, mapping_id: int) -> None:
    async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as aclient:
        snapshot = await aclient.snapshots.create(mapping_id, _name("jobs"))
        job = await aclient.jobs.get(f"export-{snapshot.id}")
        result = await job  # await job == await job.wait()
        assert isinstance(result, Snapshot) and result.status == "ready"
        listed = await aclient.jobs.list(active=False, kind="export")
        assert f"export-{snapshot.id}" in {j.id for j in listed}
        assert (await job.refresh()).status == "succeeded"
        await aclient.snapshots.delete(snapshot.id)


# -- bulk deletes: recorded jobs, a gate before the next item -------------------------


class Gate:
    """Holds a bulk delete before its item number ``after + 1`` (before it checks for a
    cancel) until opened."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.opened = threading.Event()
        self.calls = 0

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def gated(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls > self.after:
                assert self.opened.wait(120), "the test never opened the gate"
            return real(*args, **kwargs)

        return gated


def _mappings(client: GraphOLAPClient, prefix: str, count: int) -> list[int]:
    return [
        client.mappings.create(
            f"{prefix}{i}", "", node_definitions=[CUSTOMER], edge_definitions=[]
        ).id
        for i in range(count)
    ]


def test_a_bulk_delete_job_is_followed_and_cancelled_between_items(
    server: ServerThread, admin_client: GraphOLAPClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _name("bulkjob") + "-"
    ids = _mappings(admin_client, prefix, 3)
    gate = Gate(after=1)
    monkeypatch.setattr(bulk_delete, "_stop_before_next", gate.wrap(bulk_delete._stop_before_next))
    try:
        job = admin_client.admin.bulk_delete(
            "mapping", {"name_prefix": prefix}, "jobs test", wait=False
        )
        assert isinstance(job, Job) and job.id.startswith("bulk_delete-")
        wait_for(lambda: job.refresh().record.completed == 1, "the first item deleted")
        with _new(server.url, "admin") as kernel:
            found = {j.id: j for j in kernel.jobs.list(kind="bulk_delete")}
            assert found[job.id].status == "running"
            assert (found[job.id].record.completed, found[job.id].record.total) == (1, 3)
            with _new(server.url, "alice") as alice:
                assert job.id not in {j.id for j in alice.jobs.list(active=False)}
            assert kernel.jobs.get(job.id).cancel().record.completed == 1
    finally:
        gate.opened.set()
    ended = wait_for(lambda: job.refresh().status != "running" and job, "the job to end")
    assert ended.status == "cancelled"
    assert "Cancelled after 1 of 3 items" in (ended.record.error_message or "")
    left = {m.id for m in admin_client.mappings.list(search=prefix)}
    assert left == set(ids[1:])  # the first deleted, the rest kept
    with pytest.raises(JobFailedError) as err:
        job.wait(timeout=30, progress=False)
    assert err.value.details["status"] == "cancelled"
    admin_client.admin.bulk_delete("mapping", {"name_prefix": prefix}, "jobs test cleanup")


def test_a_bulk_delete_job_waits_with_progress_and_returns_the_result(
    server: ServerThread, admin_client: GraphOLAPClient
) -> None:
    prefix = _name("bulkjob") + "-"
    ids = _mappings(admin_client, prefix, 2)
    job = admin_client.admin.bulk_delete(
        "mapping", {"name_prefix": prefix}, "jobs test", wait=False
    )
    assert isinstance(job, Job)
    with _new(server.url, "admin") as kernel:
        seen, on_progress = _steps_seen()
        result = kernel.jobs.get(job.id).wait(timeout=60, on_progress=on_progress, progress=False)
    assert isinstance(result, BulkDeleteResult)
    assert sorted(result.deleted_ids) == sorted(ids) and result.deleted_count == 2
    _increasing(seen)
    # waited for as before: the same answer, and recorded as a job too
    ids = _mappings(admin_client, prefix, 1)
    answer = admin_client.admin.bulk_delete("mapping", {"name_prefix": prefix}, "jobs test")
    assert isinstance(answer, BulkDeleteResult) and answer.deleted_ids == ids
    done = admin_client.jobs.list(active=False, kind="bulk_delete")
    assert any(j.result().deleted_ids == ids for j in done if j.status == "succeeded")


def test_a_bulk_delete_running_when_the_platform_stops_is_failed_on_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path, run_workers=False, run_scheduler=False)
    gate = Gate(after=1)
    monkeypatch.setattr(bulk_delete, "_stop_before_next", gate.wrap(bulk_delete._stop_before_next))
    prefix = _name("stop") + "-"
    try:
        with ServerThread(settings) as first, _new(first.url, "admin") as admin:
            _mappings(admin, prefix, 2)
            job = admin.admin.bulk_delete("mapping", {"name_prefix": prefix}, "stop", wait=False)
            wait_for(lambda: job.refresh().record.completed == 1, "the first item deleted")
        with ServerThread(settings) as second, _new(second.url, "admin") as admin:
            after = admin.jobs.get(job.id)
            assert after.status == "failed"
            assert "The platform stopped while this bulk delete ran: 1 of 2" in (
                after.record.error_message or ""
            )
            assert len(admin.mappings.list(search=prefix)) == 1  # nothing else deleted
    finally:
        gate.opened.set()  # the first platform's thread sees the job failed and stops


def test_the_migration_adds_the_jobs_table_to_a_database_at_0001(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001_baseline")
        connection.execute(
            sa.text(
                "INSERT INTO mappings (name, owner_username, current_version, created_at, "
                "updated_at) VALUES ('kept', 'alice', 1, '2026-01-01', '2026-01-01')"
            )
        )
    engine.dispose()
    assert "bulk_delete_jobs" not in sa.inspect(sa.create_engine(url)).get_table_names()
    database = db.Database(url)  # what a platform start runs
    try:
        with database.session() as session:
            version = session.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == head_revision()
            assert [m.name for m in session.scalars(sa.select(db.Mapping))] == ["kept"]
            assert session.scalars(sa.select(db.BulkDeleteJob)).all() == []
    finally:
        database.dispose()
