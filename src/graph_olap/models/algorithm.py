"""Graph algorithms on an instance: their descriptions and their executions' records.

These are the platform's data only. A live handle on an execution (to wait for it,
fetch its result or cancel it) is :class:`graph_olap.instance.handle.ExecutionHandle`,
which holds the latest :class:`AlgorithmExecution` as its ``record``.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from graph_olap import exceptions as exc
from graph_olap.models.common import APIModel
from graph_olap.statuses import ExecutionStatus

__all__ = [
    "FINAL_STATUSES",
    "AlgorithmExecution",
    "AlgorithmInfo",
    "AlgorithmParameter",
    "AlgorithmProgress",
    "AlgorithmSummary",
    "ExecutionError",
]

FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
"""Statuses an execution never leaves."""


class AlgorithmParameter(APIModel):
    """One parameter of an algorithm: its type, default, range or choices."""

    name: str
    type: str = "any"
    default: Any = None
    required: bool = False
    description: str = ""
    choices: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __repr__(self) -> str:
        bounds = ""
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            bounds = f" in [{low}, {high}]"
        choices = f" one of {self.choices}" if self.choices else ""
        value = "required" if self.required else f"default {self.default!r}"
        return f"<AlgorithmParameter {self.name}: {self.type}{bounds}{choices}, {value}>"


class AlgorithmInfo(APIModel):
    """What an algorithm does, takes and returns (``conn.algo.describe(name)``).

    Attributes:
        name: The name to run it by (``pagerank``, ``betweenness_centrality``).
        kind: ``"native"`` (``conn.algo``) or ``"networkx"`` (``conn.networkx``).
        parameters: Its parameters (NetworkX: the function's keyword arguments).
        modes: ``"stream"`` (return results) and/or ``"mutate"`` (write a node property).
        result_columns: The columns of its stream result after the node keys.
        default_property: The node property ``mutate`` writes unless told otherwise.
        default_orientation: The orientation used unless told otherwise.
        orientations: The orientations it accepts.
        weighted: Whether it uses ``weight_property``.
        signature: The NetworkX function's signature.
        documentation: The NetworkX function's docstring (``describe`` only).

    Example:
        >>> info = conn.algo.describe("pagerank")
        >>> [p.name for p in info.parameters]
        ['damping_factor', 'max_iterations', 'tolerance']
    """

    name: str
    kind: str = "native"
    title: str = ""
    description: str = ""
    parameters: list[AlgorithmParameter] = Field(default_factory=list)
    modes: list[str] = Field(default_factory=lambda: ["stream", "mutate"])
    result_columns: list[str] = Field(default_factory=list)
    default_property: str | None = None
    default_orientation: str | None = None
    orientations: list[str] = Field(default_factory=list)
    weighted: bool = False
    signature: str | None = None
    documentation: str | None = None

    def parameter(self, name: str) -> AlgorithmParameter:
        """The parameter called ``name``.

        Raises:
            KeyError: It has no such parameter.
        """
        for param in self.parameters:
            if param.name == name:
                return param
        raise KeyError(name)

    def __repr__(self) -> str:
        params = ", ".join(p.name for p in self.parameters)
        return f"<AlgorithmInfo {self.kind} {self.name}({params}) modes={self.modes}>"

    def __str__(self) -> str:
        lines = [f"{self.name} ({self.kind}): {self.title or self.description}".rstrip(": ")]
        if self.signature:
            lines.append(f"  {self.signature}")
        for p in self.parameters:
            value = "required" if p.required else f"default {p.default!r}"
            text = f" - {p.description}" if p.description else ""
            lines.append(f"  {p.name}: {p.type}, {value}{text}")
        if self.documentation:
            lines.extend(["", self.documentation])
        return "\n".join(lines)


class AlgorithmProgress(APIModel):
    """Where a running execution is: its phase and the phase's steps."""

    phase: str = ""
    completed_steps: int = 0
    total_steps: int = 0
    message: str | None = None
    token: str | None = None
    """Opaque: sent back as ``seen`` so a long poll answers when progress moves on."""


class AlgorithmSummary(APIModel):
    """The figures of a finished execution.

    ``nodes``, ``relationships`` (of the projection), ``result_rows``, ``nodes_written``
    (mutate) and the algorithm's own figures (``iterations``, ``components``,
    ``modularity``...), which read as attributes or items.

    Example:
        >>> execution.summary.nodes_written, execution.summary["modularity"]
        (77, 0.556)
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    nodes: int | None = None
    relationships: int | None = None
    result_rows: int | None = None
    nodes_written: int | None = None
    iterations: int | None = None

    def __getitem__(self, key: str) -> Any:
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access to any figure."""
        try:
            return self[key]
        except KeyError:
            return default

    def as_dict(self) -> dict[str, Any]:
        """Every figure the server sent (unset standard ones left out)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def __repr__(self) -> str:
        figures = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"AlgorithmSummary({figures})"

    __str__ = __repr__


class ExecutionError(APIModel):
    """Why an execution failed: the code and the library's message."""

    code: str = "ALGORITHM_FAILED"
    message: str = ""


class AlgorithmExecution(APIModel):
    """The record of one run of an algorithm on an instance, as the platform sent it.

    Status goes ``queued -> running -> completed | failed | cancelled``; ``phase``
    ``queued -> projecting -> computing -> writing -> done``. ``conn.algo.executions()``
    lists records; a handle (``conn.algo.execution(id)``, a ``wait=False`` run) holds
    the latest one as ``handle.record``.

    Example:
        >>> [(r.algorithm, r.status, r.duration_ms) for r in conn.algo.executions(limit=3)]
        [('louvain', 'completed', 41.0), ('pagerank', 'completed', 12.5), ...]
        >>> conn.algo.execution("ex-4f3a9c1b").record.summary
    """

    id: str
    algorithm: str
    kind: str = "native"
    mode: str = "stream"
    status: ExecutionStatus
    phase: str | None = None
    progress: AlgorithmProgress | None = None
    username: str | None = None
    node_labels: list[str] | None = None
    relationship_types: list[str] | None = None
    weight_property: str | None = None
    orientation: str | None = None
    property: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None
    summary: AlgorithmSummary = Field(default_factory=AlgorithmSummary)
    result_kind: str | None = None
    error: ExecutionError | None = None

    @builtins.property
    def is_finished(self) -> bool:
        """Whether it ended (completed, failed or cancelled)."""
        return self.status in FINAL_STATUSES

    @builtins.property
    def succeeded(self) -> bool:
        """Whether it completed."""
        return self.status == "completed"

    def __repr__(self) -> str:
        phase = f", phase {self.phase}" if self.phase and not self.is_finished else ""
        took = f", {self.duration_ms:g} ms" if self.duration_ms is not None else ""
        error = f", error {self.error.message!r}" if self.error else ""
        return (
            f"<AlgorithmExecution {self.id} {self.kind} {self.algorithm} ({self.mode}) "
            f"{self.status}{phase}{took}{error}>"
        )

    __str__ = __repr__

    if not TYPE_CHECKING:  # a record is data: say where its handle is

        def _no_handle(self, *args: Any, **kwargs: Any) -> Any:
            raise exc.GraphOLAPError(
                f"This AlgorithmExecution is the record of execution {self.id} (data only). "
                f"To wait for it, fetch its result or cancel it, get a handle on it with "
                f"conn.algo.execution({self.id!r})."
            )

        wait = result = cancel = refresh = _no_handle
