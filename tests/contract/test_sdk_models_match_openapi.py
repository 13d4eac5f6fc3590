"""The SDK's response models and the control plane's OpenAPI document agree, both ways.

For each SDK model, the answer of one operation is located in the control plane's OpenAPI
document (through its ``data`` envelope and any nesting) and compared field by field:

- a field the SDK models is sent by the server, with a compatible JSON type (``null``
  only where the SDK accepts ``None``; an integer where the SDK takes a number is fine);
- a field the SDK *requires* is required on the server;
- a field the server sends is modelled by the SDK, or listed in :data:`NOT_MODELLED` with
  the reason the SDK does without it.

The document is built from the app (``app.openapi()``), as the fuzzing suite does; no
server runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from graph_olap import models as sdk
from graph_olap.models import ModelDict
from graph_olap.models import dry_run as dry  # helper L4: its nested models
from graph_olap.models import job as jobs  # helper J: jobs
from graph_olap_server.app import create_app
from graph_olap_server.settings import Settings

MAPPING = "/api/mappings/{mapping_id}"
DIFF = "/api/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}"

DOCUMENT = create_app(Settings(data_dir=Path("/nonexistent/graph-olap-contract"))).openapi()

# (SDK model, method, path, steps from the answer's ``data`` to the model's object:
#  a property name, "[]" for the items of an array, "{}" for the values of a map)
CASES: list[tuple[Any, str, str, tuple[str, ...]]] = [
    (sdk.Mapping, "get", "/api/mappings/{mapping_id}", ()),
    (sdk.Mapping, "get", "/api/mappings", ("[]",)),
    (sdk.NodeDefinition, "get", "/api/mappings/{mapping_id}", ("node_definitions", "[]")),
    (sdk.EdgeDefinition, "get", "/api/mappings/{mapping_id}", ("edge_definitions", "[]")),
    (sdk.PrimaryKey, "get", MAPPING, ("node_definitions", "[]", "primary_key")),
    (sdk.PropertyDefinition, "get", "/api/mappings/{mapping_id}",
     ("node_definitions", "[]", "properties", "[]")),
    (sdk.MappingVersion, "get", "/api/mappings/{mapping_id}/versions/{version}", ()),
    (sdk.MappingVersion, "get", "/api/mappings/{mapping_id}/versions", ("[]",)),
    (sdk.MappingDiff, "get", DIFF, ()),
    (sdk.MappingDiffSummary, "get", DIFF, ("summary",)),
    (sdk.DefinitionChange, "get", DIFF, ("nodes", "[]")),
    (sdk.MappingTree, "get", "/api/mappings/{mapping_id}/tree", ()),
    (sdk.DryRunReport, "post", "/api/mappings/{mapping_id}/dry-run", ()),  # helper L4
    (sdk.DryRunReport, "post", "/api/mappings/dry-run", ()),
    (dry.NodeDryRun, "post", "/api/mappings/dry-run", ("nodes", "[]")),
    (dry.EdgeDryRun, "post", "/api/mappings/dry-run", ("edges", "[]")),
    (dry.DuplicateKeys, "post", "/api/mappings/dry-run", ("nodes", "[]", "duplicate_keys")),
    (dry.DuplicateKey, "post", "/api/mappings/dry-run",
     ("nodes", "[]", "duplicate_keys", "examples", "[]")),
    (dry.TypeMismatch, "post", "/api/mappings/dry-run", ("nodes", "[]", "type_errors", "[]")),
    (dry.DanglingEnds, "post", "/api/mappings/dry-run", ("edges", "[]", "dangling", "[]")),
    (dry.InstanceEstimate, "post", "/api/mappings/dry-run", ("estimate",)),
    (sdk.Snapshot, "get", "/api/snapshots/{snapshot_id}", ()),
    (sdk.Snapshot, "get", "/api/snapshots", ("[]",)),
    (sdk.Snapshot, "get", "/api/mappings/{mapping_id}/snapshots", ("[]",)),
    (sdk.SnapshotProgress, "get", "/api/snapshots/{snapshot_id}/progress", ()),
    (sdk.Instance, "get", "/api/instances/{instance_id}", ()),
    (sdk.Instance, "get", "/api/instances", ("[]",)),
    (sdk.InstanceProgress, "get", "/api/instances/{instance_id}/progress", ()),
    (sdk.Favorite, "get", "/api/favorites", ("[]",)),
    (sdk.Catalog, "get", "/api/schema/catalogs", ("[]",)),
    (sdk.Schema, "get", "/api/schema/catalogs/{catalog}/schemas", ("[]",)),
    (sdk.Table, "get", "/api/schema/catalogs/{catalog}/schemas/{schema}/tables", ("[]",)),
    (sdk.Table, "get", "/api/schema/search/tables", ("[]",)),
    (sdk.Column, "get", "/api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns",
     ("[]",)),
    (sdk.Column, "get", "/api/schema/search/columns", ("[]",)),
    (sdk.CacheStats, "get", "/api/schema/stats", ()),
    (sdk.LifecycleConfig, "get", "/api/config/lifecycle", ()),
    (sdk.ResourceLifecycleConfig, "get", "/api/config/lifecycle", ("instance",)),
    (sdk.ConcurrencyConfig, "get", "/api/config/concurrency", ()),
    (sdk.MaintenanceMode, "get", "/api/config/maintenance", ()),
    (sdk.ExportConfig, "get", "/api/config/export", ()),
    (sdk.ClusterHealth, "get", "/api/cluster/health", ()),
    (sdk.ComponentHealth, "get", "/api/cluster/health", ("components", "{}")),
    (sdk.ClusterInstances, "get", "/api/cluster/instances", ()),
    (sdk.InstanceLimits, "get", "/api/cluster/instances", ("limits",)),
    (sdk.HealthStatus, "get", "/health", ()),
    (sdk.HealthStatus, "get", "/ready", ()),
    (sdk.JobsStatus, "get", "/api/ops/jobs/status", ()),
    (sdk.JobStatus, "get", "/api/ops/jobs/status", ("jobs", "[]")),
    (sdk.JobTriggerResult, "post", "/api/ops/jobs/trigger", ()),
    (sdk.SystemState, "get", "/api/ops/state", ()),
    (sdk.ExportJob, "get", "/api/ops/export-jobs", ("[]",)),
    (sdk.BulkDeleteResult, "delete", "/api/admin/resources/bulk", ()),
    # jobs (helper J)
    (jobs.JobRecord, "get", "/api/jobs/{job_id}", ()),
    (jobs.JobRecord, "post", "/api/jobs/{job_id}/cancel", ()),
    (jobs.JobRecord, "post", "/api/admin/resources/bulk/jobs", ()),
    (jobs.JobList, "get", "/api/jobs", ()),
    (jobs.JobRecord, "get", "/api/jobs", ("jobs", "[]")),
    (jobs.UnansweredWrapper, "get", "/api/jobs", ("unanswered", "[]")),
]  # fmt: skip

NOT_MODELLED: dict[tuple[str, str], str] = {
    # /ready adds an error document on 503, which the SDK raises as an exception instead.
    ("HealthStatus", "error"): "a 503 from /ready is raised as ServiceUnavailableError",
}
"""Fields the server sends that an SDK model leaves out on purpose, with the reason."""

NOT_SENT: dict[tuple[str, str, str], str] = {
    # HealthStatus reads both /health and /ready; only /ready checks the parts.
    ("HealthStatus", "/health", "database"): "only /ready reports the database",
    ("HealthStatus", "/health", "warehouse"): "only /ready reports the warehouse",
}
"""Optional SDK fields one answer (model, path) never sends, with the reason."""


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``X | None`` as ``X`` (one non-null branch of an ``anyOf``)."""
    schema = _resolve(schema)
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    return _resolve(branches[0]) if len(branches) == 1 else schema


