"""The mapping dry run: what exporting a mapping would find, and what its instance costs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from graph_olap.models.common import APIModel

__all__ = [
    "DanglingEnds",
    "DryRunReport",
    "DuplicateKey",
    "DuplicateKeys",
    "EdgeDryRun",
    "InstanceEstimate",
    "NodeDryRun",
    "TypeMismatch",
]


class DuplicateKey(APIModel):
    """One primary key value and how many rows carry it."""

    value: str
    occurrences: int


class DuplicateKeys(APIModel):
    """How many primary key values occur more than once, and the most repeated ones."""

    count: int = 0
    examples: list[DuplicateKey] = Field(default_factory=list)


class TypeMismatch(APIModel):
    """Non-NULL values of ``column`` that do not convert to its declared ``type``."""

    column: str
    type: str
    count: int
    examples: list[str] = Field(default_factory=list)


class DanglingEnds(APIModel):
    """Edges whose ``key`` column (the ``from`` or ``to`` end) matches no ``label`` node."""

    end: str
    key: str
    label: str
    edges: int
    distinct_keys: int
    examples: list[str] = Field(default_factory=list)


class NodeDryRun(APIModel):
    """One node definition. ``exact`` is False when the checks read only
    ``sampled_rows`` rows (``row_count`` is always exact)."""

    label: str
    row_count: int
    exact: bool = True
    sampled_rows: int | None = None
    null_keys: int = 0
    duplicate_keys: DuplicateKeys = Field(default_factory=DuplicateKeys)
    type_errors: list[TypeMismatch] = Field(default_factory=list)
    seconds: float | None = None


class EdgeDryRun(APIModel):
    """One edge definition: its row count, dangling ends and type errors."""

    type: str
    from_node: str
    to_node: str
    row_count: int
    exact: bool = True
    sampled_rows: int | None = None
    dangling: list[DanglingEnds] = Field(default_factory=list)
    type_errors: list[TypeMismatch] = Field(default_factory=list)
    seconds: float | None = None


class InstanceEstimate(APIModel):
    """The instance's expected resident memory, disk and load time (create to running),
    from the row counts and costs measured on the platform (``calibration`` says where)."""

    nodes: int
    edges: int
    memory_bytes: int
    disk_bytes: int
    load_seconds: float
    calibration: str | None = None


class DryRunReport(APIModel):
    """What exporting a mapping (or unsaved definitions) would find, before anything is
    exported: per definition row counts, duplicate and NULL keys, values that do not fit
    their declared types, dangling edge ends; and the instance's estimated cost.

    Example:
        >>> report = client.mappings.dry_run(mapping.id)
        >>> report.ok, report.nodes[0].row_count, report.estimate.load_seconds
        (True, 20, 2.1)
        >>> report.problems  # one sentence per problem, when there are some
        []
    """

    mapping_id: int | None = None
    mapping_version: int | None = None
    ok: bool
    problems: list[str] = Field(default_factory=list)
    exact: bool = True
    nodes: list[NodeDryRun] = Field(default_factory=list)
    edges: list[EdgeDryRun] = Field(default_factory=list)
    estimate: InstanceEstimate
    seconds: float | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    """The limits it ran with: ``sample_above``, ``sample_rows``, ``time_budget``."""

    def node(self, label: str) -> NodeDryRun:
        """The report of node ``label``; KeyError naming the labels there are."""
        for n in self.nodes:
            if n.label == label:
                return n
        raise KeyError(f"no node {label!r} in the dry run; labels: {[n.label for n in self.nodes]}")

    def edge(self, type: str) -> EdgeDryRun:
        """The report of edge ``type``; KeyError naming the types there are."""
        for e in self.edges:
            if e.type == type:
                return e
        raise KeyError(f"no edge {type!r} in the dry run; types: {[e.type for e in self.edges]}")

    def __repr__(self) -> str:
        what = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        sampled = "" if self.exact else ", sampled"
        return (
            f"<DryRunReport {len(self.nodes)} node / {len(self.edges)} edge definitions: "
            f"{what}{sampled}>"
        )
