"""The wrapper's answers as models: what each 2xx response of an instance holds.

Every route declares one of these as its ``response_model``, so the wrapper's OpenAPI
document has a concrete schema for each success answer (the SDK's models in
``graph_olap.models`` read them; ``tests/contract/test_sdk_wrapper_models.py`` keeps the
two in step). Fields are declared in the order the wire has always had them.

The answers are written by :func:`json_response` (orjson, through
:func:`~graph_olap_server.wrapper.values.json_body`), not by FastAPI's encoder, so query
values keep the wrapper's JSON shapes (decimals as strings, BLOBs as base64, ...) and large
results are not copied. Row-bearing models are built with ``model_construct``: their rows
come straight from the engine and are never validated one by one.

The wrapper's answers are bare (no ``{"data": ...}`` envelope): the SDK unwraps either.
This module imports nothing else from the wrapper, so any wrapper module can use it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from graph_olap_server.wrapper.values import ARROW_STREAM, json_body

__all__ = [
    "AlgorithmExecution",
    "AlgorithmInfo",
    "AlgorithmList",
    "AlgorithmParameter",
    "ExecutionError",
    "ExecutionList",
    "ExecutionProgress",
    "ExecutionTable",
    "ExecutionValue",
    "GraphProperty",
    "GraphSchema",
    "Health",
    "HealthStatus",
    "HeldResultInfo",
    "LoadProgress",
    "LoadStep",
    "LockStatus",
    "NodeLabelSchema",
    "QueryResult",
    "Ready",
    "RelationshipTypeSchema",
    "Threads",
    "arrow_or_json",
    "binary_answer",
    "json_response",
]


Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""An ISO 8601 moment in UTC, written by the wrapper (``2026-01-31T12:00:00.5Z``)."""


class _Answer(BaseModel):
    """Base of every answer: no field the model does not declare."""

    model_config = ConfigDict(extra="forbid")


# -- the instance itself -------------------------------------------------------------


HealthStatus = Literal["healthy", "failed", "loading"]


class Health(_Answer):
    """``GET /health``: whether the graph is loaded, and with which engine."""

    status: HealthStatus
    instance_id: int
    phase: str
    engine: str
    error: str | None


class Ready(_Answer):
    """``GET /ready`` once the graph is loaded (503 ``NOT_READY`` before)."""

    status: Literal["ready"] = "ready"


class LoadStep(_Answer):
    """One step of the load: the schema, one node table or one relationship table."""

    name: str
    kind: str
    status: Literal["pending", "running", "completed", "failed"] = "pending"
    row_count: int | None = None
    duration_ms: int | None = None
    error: str | None = None


class LoadProgress(_Answer):
    """``GET /progress`` (``X-Wrapper-Token``): the load's phase and steps."""

    phase: str
    steps: list[LoadStep]
    error_message: str | None
    current_step: str | None
    started_at: Timestamp


class Threads(_Answer):
    """``PUT /threads``: the threads per query now in use."""

    threads: int


class RunningQueryInfo(_Answer):
    """One query running now (``GET /queries``)."""

    query_id: str
    username: str
    running_seconds: float


class RunningQueriesAnswer(_Answer):
    """``GET /queries``: the caller's queries running now (ops and admins: everyone's)."""

    queries: list[RunningQueryInfo]


class QueryCancelled(_Answer):
    """``POST /query/{query_id}/cancel``: whether a running query was interrupted.

    ``interrupted`` is False when no query with that id runs (it had finished, or has not
    arrived yet: it is then stopped as soon as it arrives).
    """

    query_id: str
    interrupted: bool


# -- the graph's schema --------------------------------------------------------------


class GraphProperty(_Answer):
    """A property (or primary key): its name and graph type."""

    name: str
    type: str


class NodeLabelSchema(_Answer):
    """A node label: its primary key, properties and number of nodes."""

    label: str
    primary_key: GraphProperty
    properties: list[GraphProperty]
    count: int


class RelationshipTypeSchema(_Answer):
    """A relationship type between two labels (``from``/``to`` on the wire)."""

    type: str
    from_node: str = Field(serialization_alias="from")
    to_node: str = Field(serialization_alias="to")
    properties: list[GraphProperty]
    count: int


class GraphSchema(_Answer):
    """``GET /schema``: the loaded graph's labels and relationship types, with counts."""

    node_labels: list[NodeLabelSchema]
    relationship_types: list[RelationshipTypeSchema]


# -- queries ------------------------------------------------------------------------


class QueryResult(_Answer):
    """``POST /query`` as JSON: at most ``json_max_rows`` rows (``truncated`` if more)."""

    columns: list[str]
    column_types: list[str]
    rows: list[list[Any]]
    row_count: int
    execution_time_ms: int
    truncated: bool


# -- held results (guarded fetch) -------------------------------------------------------