def _answer(method: str, path: str) -> dict[str, Any]:
    responses = DOCUMENT["paths"][path][method]["responses"]
    status = next(s for s in responses if s.startswith("2"))
    return _resolve(responses[status]["content"]["application/json"]["schema"])


def server_object(method: str, path: str, steps: tuple[str, ...]) -> dict[str, Any]:
    """The object schema the SDK model reads: the answer's ``data`` (the answer itself
    for the bare ``/health`` and ``/ready``), then ``steps``."""
    schema = _answer(method, path)
    if "data" in schema.get("properties", {}):
        schema = _resolve(schema["properties"]["data"])
    for step in steps:
        schema = _non_null(schema)
        if step == "[]":
            schema = schema["items"]
        elif step == "{}":
            schema = schema["additionalProperties"]
        else:
            schema = schema["properties"][step]
    return _non_null(schema)


def sdk_model(model: Any) -> type[BaseModel]:
    shaped: type[BaseModel] = model.shape() if issubclass(model, ModelDict) else model
    return shaped


def _kinds(schema: dict[str, Any], defs: dict[str, Any]) -> set[str] | None:
    """The JSON types a schema allows (``None``: any)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _kinds(defs.get(name) or DOCUMENT["components"]["schemas"][name], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            out: set[str] = set()
            for branch in schema[key]:
                kinds = _kinds(branch, defs)
                if kinds is None:
                    return None
                out |= kinds
            return out
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return set(types)
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        names = {bool: "boolean", int: "integer", float: "number", str: "string"}
        return {names.get(type(v), "null") for v in values}
    if "properties" in schema:
        return {"object"}
    return None


def _accepts(sdk_kinds: set[str] | None, server_kinds: set[str] | None) -> bool:
    if sdk_kinds is None:
        return True
    if server_kinds is None:
        return False
    widened = sdk_kinds | ({"integer"} if "number" in sdk_kinds else set())
    return server_kinds <= widened


def mismatches(model: Any, server: dict[str, Any], path: str = "") -> list[str]:
    """Every disagreement between the SDK model and the server's object schema (of the
    answer of ``path``)."""
    shaped = sdk_model(model)
    name = model.__name__
    sdk_schema = shaped.model_json_schema(mode="validation")
    defs = sdk_schema.get("$defs", {})
    sdk_fields = sdk_schema.get("properties", {})
    served = server.get("properties", {})
    required = set(server.get("required", []))
    problems = []
    for field, info in shaped.model_fields.items():
        key = info.alias or field
        if key not in served:
            if not info.is_required() and (name, path, key) in NOT_SENT:
                continue
            problems.append(f"{name}.{key}: the SDK reads it, the server never sends it")
            continue
        if info.is_required() and key not in required:
            problems.append(f"{name}.{key}: required by the SDK, optional on the server")
        sdk_kinds = _kinds(sdk_fields[key], defs)
        server_kinds = _kinds(served[key], {})
        if not _accepts(sdk_kinds, server_kinds):
            problems.append(
                f"{name}.{key}: the server sends {sorted(server_kinds or ['anything'])}, "
                f"the SDK accepts {sorted(sdk_kinds or [])}"
            )
    modelled = {info.alias or field for field, info in shaped.model_fields.items()}
    for key in served:
        if key not in modelled and (name, key) not in NOT_MODELLED:
            problems.append(
                f"{name}.{key}: the server sends it, the SDK does not model it (model it, "
                "or add it to NOT_MODELLED with the reason)"
            )
    return problems


@pytest.mark.parametrize(
    ("model", "method", "path", "steps"),
    CASES,
    ids=[
        f"{m.__name__}@{verb.upper()} {p}{''.join('/' + s for s in st)}" for m, verb, p, st in CASES
    ],
)
def test_sdk_model_matches_the_server_answer(
    model: Any, method: str, path: str, steps: tuple[str, ...]
) -> None:
    assert mismatches(model, server_object(method, path, steps), path) == []


def test_every_allowance_is_still_needed() -> None:
    """An entry of NOT_MODELLED or NOT_SENT that is no longer needed is removed: the
    server still sends the field the SDK still does not model, and still leaves out the
    field the SDK reads elsewhere."""
    models = {model.__name__: sdk_model(model) for model, *_ in CASES}
    sent = {
        (model.__name__, key)
        for model, method, path, steps in CASES
        for key in server_object(method, path, steps).get("properties", {})
    }
    for name, key in NOT_MODELLED:
        assert (name, key) in sent, f"the server no longer sends {name}.{key}"
        assert key not in models[name].model_fields, f"the SDK now models {name}.{key}"
    for name, path, key in NOT_SENT:
        sent_here = {
            k
            for model, method, p, steps in CASES
            if model.__name__ == name and p == path
            for k in server_object(method, p, steps).get("properties", {})
        }
        assert key not in sent_here, f"{path} now sends {name}.{key}"


def test_the_check_finds_a_mismatch_both_ways() -> None:
    """A server object with a field too many, one missing and one of the wrong type."""
    server = {
        "properties": {
            "catalog_name": {"type": "integer"},
            "colour": {"type": "string"},
        },
        "required": [],
    }
    found = mismatches(sdk.Catalog, server)
    assert any("Catalog.catalog_name: required by the SDK" in p for p in found), found
    assert any("Catalog.catalog_name: the server sends ['integer']" in p for p in found), found
    assert any("Catalog.schema_count: the SDK reads it" in p for p in found), found
    assert any("Catalog.colour: the server sends it" in p for p in found), found
