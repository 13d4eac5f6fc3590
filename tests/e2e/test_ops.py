"""client.ops end to end: configuration, cluster views, background jobs and metrics.

The shared session platform allows one trigger per job per 60 s, so every job is
triggered once there (the ``triggered`` fixture) and one of them a second time to see the
rate limit. Platforms of their own (``tmp_path``) cover the scheduler, seeded instances
and export jobs, and the rate limit surviving a restart; only they touch server modules.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_olap import (
    AuthenticationError,
    ForbiddenError,
    GraphOLAPClient,
    RateLimitError,
    ValidationError,
)
from graph_olap.resources.ops import JOB_NAMES
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .defs import ACCOUNT, CUSTOMER
from .server_helpers import wait_for

UTC = dt.timezone.utc


# -- configuration ---------------------------------------------------------------------


def test_lifecycle_config_defaults_and_partial_updates(ops_client: GraphOLAPClient) -> None:
    ops = ops_client.ops
    config = ops.get_lifecycle_config()
    assert config.instance.default_ttl == "PT24H"
    assert config.instance.default_inactivity == "PT4H"
    assert config.snapshot.max_ttl == "P30D"
    assert config.mapping.default_ttl is None

    assert ops.update_lifecycle_config(instance={"default_ttl": "PT12H"}) is True
    try:
        after = ops.get_lifecycle_config()
        assert after.instance.default_ttl == "PT12H"
        assert after.instance.default_inactivity == "PT4H"  # untouched field kept
        assert after.instance.max_ttl == "P7D"
        assert after.snapshot == config.snapshot  # untouched resource kept
    finally:
        ops.update_lifecycle_config(instance={"default_ttl": "PT24H"})
    restored = ops.get_lifecycle_config()  # updated_at/updated_by moved on
    assert (restored.mapping, restored.snapshot, restored.instance) == (
        config.mapping,
        config.snapshot,
        config.instance,
    )


def test_lifecycle_config_validation(ops_client: GraphOLAPClient) -> None:
    ops = ops_client.ops
    before = ops.get_lifecycle_config()
    with pytest.raises(ValidationError) as bad_duration:
        ops.update_lifecycle_config(snapshot={"default_ttl": "7 days"})
    assert "snapshot.default_ttl" in bad_duration.value.message
    assert "ISO 8601" in bad_duration.value.message
    with pytest.raises(ValidationError) as too_long:
        ops.update_lifecycle_config(instance={"default_ttl": "P10D"})
    assert "instance.max_ttl" in too_long.value.message
    with pytest.raises(ValidationError) as unknown:  # refused by the SDK already
        ops.update_lifecycle_config(instance={"default_tll": "PT1H"})
    assert "default_ttl" in unknown.value.message
    assert ops.get_lifecycle_config() == before


def test_concurrency_config_round_trip_and_limits(ops_client: GraphOLAPClient) -> None:
    ops = ops_client.ops
    assert (
        ops.get_concurrency_config().per_analyst,
        ops.get_concurrency_config().cluster_total,
    ) == (5, 50)
    try:
        updated = ops.update_concurrency_config(per_analyst=3)
        assert (updated.per_analyst, updated.cluster_total) == (3, 50)
        assert updated.updated_by == "ops"
        assert updated.updated_at is not None
        assert ops.get_concurrency_config().per_analyst == 3
        assert ops_client.ops.get_cluster_instances().limits.per_analyst == 3

        with pytest.raises(ValidationError) as zero:
            ops.update_concurrency_config(per_analyst=0)
        assert "per_analyst" in zero.value.message
        with pytest.raises(ValidationError) as too_big:
            ops.update_concurrency_config(cluster_total=1001)
        assert "cluster_total" in too_big.value.message
        with pytest.raises(ValidationError) as over_total:
            ops.update_concurrency_config(per_analyst=60)
        assert "per_analyst (60) cannot exceed cluster_total (50)" in over_total.value.message
        both = ops.update_concurrency_config(per_analyst=60, cluster_total=100)
        assert (both.per_analyst, both.cluster_total) == (60, 100)
    finally:
        restored = ops.update_concurrency_config(per_analyst=5, cluster_total=50)
    assert (restored.per_analyst, restored.cluster_total) == (5, 50)


def test_maintenance_mode_on_and_off(
    ops_client: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    ops = ops_client.ops
    initial = ops.get_maintenance_mode()
    assert initial.enabled is False
    try:
        on = ops.set_maintenance_mode(True, "Upgrade until 14:00 UTC")
        assert (on.enabled, on.message, on.updated_by) == (True, "Upgrade until 14:00 UTC", "ops")
        seen = admin_client.ops.get_maintenance_mode()
        assert (seen.enabled, seen.message) == (True, "Upgrade until 14:00 UTC")
        with pytest.raises(ValidationError) as long_message:
            ops.set_maintenance_mode(True, "x" * 501)
        assert "message" in long_message.value.message
    finally:
        off = ops.set_maintenance_mode(False)
    assert off.enabled is False
    assert ops.get_maintenance_mode().enabled is False


def test_export_config_round_trip_and_bounds(ops_client: GraphOLAPClient) -> None:
    ops = ops_client.ops
    assert ops.get_export_config().max_duration_seconds == 3600
    try:
        assert ops.update_export_config(1800).max_duration_seconds == 1800
        assert ops.get_export_config().max_duration_seconds == 1800
        for bad in (59, 86401):
            with pytest.raises(ValidationError) as err:
                ops.update_export_config(bad)
            assert "max_duration_seconds" in err.value.message
    finally:
        ops.update_export_config(3600)
    assert ops.get_export_config().updated_by == "ops"


def test_config_refuses_unknown_fields_on_the_wire(server: ServerThread) -> None:
    with httpx.Client(base_url=server.url, headers={"X-Username": "ops"}) as http:
        answer = http.put("/api/config/concurrency", json={"per_analist": 3})
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert "per_analist" in error["message"]
        lifecycle = http.put("/api/config/lifecycle", json={"instances": {"max_ttl": "P1D"}})
        assert lifecycle.status_code == 400
        assert "instances" in lifecycle.json()["error"]["message"]
        assert http.get("/api/config/concurrency").json()["data"]["per_analyst"] == 5


# -- cluster ---------------------------------------------------------------------------


def test_cluster_health(ops_client: GraphOLAPClient) -> None:
    health = ops_client.ops.get_cluster_health()
    assert health.status in ("healthy", "degraded")
    assert set(health.components) == {"database", "warehouse", "jobs", "instance_runtime"}
    assert health.components["database"].status == "healthy"
    assert health.components["database"].latency_ms is not None
    assert health.components["warehouse"].status == "healthy"
    assert health.components["instance_runtime"].message == "local processes"
    assert health.checked_at is not None


def test_cluster_instances(ops_client: GraphOLAPClient) -> None:
    usage = ops_client.ops.get_cluster_instances()
    assert usage.total == sum(usage.by_status.values())
    limits = usage.limits
    assert (limits.per_analyst, limits.cluster_total) == (5, 50)
    assert limits.cluster_available == limits.cluster_total - limits.cluster_used


# -- background jobs on the shared platform ----------------------------------------------


@pytest.fixture(scope="module")
def triggered(server: ServerThread) -> dict[str, Any]:
    """Every job triggered once (the session platform allows one trigger per minute)."""
    with GraphOLAPClient(server.url, username="ops", max_retries=1) as ops_client:
        return {
            name: ops_client.ops.trigger_job(name, reason="e2e: ops tests") for name in JOB_NAMES
        }


@pytest.mark.parametrize("job_name", JOB_NAMES)
def test_trigger_job(triggered: dict[str, Any], job_name: str) -> None:
    result = triggered[job_name]
    assert result.job_name == job_name
    assert result.status == "completed", result.result
    assert (result.triggered_by, result.reason) == ("ops", "e2e: ops tests")
    assert result.triggered_at is not None
    assert isinstance(result.result, dict)


def test_trigger_results_report_counts(triggered: dict[str, Any]) -> None:
    assert set(triggered["reconciliation"].result) >= {"checked", "marked_failed"}
    assert set(triggered["lifecycle"].result) >= {"checked", "terminated"}
    assert set(triggered["export_reconciliation"].result) >= {"checked", "failed_export_jobs"}
    assert triggered["schema_cache"].result["tables"] > 0  # the sample warehouse


def test_second_trigger_is_rate_limited(
    ops_client: GraphOLAPClient, triggered: dict[str, Any]
) -> None:
    assert triggered["reconciliation"].status == "completed"
    with pytest.raises(RateLimitError) as err:
        ops_client.ops.trigger_job("reconciliation", reason="again")
    assert err.value.retry_after is not None and err.value.retry_after > 0
    assert "'reconciliation'" in err.value.message
    assert "Try again in" in err.value.message
    assert err.value.details["retry_after"] > 0


def test_trigger_unknown_job_lists_valid_names(ops_client: GraphOLAPClient) -> None:
    with pytest.raises(ValidationError) as err:
        ops_client.ops.trigger_job("reconcile", reason="typo")
    for name in JOB_NAMES:
        assert name in err.value.message
    with pytest.raises(ValidationError):
        ops_client.ops.trigger_job("lifecycle", reason="")


def test_job_status_after_triggers(ops_client: GraphOLAPClient, triggered: dict[str, Any]) -> None:
    jobs = ops_client.ops.get_job_status()
    assert [j.name for j in jobs.jobs] == list(JOB_NAMES)
    for name in JOB_NAMES:
        job = jobs.job(name)
        assert job.run_count >= 1
        assert job.last_success_at is not None
        assert job.last_run_at is not None
        assert (job.consecutive_failures, job.health_status) == (0, "healthy")
        assert job.next_run_at is not None  # the session platform runs its scheduler
        assert job.last_result is not None
    reconciliation = jobs.job("reconciliation")
    assert (reconciliation.schedule, reconciliation.interval_seconds) == ("every 60s", 60.0)
    assert jobs.job("schema_cache").schedule == "every 24h"


# -- state, export jobs, metrics -------------------------------------------------------


def test_state_counts(ops_client: GraphOLAPClient, client: GraphOLAPClient) -> None:
    client.mappings.create(
        "ops-state-mapping",
        "for get_state",
        node_definitions=[CUSTOMER, ACCOUNT],
        edge_definitions=[],
    )
    state = ops_client.ops.get_state()
    assert state.mappings["total"] >= 1
    for part in (state.instances, state.snapshots, state.export_jobs):
        assert part["total"] == sum(part["by_status"].values())
    assert "without_pod_name" in state.instances


def test_export_jobs_listing_and_validation(ops_client: GraphOLAPClient) -> None:
    assert isinstance(ops_client.ops.get_export_jobs(), list)
    assert isinstance(ops_client.ops.get_export_jobs(status="failed", limit=5), list)
    with pytest.raises(ValidationError) as bad_status:
        ops_client.ops.get_export_jobs(status="running")
    assert "pending, claimed, completed, failed" in bad_status.value.message
    with pytest.raises(ValidationError) as bad_limit:
        ops_client.ops.get_export_jobs(limit=0)
    assert "limit must be between 1 and 100" in bad_limit.value.message
    assert len(ops_client.ops.get_export_jobs(limit=101)) <= 100  # clamped, as in the design


def test_metrics(
    ops_client: GraphOLAPClient, admin_client: GraphOLAPClient, triggered: dict[str, Any]
) -> None:
    ops_client.ops.get_state()
    text = ops_client.ops.get_metrics()
    assert 'graph_olap_job_runs_total{job="schema_cache",outcome="success"}' in text
    lines = text.splitlines()
    assert any(line.startswith("instances_by_status_total{") for line in lines)
    assert any(line.startswith("snapshots_by_status_total{") for line in lines)
    assert any(line.startswith("export_jobs_by_status_total{") for line in lines)
    assert any(line.startswith("mappings_total ") for line in lines)
    requests = 'graph_olap_http_requests_total{method="GET",route="/api/ops/state",status="200"}'
    assert requests in text
    assert "graph_olap_http_request_duration_seconds_bucket" in text
    assert "graph_olap_job_last_success_timestamp_seconds" in text
    assert "graph_olap_job_consecutive_failures" in text
    assert "graph_olap_job_runs_total" in admin_client.ops.get_metrics()


def test_metrics_content_type(server: ServerThread) -> None:
    answer = httpx.get(f"{server.url}/metrics", headers={"X-Username": "ops"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")


# -- permissions -------------------------------------------------------------------------

OPS_CALLS: list[tuple[str, Callable[[GraphOLAPClient], Any]]] = [
    ("get_lifecycle_config", lambda c: c.ops.get_lifecycle_config()),
    (
        "update_lifecycle_config",
        lambda c: c.ops.update_lifecycle_config(instance={"default_ttl": "PT1H"}),
    ),
    ("get_concurrency_config", lambda c: c.ops.get_concurrency_config()),
    ("update_concurrency_config", lambda c: c.ops.update_concurrency_config(per_analyst=1)),
    ("get_maintenance_mode", lambda c: c.ops.get_maintenance_mode()),
    ("set_maintenance_mode", lambda c: c.ops.set_maintenance_mode(True, "mine now")),
    ("get_export_config", lambda c: c.ops.get_export_config()),
    ("update_export_config", lambda c: c.ops.update_export_config(600)),
    ("get_cluster_health", lambda c: c.ops.get_cluster_health()),
    ("get_cluster_instances", lambda c: c.ops.get_cluster_instances()),
    ("trigger_job", lambda c: c.ops.trigger_job("lifecycle", reason="not allowed")),
    ("get_job_status", lambda c: c.ops.get_job_status()),
    ("get_state", lambda c: c.ops.get_state()),
    ("get_export_jobs", lambda c: c.ops.get_export_jobs()),
    ("get_metrics", lambda c: c.ops.get_metrics()),
]


@pytest.mark.parametrize(("method", "call"), OPS_CALLS, ids=[name for name, _ in OPS_CALLS])
def test_analysts_are_forbidden(
    client: GraphOLAPClient, method: str, call: Callable[[GraphOLAPClient], Any]
) -> None:
    with pytest.raises(ForbiddenError) as err:
        call(client)
    assert "ops or admin role" in err.value.message


@pytest.mark.parametrize(("method", "call"), OPS_CALLS, ids=[name for name, _ in OPS_CALLS])
def test_anonymous_must_authenticate(
    anonymous: GraphOLAPClient, method: str, call: Callable[[GraphOLAPClient], Any]
) -> None:
    with pytest.raises(AuthenticationError):
        call(anonymous)


def test_refused_calls_changed_nothing(ops_client: GraphOLAPClient) -> None:
    assert ops_client.ops.get_maintenance_mode().enabled is False
    assert ops_client.ops.get_concurrency_config().per_analyst == 5
    assert ops_client.ops.get_export_config().max_duration_seconds == 3600


def test_admins_may_use_ops(admin_client: GraphOLAPClient) -> None:
    assert admin_client.ops.get_cluster_health().components["database"].status == "healthy"
    assert admin_client.ops.get_state().mappings["total"] >= 0


# -- platforms of their own: scheduler, seeded rows, restarts -------------------------------


def _own_settings(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, sample_warehouse=False, **overrides)


def test_scheduler_runs_jobs_on_schedule(tmp_path: Path) -> None:
    settings = _own_settings(tmp_path, job_intervals=(("schema_cache", 0.2),))
    with (
        ServerThread(settings) as running,
        GraphOLAPClient(running.url, username="ops") as ops_client,
    ):

        def runs() -> Any:
            job = ops_client.ops.get_job_status().job("schema_cache")
            return job if job.run_count >= 2 else None

        job = wait_for(runs, "two scheduled runs of schema_cache", 30)
        assert (job.schedule, job.interval_seconds) == ("every 0.2s", 0.2)
        assert job.health_status == "healthy"
        assert job.next_run_at is not None
        assert ops_client.ops.get_job_status().job("reconciliation").run_count == 0  # 60 s away


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Settings, dict[str, int]]]:
    """A platform directory with instances, snapshots and export jobs in known states
    (written straight into its database: those resources have no API yet)."""
    from graph_olap_server import db
    from graph_olap_server.app import open_platform

    # run_workers=False: no exporter re-queueing the seeded exports, no restart adoption
    # failing the seeded instances (they have no wrapper processes)
    settings = _own_settings(tmp_path, run_scheduler=False, run_workers=False)
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead_pid, alive_pid = finished.pid, os.getpid()
    now = dt.datetime.now(UTC)
    ago = lambda **kw: now - dt.timedelta(**kw)  # noqa: E731
    platform = open_platform(settings)
    try:
        with platform.db.transaction() as session:
            mapping = db.Mapping(name="seed", owner_username="alice")
            session.add(mapping)
            session.flush()
            snaps = {
                status: db.Snapshot(
                    mapping_id=mapping.id,
                    mapping_version=1,
                    name=f"s-{status}",
                    owner_username="alice",
                    status=status,
                )
                for status in ("creating", "ready")
            }
            session.add_all(snaps.values())
            session.flush()
            exports = [  # oldest first
                ("node", "Customer", "claimed", snaps["creating"], ago(hours=3)),
                ("edge", "OWNS", "pending", snaps["creating"], ago(hours=2)),
                ("node", "Account", "completed", snaps["ready"], ago(hours=1)),
                ("node", "Fresh", "pending", snaps["creating"], ago(seconds=5)),
            ]
            for kind, name, status, snap, when in exports:
                session.add(
                    db.ExportJob(
                        snapshot_id=snap.id,
                        entity_type=kind,
                        entity_name=name,
                        status=status,
                        created_at=when,
                        updated_at=when,
                    )
                )
            instances = [
                ("dead", "alice", "running", dead_pid, {}),
                ("alive", "bob", "running", alive_pid, {}),
                ("no-pid", "alice", "starting", None, {}),
                ("expired", "carol", "running", alive_pid, {"expires_at": ago(minutes=1)}),
                (
                    "idle",
                    "carol",
                    "running",
                    alive_pid,
                    {"inactivity_timeout": "PT1H", "last_activity_at": ago(hours=2)},
                ),
                ("old", "dave", "terminated", None, {}),
            ]
            for name, owner, status, pid, extra in instances:
                session.add(
                    db.Instance(
                        name=name,
                        owner_username=owner,
                        status=status,
                        pid=pid,
                        snapshot_id=snaps["ready"].id,
                        **extra,
                    )
                )
        ids = {"creating": snaps["creating"].id, "dead_pid": dead_pid}
    finally:
        platform.warehouse.close()
        platform.db.dispose()
    yield settings, ids


def test_state_and_cluster_views_of_seeded_platform(
    seeded: tuple[Settings, dict[str, int]],
) -> None:
    settings, _ids = seeded
    with (
        ServerThread(settings) as running,
        GraphOLAPClient(running.url, username="ops") as ops_client,
    ):
        state = ops_client.ops.get_state()
        assert state.instances == {
            "total": 6,
            "by_status": {
                "waiting_for_snapshot": 0,
                "starting": 1,
                "running": 4,
                "stopping": 0,
                "terminated": 1,
                "failed": 0,
            },
            "without_pod_name": 1,
        }
        assert state.snapshots == {
            "total": 2,
            "by_status": {"pending": 0, "creating": 1, "ready": 1, "failed": 0},
        }
        assert state.export_jobs["by_status"] == {
            "pending": 2,
            "claimed": 1,
            "completed": 1,
            "failed": 0,
        }
        assert state.mappings == {"total": 1}

        usage = ops_client.ops.get_cluster_instances()
        assert usage.total == 6
        assert usage.by_owner == [
            {"owner_username": "alice", "count": 2},
            {"owner_username": "carol", "count": 2},
            {"owner_username": "bob", "count": 1},
        ]
        assert (usage.limits.cluster_used, usage.limits.cluster_available) == (5, 45)

        newest_first = ops_client.ops.get_export_jobs()
        assert [j.entity_name for j in newest_first] == ["Fresh", "Account", "OWNS", "Customer"]
        assert [j.entity_name for j in ops_client.ops.get_export_jobs(limit=2)] == [
            "Fresh",
            "Account",
        ]
        pending = ops_client.ops.get_export_jobs(status="pending")
        assert {j.entity_name for j in pending} == {"Fresh", "OWNS"}

        metrics = ops_client.ops.get_metrics().splitlines()
        assert 'instances_by_status_total{status="running"} 4.0' in metrics
        assert 'export_jobs_by_status_total{status="pending"} 2.0' in metrics
        assert "mappings_total 1.0" in metrics


def test_jobs_repair_seeded_platform(seeded: tuple[Settings, dict[str, int]]) -> None:
    settings, ids = seeded
    with (
        ServerThread(settings) as running,
        GraphOLAPClient(running.url, username="ops") as ops_client,
    ):
        ops = ops_client.ops
        reconciled = ops.trigger_job("reconciliation", reason="seeded")
        assert reconciled.result == {"checked": 4, "marked_failed": 1}

        ended = ops.trigger_job("lifecycle", reason="seeded")
        assert ended.result == {"checked": 4, "expired": 1, "inactive": 1, "terminated": 2}

        exports = ops.trigger_job("export_reconciliation", reason="seeded")
        assert exports.result == {
            "checked": 3,
            "failed_export_jobs": 2,
            "failed_snapshots": 1,
            "max_duration_seconds": 3600,
        }

        state = ops.get_state()
        assert state.instances["by_status"] == {
            "waiting_for_snapshot": 0,
            "starting": 1,
            "running": 1,
            "stopping": 0,
            "terminated": 3,
            "failed": 1,
        }
        assert state.snapshots["by_status"] == {
            "pending": 0,
            "creating": 0,
            "ready": 1,
            "failed": 1,
        }
        failed = ops.get_export_jobs(status="failed")
        assert {j.entity_name for j in failed} == {"Customer", "OWNS"}
        assert all("3600 s" in (j.error_message or "") for j in failed)
        assert all(j.snapshot_id == ids["creating"] for j in failed)
        assert ops.get_cluster_instances().limits.cluster_used == 2

        again = ops.get_job_status()
        assert [again.job(n).run_count for n in JOB_NAMES[:3]] == [1, 1, 1]
        assert again.job("reconciliation").next_run_at is None  # scheduler off here


def test_rate_limit_and_job_history_survive_a_restart(tmp_path: Path) -> None:
    settings = _own_settings(tmp_path, run_scheduler=False)
    with ServerThread(settings) as first, GraphOLAPClient(first.url, username="ops") as ops_client:
        assert (
            ops_client.ops.trigger_job("lifecycle", reason="before restart").status == "completed"
        )
    with ServerThread(settings) as second, GraphOLAPClient(second.url, username="admin") as admin:
        with pytest.raises(RateLimitError) as err:
            admin.ops.trigger_job("lifecycle", reason="after restart")
        assert err.value.retry_after is not None and 0 < err.value.retry_after <= 60
        assert "'lifecycle'" in err.value.message
        job = admin.ops.get_job_status().job("lifecycle")
        assert (job.run_count, job.health_status) == (1, "healthy")


# -- the scheduler itself (no HTTP) --------------------------------------------------------


@pytest.fixture
def own_platform(tmp_path: Path) -> Iterator[Any]:
    from graph_olap_server.app import open_platform

    platform = open_platform(_own_settings(tmp_path))
    try:
        yield platform
    finally:
        platform.scheduler.stop()
        platform.warehouse.close()
        platform.db.dispose()


def test_failing_job_is_recorded_and_the_thread_survives(own_platform: Any) -> None:
    from graph_olap_server.jobs.scheduler import JobScheduler

    scheduler = JobScheduler(own_platform.scheduler.context, own_platform.metrics)
    calls = {"n": 0}

    def flaky(_platform: Any) -> dict[str, Any]:
        calls["n"] += 1
        raise RuntimeError(f"warehouse exploded (call {calls['n']})")

    def status(name: str) -> dict[str, Any]:
        return next(s for s in scheduler.status() if s["name"] == name)

    scheduler.register("flaky", flaky, 0.05)
    scheduler.start()
    try:
        first = status("reconciliation")
        assert first["run_count"] == 0 and first["health_status"] == "unknown"
        assert first["next_run_at"] > dt.datetime.now(UTC) + dt.timedelta(seconds=50)

        failing = wait_for(
            lambda: (s := status("flaky"))["consecutive_failures"] >= 3 and s,
            "three failed runs",
            30,
        )
        assert failing["health_status"] == "unhealthy"
        assert "RuntimeError: warehouse exploded" in failing["last_error"]
        assert failing["last_failure_at"] is not None and failing["last_success_at"] is None
        assert scheduler.running

        metrics = own_platform.metrics.render().decode()
        assert 'graph_olap_job_runs_total{job="flaky",outcome="failure"}' in metrics

        scheduler.register("flaky", lambda _p: {"fixed": True}, 0.05)
        healed = wait_for(
            lambda: (s := status("flaky"))["health_status"] == "healthy" and s,
            "a successful run after the failures",
            30,
        )
        assert healed["consecutive_failures"] == 0
        assert healed["last_result"] == {"fixed": True}
    finally:
        began = time.monotonic()
        scheduler.stop()
        assert time.monotonic() - began < 5
    assert not scheduler.running
    outcome = scheduler.run("flaky")  # runs on demand while stopped
    assert (outcome["status"], outcome["result"]) == ("completed", {"fixed": True})


def test_runs_of_one_job_never_overlap(own_platform: Any) -> None:
    scheduler = own_platform.scheduler
    active, peak, guard = [0], [0], threading.Lock()
    release = threading.Event()

    def slow(_platform: Any) -> dict[str, Any]:
        with guard:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        release.wait(0.2)
        with guard:
            active[0] -= 1
        return {}

    scheduler.register("slow", slow, 0)
    threads = [threading.Thread(target=scheduler.run, args=("slow",)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak[0] == 1
    assert next(s for s in scheduler.status() if s["name"] == "slow")["run_count"] == 3


def test_maintenance_guard(own_platform: Any) -> None:
    from graph_olap_server.config_store import get_config, maintenance_guard, set_config
    from graph_olap_server.errors import APIError

    with own_platform.db.session() as session:
        maintenance_guard(session)  # off by default: no error
        set_config(session, "maintenance", {"enabled": True, "message": "Upgrade"}, "ops")
        session.commit()
        assert get_config(session, "maintenance")["enabled"] is True
        with pytest.raises(APIError) as err:
            maintenance_guard(session)
    assert (err.value.status_code, err.value.code) == (503, "MAINTENANCE_MODE")
    assert err.value.message == "The platform is in maintenance mode: Upgrade. Try again later."
    assert err.value.headers == {"x-should-retry": "false"}
