"""``ModelDict``: the results the design declares as ``dict`` are real dicts of JSON values
that keep typed attributes, their notebook cards, copies and pickling (issue 12, point 1)."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pydantic
import pytest
from pydantic import Field

from graph_olap.models import (
    BulkDeleteResult,
    DefinitionChange,
    ExportJob,
    JobsStatus,
    JobStatus,
    JobTriggerResult,
    MappingDiff,
    MappingDiffSummary,
    MappingTree,
    ModelDict,
    SystemState,
)

DIFF = {
    "mapping_id": 7,
    "from_version": 1,
    "to_version": 2,
    "summary": {"nodes_added": 1, "edges_removed": 1},
    "nodes": [{"key": "Account", "change": "added", "after": {"sql": "SELECT 1"}}],
    "edges": [{"key": "OWNS", "change": "removed", "before": {"sql": "SELECT 2"}}],
    "added_by_a_newer_server": {"x": 1},
}
JOBS = {
    "jobs": [
        {
            "name": "lifecycle",
            "schedule": "every 60s",
            "last_run_at": "2026-12-05T09:30:00Z",
            "health_status": "healthy",
            "run_count": 3,
        },
        {"name": "export_reconciliation", "schedule": "every 300s"},
    ]
}
STATE = {
    "instances": {
        "total": 2,
        "by_status": {"running": 2, "starting": 0, "failed": 0},
        "without_pod_name": 0,
    },
    "snapshots": {"total": 0, "by_status": {"pending": 0, "ready": 0}},
    "export_jobs": {"total": 0, "by_status": {"pending": 0}},
    "mappings": {"total": 3},
}
BULK = {
    "dry_run": True,
    "resource_type": "instance",
    "matched_count": 2,
    "matched_ids": [4, 9],
}
TRIGGER = {
    "job_name": "reconciliation",
    "status": "completed",
    "triggered_at": "2026-12-05T10:00:00+00:00",
    "triggered_by": "ops",
    "reason": "smoke test",
    "result": {"checked": 4},
}
EXPORT = {
    "id": 1,
    "snapshot_id": 2,
    "entity_type": "node",
    "entity_name": "Customer",
    "status": "failed",
    "error_message": "warehouse timeout",
    "created_at": "2026-12-05T08:00:00Z",
}
TREE = {
    "mapping_id": 7,
    "name": "customers",
    "current_version": 2,
    "versions": [{"version": 1, "snapshots": []}, {"version": 2, "snapshots": [{"id": 5}]}],
}

ALL = [
    (MappingDiff, DIFF),
    (MappingTree, TREE),
    (JobsStatus, JOBS),
    (JobTriggerResult, TRIGGER),
    (SystemState, STATE),
    (ExportJob, EXPORT),
    (BulkDeleteResult, BULK),
]
IDS = [cls.__name__ for cls, _ in ALL]


@pytest.mark.parametrize(("cls", "data"), ALL, ids=IDS)
def test_each_result_is_a_real_dict_of_json_values(cls: type[ModelDict], data: Any) -> None:
    result = cls.model_validate(data)
    assert isinstance(result, dict) and isinstance(result, cls)
    known = {k: v for k, v in data.items() if k in cls.shape().model_fields}
    assert set(result) == set(cls.shape().model_fields) | set(data)  # defaults and extras
    for key, value in known.items():
        if not isinstance(value, (dict, list)) and key not in ("triggered_at", "created_at"):
            assert result[key] == value
    assert json.loads(json.dumps(result)) == result
    assert list(result.keys()) == list(result) and len(result.items()) == len(result)
    assert cls.from_api_response(data) == result == cls.from_dict(data) == cls(data)
    assert type(result.to_dict()) is dict and result.to_dict() == result


def test_items_hold_json_and_attributes_typed_values() -> None:
    diff = MappingDiff.model_validate(DIFF)
    assert "summary" in diff and "nodes_added" in diff["summary"]
    assert diff["summary"]["nodes_added"] == 1 == diff.summary.nodes_added
    assert isinstance(diff["summary"], dict) and isinstance(diff.summary, MappingDiffSummary)
    assert diff["nodes"][0]["key"] == "Account"
    assert isinstance(diff.nodes[0], DefinitionChange) and diff.nodes[0].change == "added"
    assert not diff.is_empty

    status = JobsStatus.model_validate(JOBS)
    assert status["jobs"][0]["last_run_at"] == "2026-12-05T09:30:00Z"
    assert status.jobs[0].last_run_at == datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc)
    assert status["jobs"][1]["health_status"] == "unknown"  # defaults are items too
    assert isinstance(status.job("lifecycle"), JobStatus)
    assert status.job("lifecycle").run_count == 3
    with pytest.raises(KeyError, match="no job named 'nope'"):
        status.job("nope")

    trigger = JobTriggerResult.model_validate(TRIGGER)
    assert trigger["triggered_at"] == "2026-12-05T10:00:00Z"  # JSON: an ISO string
    assert trigger.triggered_at == datetime(2026, 12, 5, 10, tzinfo=timezone.utc)
    assert trigger.result == trigger["result"] == {"checked": 4}

    state = SystemState.model_validate(STATE)
    assert (
        state["instances"]["by_status"]["running"] == 2 == state.instances["by_status"]["running"]
    )
    assert BulkDeleteResult.model_validate(BULK).matched_ids == [4, 9]
    assert ExportJob.model_validate(EXPORT)["row_count"] is None


def test_unknown_fields_are_kept_and_missing_required_ones_refused() -> None:
    diff = MappingDiff.model_validate(DIFF)
    assert diff["added_by_a_newer_server"] == {"x": 1}
    with pytest.raises(pydantic.ValidationError, match="summary"):
        MappingDiff.model_validate({"mapping_id": 1, "from_version": 1, "to_version": 2})
    with pytest.raises(pydantic.ValidationError, match="matched_count"):
        BulkDeleteResult.model_validate({**BULK, "matched_count": "many"})


def test_an_unknown_attribute_names_the_fields_and_attributes_are_read_only() -> None:
    result = BulkDeleteResult.model_validate(BULK)
    with pytest.raises(AttributeError) as err:
        result.matched  # type: ignore[attr-defined]  # noqa: B018
    assert "'matched'" in str(err.value) and "matched_count, matched_ids" in str(err.value)
    assert "result[key]" in str(err.value)
    with pytest.raises(AttributeError, match=r"cannot be assigned.*model_validate"):
        result.matched_count = 3
    assert "matched_ids" in dir(result) and "keys" in dir(result)
    assert not hasattr(result, "_repr_markdown_")  # notebooks probe display hooks


def test_editing_items_leaves_attributes_until_validated_again() -> None:
    result = BulkDeleteResult.model_validate(BULK)
    result["matched_count"] = 5
    assert result.matched_count == 2  # the attributes are the result as validated
    fresh = BulkDeleteResult.model_validate(result)
    assert fresh.matched_count == 5 and fresh == result


def test_keyword_construction_like_a_model() -> None:
    summary = MappingDiffSummary(nodes_added=2)
    diff = MappingDiff(mapping_id=1, from_version=1, to_version=1, summary=summary)
    assert diff["summary"]["nodes_added"] == 2 and diff.summary == summary
    assert diff.is_empty and diff["nodes"] == []
    assert SystemState() == {"instances": {}, "snapshots": {}, "export_jobs": {}, "mappings": {}}
    again = MappingDiff(diff, to_version=2)
    assert (again.to_version, again["to_version"], diff.to_version) == (2, 2, 1)


@pytest.mark.parametrize(("cls", "data"), ALL, ids=IDS)
def test_pickle_copy_and_deepcopy_keep_class_items_and_attributes(
    cls: type[ModelDict], data: Any
) -> None:
    result = cls.model_validate(data)
    for clone in (
        pickle.loads(pickle.dumps(result)),
        copy.copy(result),
        copy.deepcopy(result),
    ):
        assert type(clone) is cls and clone == result and clone is not result
        assert clone.model == result.model


def test_default_factories_are_not_shared_between_results() -> None:
    first = BulkDeleteResult.model_validate(BULK)
    second = BulkDeleteResult.model_validate(BULK)
    assert first.deleted_ids is not second.deleted_ids
    assert "deleted_ids" not in vars(BulkDeleteResult)  # no class attribute shadows the field


def test_cards_and_reprs_are_the_models() -> None:
    diff = MappingDiff.model_validate(DIFF)
    html = diff._repr_html_()
    assert "Mapping diff" in html and "v1 \u2192 v2" in html and "+1 added" in html
    assert repr(diff) == "<MappingDiff mapping 7 v1 -> v2: nodes +1 -0 ~0, edges +0 -1 ~0>"

    unsaved = MappingDiff.model_validate({**DIFF, "mapping_id": None, "to_version": None})
    assert repr(unsaved) == "<MappingDiff v1 -> unsaved: nodes +1 -0 ~0, edges +0 -1 ~0>"
    assert "v1 \u2192 unsaved" in unsaved._repr_html_() and unsaved["to_version"] is None

    state = SystemState.model_validate(STATE)
    html = state._repr_html_()
    assert "System state" in html and "running" in html
    assert "starting" not in html and "failed" not in html  # zero counts are left out
    assert repr(state) == "<SystemState 3 mappings, 0 snapshots, 2 instances, 0 export jobs>"

    jobs = JobsStatus.model_validate(JOBS)
    assert "export_reconciliation" in jobs._repr_html_()
    assert repr(jobs) == "<JobsStatus 2 jobs: lifecycle healthy, export_reconciliation unknown>"
    trigger = JobTriggerResult.model_validate(TRIGGER)
    assert "Job run" in trigger._repr_html_()
    assert repr(trigger).startswith("JobTriggerResult(job_name='reconciliation'")
    assert "Bulk delete" in BulkDeleteResult.model_validate(BULK)._repr_html_()
    assert "warehouse timeout" in ExportJob.model_validate(EXPORT)._repr_html_()
    assert "Mapping tree" in MappingTree.model_validate(TREE)._repr_html_()


def test_a_subclass_with_its_own_fields_and_a_field_that_would_hide_dict() -> None:
    class Count(ModelDict):
        """Counts."""

        name: str
        total: int = 0
        tags: list[str] = Field(default_factory=list)

        @property
        def label(self) -> str:
            return f"{self.name}={self.total}"

    count = Count.model_validate({"name": "runs", "total": "3"})
    assert count == {"name": "runs", "total": 3, "tags": []} and count.label == "runs=3"
    assert Count.shape().__name__ == "Count" and Count.shape() is Count.shape()

    class More(Count):
        extra: bool = False

    assert list(More.model_validate({"name": "x"})) == ["name", "total", "tags", "extra"]
    with pytest.raises(TypeError, match="would hide dict's or ModelDict's 'items'"):

        class Bad(ModelDict):
            items: list[int]


def test_mypy_sees_the_typed_attributes_and_flags_typos(tmp_path: Path) -> None:
    source = tmp_path / "uses.py"
    source.write_text(
        textwrap.dedent(
            """\
            from datetime import datetime
            from typing import Any

            from graph_olap.models import (
                BulkDeleteResult, JobsStatus, JobStatus, JobTriggerResult, MappingDiff,
                MappingDiffSummary,
            )


            def use(
                d: MappingDiff, j: JobsStatus, b: BulkDeleteResult, t: JobTriggerResult
            ) -> None:
                summary: MappingDiffSummary = d.summary
                added: int = d.summary.nodes_added
                empty: bool = d.is_empty
                job: JobStatus = j.job("lifecycle")
                ids: list[int] = b.matched_ids
                when: datetime | None = t.triggered_at
                plain: dict[str, Any] = d
                d.summry
                wrong: str = d.summary.nodes_added
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / "cache"), "--config-file", "", str(source)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    errors = [
        line.split(": error: ", 1)[1] for line in run.stdout.splitlines() if ": error: " in line
    ]
    assert errors == [
        '"MappingDiff" has no attribute "summry"; maybe "summary"?  [attr-defined]',
        'Incompatible types in assignment (expression has type "int", variable has type '
        '"str")  [assignment]',
    ], run.stdout + run.stderr
