"""The seven methods the SDK's design declares as returning ``dict`` (issue 12, points 1
and 2), against a real platform of this module's own: each answer is a real ``dict`` of
JSON values used the way the design's examples use it, and keeps its typed attributes.

The module has its own platform (no scheduler) so the state counts are known: it creates
two mapping versions and one snapshot, never an instance, and triggers one job once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient
from graph_olap.models import (
    BulkDeleteResult,
    ExportJob,
    JobsStatus,
    JobStatus,
    JobTriggerResult,
    MappingDiff,
    MappingDiffSummary,
    MappingTree,
    SystemState,
)
from graph_olap.resources.ops import JOB_NAMES
from graph_olap_server.metrics import EXPORT_JOB_STATUSES, INSTANCE_STATUSES, SNAPSHOT_STATUSES
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .defs import ACCOUNT, CUSTOMER, OWNS


@dataclass(frozen=True)
class World:
    url: str
    mapping_id: int
    snapshot_id: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A platform with mapping ``bank`` v1 (Customer) and v2 (+ Account, OWNS), and a
    ready snapshot of v2; no instance."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("design-dicts"), run_scheduler=False)
    with (
        ServerThread(settings) as running,
        GraphOLAPClient(running.url, username="alice", max_retries=1) as alice,
    ):
        mapping = alice.mappings.create(
            name="bank", description="design dicts", node_definitions=[CUSTOMER],
            edge_definitions=[],
        )  # fmt: skip
        alice.mappings.update(
            mapping.id, change_description="accounts",
            node_definitions=[CUSTOMER, ACCOUNT], edge_definitions=[OWNS],
        )  # fmt: skip
        snapshot = alice.snapshots.create_and_wait(
            mapping.id, "bank-v2", timeout=120, poll_interval=0.2
        )
        yield World(running.url, mapping.id, snapshot.id)


def _client(world: World, username: str) -> GraphOLAPClient:
    return GraphOLAPClient(world.url, username=username, max_retries=1)


def _is_json_dict(value: Any) -> None:
    assert isinstance(value, dict)
    assert json.loads(json.dumps(value)) == value


def test_get_state_lists_every_status_zero_included(world: World) -> None:
    with _client(world, "ops") as ops:
        state = ops.ops.get_state()
    _is_json_dict(state)
    assert isinstance(state, SystemState)
    assert set(state) == {"instances", "snapshots", "export_jobs", "mappings"}
    # the design's own example, on a platform where nothing ever ran
    assert state["instances"]["by_status"]["running"] == 0
    assert state["instances"]["without_pod_name"] == 0
    assert state["instances"]["by_status"] == dict.fromkeys(INSTANCE_STATUSES, 0)
    assert state["instances"]["total"] == 0
    assert list(state["snapshots"]["by_status"]) == list(SNAPSHOT_STATUSES)
    assert state["snapshots"]["by_status"]["ready"] == 1 == state["snapshots"]["total"]
    exports = state["export_jobs"]["by_status"]
    assert list(exports) == list(EXPORT_JOB_STATUSES)
    assert exports["completed"] == 3 == state["export_jobs"]["total"]  # Customer, Account, OWNS
    assert exports["failed"] == exports["pending"] == exports["claimed"] == 0
    assert state["mappings"] == {"total": 1}
    assert state.instances["by_status"]["running"] == 0 and state.mappings["total"] == 1


def test_get_tree_is_a_dict_of_versions_snapshots_and_instances(world: World) -> None:
    with _client(world, "alice") as alice:
        tree = alice.mappings.get_tree(world.mapping_id)
    _is_json_dict(tree)
    assert isinstance(tree, MappingTree)
    assert tree["mapping_id"] == tree.mapping_id == world.mapping_id
    assert tree["name"] == tree.name == "bank"
    assert tree["current_version"] == tree.current_version == 2
    versions = {v["version"]: v for v in tree["versions"]}
    assert set(versions) == {1, 2}
    assert versions[1]["snapshots"] == []
    [snap] = versions[2]["snapshots"]
    assert (snap["id"], snap["status"], snap["instances"]) == (world.snapshot_id, "ready", [])
    assert tree.versions == tree["versions"]


def test_diff_versions_is_a_dict_with_a_summary(world: World) -> None:
    with _client(world, "alice") as alice:
        diff = alice.mappings.diff_versions(world.mapping_id, from_version=1, to_version=2)
    _is_json_dict(diff)
    assert isinstance(diff, MappingDiff)
    assert "summary" in diff and list(diff.keys()) == list(MappingDiff.shape().model_fields)
    assert diff["summary"]["nodes_added"] == 1 and diff["summary"]["edges_added"] == 1
    assert diff["summary"]["nodes_removed"] == diff["summary"]["nodes_modified"] == 0
    assert [c["key"] for c in diff["nodes"]] == ["Account"]
    assert [(c["key"], c["change"]) for c in diff["edges"]] == [("OWNS", "added")]
    assert isinstance(diff.summary, MappingDiffSummary)
    assert diff.summary.model_dump() == diff["summary"]
    assert [c.key for c in diff.nodes] == ["Account"] and not diff.is_empty
    assert (diff["from_version"], diff.to_version) == (1, 2)


def test_trigger_job_then_job_status(world: World) -> None:
    name = "reconciliation"
    with _client(world, "ops") as ops:
        result = ops.ops.trigger_job(name, reason="design dicts")
        status = ops.ops.get_job_status()
    _is_json_dict(result)
    assert isinstance(result, JobTriggerResult)
    assert (result["job_name"], result["status"]) == (name, "completed")
    assert (result["triggered_by"], result["reason"]) == ("ops", "design dicts")
    assert isinstance(result["triggered_at"], str)
    assert isinstance(result.triggered_at, datetime)
    assert result.triggered_at == datetime.fromisoformat(result["triggered_at"])

    _is_json_dict(status)
    assert isinstance(status, JobsStatus)
    assert [job["name"] for job in status["jobs"]] == list(JOB_NAMES)
    by_name = {job["name"]: job for job in status["jobs"]}
    for i, job in enumerate(status["jobs"]):  # the design's loop
        assert job["health_status"] == status.jobs[i].health_status
    assert by_name[name]["health_status"] == "healthy" and by_name[name]["run_count"] == 1
    assert all(by_name[other]["run_count"] == 0 for other in JOB_NAMES if other != name)
    assert isinstance(status.job(name), JobStatus) and status.job(name).run_count == 1
    assert isinstance(status.job(name).last_success_at, datetime)
    assert isinstance(by_name[name]["last_success_at"], str)


def test_get_export_jobs_is_a_list_of_dicts(world: World) -> None:
    with _client(world, "ops") as ops:
        jobs = ops.ops.get_export_jobs()
        failed = ops.ops.get_export_jobs(status="failed")
    assert isinstance(jobs, list) and failed == []
    assert json.loads(json.dumps(jobs)) == jobs
    assert sorted(job["entity_name"] for job in jobs) == ["Account", "Customer", "OWNS"]
    for job in jobs:
        _is_json_dict(job)
        assert isinstance(job, ExportJob)
        assert job["snapshot_id"] == job.snapshot_id == world.snapshot_id
        assert job["status"] == "completed" and job["error_message"] is None
        assert isinstance(job["created_at"], str) and isinstance(job.created_at, datetime)
        assert job["row_count"] == job.row_count and job.row_count is not None
        assert job.row_count > 0


def test_bulk_delete_dry_run_then_delete(world: World) -> None:
    with _client(world, "alice") as alice, _client(world, "admin") as admin:
        extra = alice.mappings.create(
            name="E2ETest-extra", description="to delete", node_definitions=[CUSTOMER],
            edge_definitions=[],
        )  # fmt: skip
        filters = {"name_prefix": "E2ETest-"}
        preview = admin.admin.bulk_delete(
            resource_type="mapping", filters=filters, reason="test-cleanup", dry_run=True
        )
        _is_json_dict(preview)
        assert isinstance(preview, BulkDeleteResult)
        assert preview["dry_run"] is True and preview.dry_run is True
        assert preview["matched_count"] == 1 and preview["matched_ids"] == [extra.id]
        assert preview.matched_ids == [extra.id] and preview["deleted_count"] == 0

        done = admin.admin.bulk_delete(
            resource_type="mapping", filters=filters, reason="test-cleanup",
            expected_count=preview["matched_count"], dry_run=False,
        )  # fmt: skip
        _is_json_dict(done)
        assert done["deleted_count"] == 1 and done["deleted_ids"] == [extra.id]
        assert len(done["failed_ids"]) == 0 and done.errors == []
        assert [m.id for m in alice.mappings.list(search="E2ETest-")] == []


@pytest.mark.anyio
async def test_async_client_returns_the_same_dicts(world: World) -> None:
    async with AsyncGraphOLAPClient(world.url, username="ops", max_retries=1) as ops:
        state = await ops.ops.get_state()
        diff = await ops.mappings.diff_versions(world.mapping_id, from_version=1, to_version=2)
    assert isinstance(state, SystemState) and isinstance(state, dict)
    assert state["instances"]["by_status"]["running"] == 0
    assert isinstance(diff, MappingDiff) and diff["summary"]["nodes_added"] == 1
