"""Wire shapes of mappings and their versions: requests, the mapping, a version, a diff
of two versions, the tree of versions, snapshots and instances, and a dry run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field

from graph_olap_server.api.schemas.common import Out, Strict
from graph_olap_server.definitions import EdgeDefinitionIn, NodeDefinitionIn

__all__ = [
    "DefinitionChangeOut",
    "DiffSummaryOut",
    "DryRunOut",
    "DryRunRequest",
    "EdgeDefinitionOut",
    "MappingCopy",
    "MappingCreate",
    "MappingDiffOut",
    "MappingOut",
    "MappingTreeOut",
    "MappingUpdate",
    "MappingVersionOut",
    "NodeDefinitionOut",
    "PrimaryKeyOut",
    "PropertyOut",
    "TreeInstanceOut",
    "TreeSnapshotOut",
    "TreeVersionOut",
]


class MappingCreate(Strict):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=10_000)
    node_definitions: list[NodeDefinitionIn] = Field(max_length=200)
    edge_definitions: list[EdgeDefinitionIn] = Field(default_factory=list, max_length=200)
    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class MappingUpdate(Strict):
    change_description: str = Field(min_length=1, max_length=2000)
    node_definitions: list[NodeDefinitionIn] | None = Field(default=None, max_length=200)
    edge_definitions: list[EdgeDefinitionIn] | None = Field(default=None, max_length=200)


class MappingCopy(Strict):
    name: str = Field(min_length=1, max_length=255)


class PropertyOut(Out):
    name: str
    type: str


class PrimaryKeyOut(Out):
    name: str
    type: str


class NodeDefinitionOut(Out):
    """A node label: its SQL, primary key and properties, as stored."""

    label: str
    sql: str
    primary_key: PrimaryKeyOut
    properties: list[PropertyOut]


class EdgeDefinitionOut(Out):
    """An edge type: its SQL and the key columns of its source and target nodes."""

    type: str
    from_node: str
    to_node: str
    sql: str
    from_key: str
    to_key: str
    properties: list[PropertyOut]


class MappingVersionOut(Out):
    """One immutable version of a mapping."""

    mapping_id: int
    version: int
    change_description: str | None
    node_definitions: list[NodeDefinitionOut]
    edge_definitions: list[EdgeDefinitionOut]
    created_at: dt.datetime
    created_by: str


class MappingOut(Out):
    """A mapping with the definitions of its current version.

    Example:
        >>> MappingOut.of_rows(mapping, version, snapshot_count=2)  # doctest: +SKIP
    """

    id: int
    name: str
    description: str | None
    owner_username: str
    current_version: int
    change_description: str | None
    node_definitions: list[NodeDefinitionOut]
    edge_definitions: list[EdgeDefinitionOut]
    ttl: str | None
    inactivity_timeout: str | None
    snapshot_count: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of_rows(cls, mapping: Any, version: Any, *, snapshot_count: int) -> MappingOut:
        """The mapping row ``mapping`` with its current ``version`` row."""
        return cls(
            id=mapping.id,
            name=mapping.name,
            description=mapping.description,
            owner_username=mapping.owner_username,
            current_version=mapping.current_version,
            change_description=version.change_description,
            node_definitions=version.node_definitions,
            edge_definitions=version.edge_definitions,
            ttl=mapping.ttl,
            inactivity_timeout=mapping.inactivity_timeout,
            snapshot_count=snapshot_count,
            created_at=mapping.created_at,
            updated_at=mapping.updated_at,
        )


class DiffSummaryOut(Out):
    nodes_added: int
    nodes_removed: int
    nodes_modified: int
    edges_added: int
    edges_removed: int
    edges_modified: int


class DefinitionChangeOut(Out):
    """One node label or edge type ``added``, ``removed`` or ``modified``."""

    key: str
    change: str
    fields_changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class MappingDiffOut(Out):
    """What changed between two versions of a mapping."""

    mapping_id: int
    from_version: int
    to_version: int
    summary: DiffSummaryOut
    nodes: list[DefinitionChangeOut]
    edges: list[DefinitionChangeOut]


class TreeInstanceOut(Out):
    id: int
    name: str
    status: str
    owner_username: str


class TreeSnapshotOut(Out):
    """A snapshot in the tree; ``instances`` is left out when they were not asked for
    (the route answers with ``response_model_exclude_unset``)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    id: int
    name: str
    status: str
    instances: list[TreeInstanceOut] = Field(default_factory=list)


class TreeVersionOut(Out):
    version: int
    change_description: str | None
    created_at: dt.datetime
    created_by: str
    snapshots: list[TreeSnapshotOut]


class MappingTreeOut(Out):
    """A mapping's versions, each with its snapshots (and their instances)."""

    mapping_id: int
    name: str
    current_version: int
    versions: list[TreeVersionOut]


# -- dry run (helper L4, issue 15) ------------------------------------------------------


class DryRunRequest(Strict):
    """Unsaved definitions to dry-run (the same shape as a mapping's)."""

    node_definitions: list[NodeDefinitionIn] = Field(max_length=200)
    edge_definitions: list[EdgeDefinitionIn] = Field(default_factory=list, max_length=200)


class DuplicateKeyOut(Out):
    value: str
    occurrences: int


class DuplicateKeysOut(Out):
    """How many primary key values occur more than once, and the most repeated ones."""

    count: int
    examples: list[DuplicateKeyOut]


class TypeErrorOut(Out):
    """Non-NULL values of ``column`` that do not convert to its declared ``type``."""

    column: str
    type: str
    count: int
    examples: list[str]


class DanglingOut(Out):
    """Edges whose ``key`` (the ``from`` or ``to`` end) matches no node of ``label``."""

    end: str
    key: str
    label: str
    edges: int
    distinct_keys: int
    examples: list[str]


class NodeDryRunOut(Out):
    """One node definition: checks read every row (``exact``) or ``sampled_rows``."""

    label: str
    row_count: int
    exact: bool
    sampled_rows: int | None
    null_keys: int
    duplicate_keys: DuplicateKeysOut
    type_errors: list[TypeErrorOut]
    seconds: float


class EdgeDryRunOut(Out):
    type: str
    from_node: str
    to_node: str
    row_count: int
    exact: bool
    sampled_rows: int | None
    dangling: list[DanglingOut]
    type_errors: list[TypeErrorOut]
    seconds: float


class EstimateOut(Out):
    """The instance's expected resident memory, disk and load time, from the row counts."""

    nodes: int
    edges: int
    memory_bytes: int
    disk_bytes: int
    load_seconds: float
    calibration: str


class DryRunOptionsOut(Out):
    sample_above: int
    sample_rows: int
    time_budget: float


class DryRunOut(Out):
    """What exporting the definitions would find, and what the instance would cost."""

    mapping_id: int | None
    mapping_version: int | None
    ok: bool
    problems: list[str]
    exact: bool
    nodes: list[NodeDryRunOut]
    edges: list[EdgeDryRunOut]
    estimate: EstimateOut
    seconds: float
    options: DryRunOptionsOut