class HeldResultInfo(_Answer):
    """``POST /results``, ``GET /results/{id}`` and ``DELETE /results/{id}``: a result the
    instance holds for its owner (see :mod:`graph_olap_server.wrapper.held`).

    ``bytes`` is the Arrow size of the table; ``parquet_bytes`` the size of its Parquet
    file once written (``GET /results/{id}/parquet``), else null.
    """

    result_id: str
    row_count: int
    bytes: int
    columns: list[str]
    column_types: list[str]
    execution_time_ms: int
    expires_at: Timestamp
    parquet_bytes: int | None


# -- algorithms ---------------------------------------------------------------------


class AlgorithmParameter(_Answer):
    """One parameter of an algorithm: type, default, range and choices."""

    name: str
    type: Literal["int", "float", "bool", "str", "node", "any"]
    default: Any
    required: bool
    description: str
    choices: list[Any] | None
    minimum: int | float | None  # an int stays an int on the wire
    maximum: int | float | None


class AlgorithmInfo(_Answer):
    """``GET /algo/{name}``, ``GET /networkx/{name}`` (and the items of their lists,
    where ``documentation`` is left out as ``null``)."""

    name: str
    kind: Literal["native", "networkx"]
    title: str
    description: str
    parameters: list[AlgorithmParameter]
    modes: list[str]
    result_columns: list[str]
    default_property: str | None
    default_orientation: Literal["natural", "reverse", "undirected"]
    orientations: list[Literal["natural", "reverse", "undirected"]]
    weighted: bool
    signature: str | None
    documentation: str | None


class AlgorithmList(_Answer):
    """``GET /algo``, ``GET /networkx``: the catalog."""

    algorithms: list[AlgorithmInfo]


class ExecutionProgress(_Answer):
    """Where a running execution is; ``token`` goes back as ``seen`` in a long poll."""

    phase: str
    completed_steps: int
    total_steps: int
    message: str
    token: str


class ExecutionError(_Answer):
    """Why an execution failed."""

    code: str
    message: str


class AlgorithmExecution(_Answer):
    """One run of an algorithm (``/algo/executions/{id}``, and the answer to a run:
    200 once finished, 202 while running)."""

    id: str
    algorithm: str
    kind: Literal["native", "networkx"]
    mode: Literal["stream", "mutate"]
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    phase: str
    progress: ExecutionProgress
    username: str
    node_labels: list[str]
    relationship_types: list[str]
    weight_property: str | None
    orientation: Literal["natural", "reverse", "undirected"]
    property: str | None
    parameters: dict[str, Any]
    started_at: Timestamp | None
    finished_at: Timestamp | None
    duration_ms: int | None
    summary: dict[str, Any] = Field(
        description="The execution's figures: nodes, relationships, result_rows, "
        "nodes_written (mutate), duration_ms and the algorithm's own (iterations, ...)."
    )
    result_kind: Literal["table", "value"] | None
    error: ExecutionError | None


class ExecutionList(_Answer):
    """``GET /algo/executions``: the most recent executions first."""

    executions: list[AlgorithmExecution]


class ExecutionTable(_Answer):
    """``GET /algo/executions/{id}/result`` of a table result, as JSON."""

    columns: list[str]
    rows: list[list[Any]]
    row_count: int


class ExecutionValue(_Answer):
    """``GET /algo/executions/{id}/result`` of a value result (NetworkX scalars, maps)."""

    value: Any


class LockStatus(_Answer):
    """``GET /lock``: who holds the instance lock (a running ``mutate`` execution)."""

    locked: bool
    holder_id: str | None = None
    holder_name: str | None = None
    holder_username: str | None = None
    algorithm: str | None = None
    execution_id: str | None = None
    locked_at: Timestamp | None = None


# -- writing them -------------------------------------------------------------------


def json_response(answer: BaseModel, status_code: int = 200) -> Response:
    """``answer`` as the wrapper's JSON (byte for byte what the route's dict was).

    Example:
        >>> json_response(Threads(threads=4)).body
        b'{"threads":4}'
    """
    return Response(json_body(answer), status_code=status_code, media_type="application/json")


def arrow_or_json(what: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route answering ``what`` as JSON (its ``response_model``)
    or, with ``Accept: application/vnd.apache.arrow.stream``, as an Arrow IPC stream.

    Example:
        >>> list(arrow_or_json("Rows")[200]["content"])
        ['application/vnd.apache.arrow.stream']
    """
    return {
        200: {
            "description": f"{what} as JSON, or an Arrow IPC stream with Accept: {ARROW_STREAM}",
            "content": {ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


def binary_answer(what: str, media_type: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route answering only ``what`` as bytes of ``media_type``.

    Example:
        >>> list(binary_answer("Parquet bytes", "application/vnd.apache.parquet")[200]["content"])
        ['application/vnd.apache.parquet']
    """
    return {
        200: {
            "description": what,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
