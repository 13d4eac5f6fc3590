"""Mappings: a graph described as SQL over the warehouse, in immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from graph_olap.models._dicts import ModelDict
from graph_olap.models.common import APIModel, RequestModel, known_fields_only

__all__ = [
    "DefinitionChange",
    "EdgeDefinition",
    "Mapping",
    "MappingDiff",
    "MappingDiffSummary",
    "MappingTree",
    "MappingVersion",
    "NodeDefinition",
    "PrimaryKey",
    "PropertyDefinition",
]


class PropertyDefinition(RequestModel):
    """A property of a node or edge: a column of the definition's SQL and its graph type.

    Types are the graph engine's: ``STRING``, ``INT64``, ``INT32``, ``DOUBLE``, ``FLOAT``,
    ``BOOL``, ``DATE``, ``TIMESTAMP``, ``DECIMAL(p,s)``...
    """

    name: str = Field(min_length=1)
    type: str = Field(default="STRING", min_length=1)


class PrimaryKey(RequestModel):
    """The column that identifies a node."""

    name: str = Field(min_length=1)
    type: str = Field(default="STRING", min_length=1)


class NodeDefinition(RequestModel):
    """A node label and the SQL that produces its rows.

    Example:
        >>> NodeDefinition(
        ...     label="Customer",
        ...     sql="SELECT customer_id, name, city FROM sample.bank.customers",
        ...     primary_key={"name": "customer_id", "type": "INT64"},
        ...     properties=[{"name": "name", "type": "STRING"}, {"name": "city"}],
        ... )
    """

    label: str = Field(min_length=1)
    sql: str = Field(min_length=1)
    primary_key: PrimaryKey
    properties: list[PropertyDefinition] = Field(default_factory=list)


class EdgeDefinition(RequestModel):
    """A relationship type between two node labels and the SQL that produces its rows.

    ``from_key`` and ``to_key`` are columns of the SQL holding the primary keys of the
    source and target nodes.

    Example:
        >>> EdgeDefinition(
        ...     type="OWNS", from_node="Customer", to_node="Account",
        ...     sql="SELECT customer_id, account_id FROM sample.bank.accounts",
        ...     from_key="customer_id", to_key="account_id",
        ... )
    """

    type: str = Field(min_length=1)
    from_node: str = Field(min_length=1)
    to_node: str = Field(min_length=1)
    sql: str = Field(min_length=1)
    from_key: str = Field(min_length=1)
    to_key: str = Field(min_length=1)
    properties: list[PropertyDefinition] = Field(default_factory=list)


class _Definitions(APIModel):
    node_definitions: list[NodeDefinition] = Field(default_factory=list)
    edge_definitions: list[EdgeDefinition] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _known_definition_fields(cls, data: Any) -> Any:
        """Definitions are request models (they refuse unknown fields, and are sent back
        as they are): drop what a newer platform added to them rather than fail."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, model in (
            ("node_definitions", NodeDefinition),
            ("edge_definitions", EdgeDefinition),
        ):
            if isinstance(data.get(key), list):
                data[key] = [known_fields_only(model, item) for item in data[key]]
        return data


class MappingVersion(_Definitions):
    """One immutable version of a mapping."""

    mapping_id: int
    version: int
    change_description: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None

    def __repr__(self) -> str:
        return (
            f"<MappingVersion mapping {self.mapping_id} v{self.version} by {self.created_by}, "
            f"{len(self.node_definitions)} node labels, {len(self.edge_definitions)} edge types>"
        )


class Mapping(_Definitions):
    """A mapping, with the definitions of its current version."""

    id: int
    name: str
    description: str | None = None
    owner_username: str
    current_version: int
    change_description: str | None = None
    ttl: str | None = None
    inactivity_timeout: str | None = None
    snapshot_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def owner(self) -> str:
        """Alias of ``owner_username``."""
        return self.owner_username

    def __repr__(self) -> str:
        return (
            f"<Mapping {self.id} {self.name!r} v{self.current_version} by "
            f"{self.owner_username}, {len(self.node_definitions)} node labels, "
            f"{len(self.edge_definitions)} edge types>"
        )


class DefinitionChange(APIModel):
    """How one node label or edge type differs between two versions."""

    key: str
    change: str  # added | removed | modified
    fields_changed: list[str] = Field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def __repr__(self) -> str:
        fields = f" ({', '.join(self.fields_changed)})" if self.fields_changed else ""
        return f"<DefinitionChange {self.key} {self.change}{fields}>"


class MappingDiffSummary(APIModel):
    nodes_added: int = 0
    nodes_removed: int = 0
    nodes_modified: int = 0
    edges_added: int = 0
    edges_removed: int = 0
    edges_modified: int = 0


class MappingDiff(ModelDict):
    """The difference between two versions of a mapping: a ``dict`` of the platform's
    JSON (``diff["summary"]["nodes_added"]``) whose attributes are typed
    (``diff.summary`` is a :class:`MappingDiffSummary`, ``diff.nodes`` a list of
    :class:`DefinitionChange`).

    Example:
        >>> diff = client.mappings.diff_versions(1, from_version=1, to_version=2)
        >>> diff["summary"]["nodes_added"], diff.summary.nodes_added
        (1, 1)
        >>> [c.key for c in diff.nodes if c.change == "modified"]
        ['Customer']
    """

    mapping_id: int | None  # None from graph_olap.utils.diff for sides not saved
    from_version: int | None
    to_version: int | None
    summary: MappingDiffSummary
    nodes: list[DefinitionChange] = Field(default_factory=list)
    edges: list[DefinitionChange] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the two versions define the same graph."""
        return not self.nodes and not self.edges

    def __repr__(self) -> str:
        s = self.summary
        mapping = "" if self.mapping_id is None else f"mapping {self.mapping_id} "
        return (
            f"<MappingDiff {mapping}{_version(self.from_version)} -> "
            f"{_version(self.to_version)}: "
            f"nodes +{s.nodes_added} -{s.nodes_removed} ~{s.nodes_modified}, "
            f"edges +{s.edges_added} -{s.edges_removed} ~{s.edges_modified}>"
        )


def _version(version: int | None) -> str:
    return "unsaved" if version is None else f"v{version}"


class MappingTree(ModelDict):
    """A mapping's versions, each with its snapshots and their instances: a ``dict`` with
    typed attributes.

    Example:
        >>> tree = client.mappings.get_tree(1)
        >>> [v["version"] for v in tree["versions"]], tree.current_version
        ([1, 2], 2)
    """

    mapping_id: int
    name: str
    current_version: int
    versions: list[dict[str, Any]] = Field(default_factory=list)

    def __repr__(self) -> str:
        snapshots = sum(len(v.get("snapshots") or []) for v in self.versions)
        return (
            f"<MappingTree {self.mapping_id} {self.name!r} v{self.current_version}, "
            f"{len(self.versions)} versions, {snapshots} snapshots>"
        )
