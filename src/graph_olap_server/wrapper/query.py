"""``POST /query``: the read-only guard, the engine call and the two answer encodings.

JSON answers are a :class:`~.schemas.QueryResult`: ``{"columns", "column_types", "rows",
"row_count", "execution_time_ms", "truncated"}`` (``rows`` holds at most
``config.json_max_rows`` rows, ``row_count`` is ``len(rows)``, ``truncated`` says whether
more existed). Arrow answers stream the IPC
format in record batches of at most ``config.arrow_batch_rows`` rows, with
``X-Row-Count`` and ``X-Execution-Time-Ms`` headers and the engine's column types as JSON
in the schema metadata key ``graph_olap.column_types``.

Guarded fetch: a body may carry ``max_rows`` and ``max_bytes`` (the Arrow size of the
result table). A result over either is not sent: it is held (:mod:`.held`) and the query
answers ``406 RESULT_TOO_LARGE`` with its size and a preview (:func:`too_large`); the
limits apply before JSON's ``json_max_rows`` cut, which keeps its ``truncated`` flag.
406 because the result exists but no answer within the caller's stated limits does
(what "Not Acceptable" means); 413 is about the request's own size, 409 makes the SDK ask
whether the instance is gone, and both are retried or read differently by clients.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pyarrow as pa
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.config import WrapperConfig
from graph_olap_server.wrapper.cypher import count_statements, find_write_clause
from graph_olap_server.wrapper.engine import EngineResult, GraphEngine, QueryError, QueryTimeout
from graph_olap_server.wrapper.held import Held, HeldResults, iso
from graph_olap_server.wrapper.running import QueryIdInUse, RunningQueries
from graph_olap_server.wrapper.schemas import HeldResultInfo, QueryResult, json_response
from graph_olap_server.wrapper.values import (
    arrow_response,
    json_body,
    table_rows,
)

__all__ = [
    "MAX_PARAMETER_DEPTH",
    "PREVIEW_ROWS",
    "QUERY_ID_PATTERN",
    "WRITE_MESSAGE",
    "QueryBody",
    "check_parameters",
    "execute",
    "held_info",
    "hold_result",
    "nesting_depth",
    "run_query",
    "too_large",
]

PREVIEW_ROWS = 20
"""Rows of a too-large result sent with the 406 answer, as a preview."""

WRITE_MESSAGE = (
    "This query writes to the graph (CREATE/MERGE/SET/DELETE); "
    "pass write=True to conn.query(...) if you mean it"
)


QUERY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""What a query id (chosen by the SDK, so that it can cancel the query) looks like."""

MAX_PARAMETER_DEPTH = 32
"""Lists and maps in query parameters nest at most this deep: the engines and Arrow
fail (or crash the instance) on much deeper values."""


INT64_RANGE = (-(2**63), 2**63 - 1)


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0), without recursion.

    Example:
        >>> nesting_depth({"a": [[1], 2]})
        3
    """
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
    return deepest


def check_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` if the engines can take them: lists and maps nested at most
    :data:`MAX_PARAMETER_DEPTH` deep, integers within 64 bits (``ValueError`` if not).

    Example:
        >>> check_parameters({"ids": [1, 2, 3]})
        {'ids': [1, 2, 3]}
    """
    low, high = INT64_RANGE
    level: list[Any] = [parameters]  # the containers at one nesting depth, level by level
    depth = 0  # of ``level``; the parameters map itself is 0
    while level:
        deeper: list[Any] = []
        for container in level:
            values = list(container.values()) if isinstance(container, dict) else container
            ints = [v for v in values if type(v) is int]  # one C-speed pass; bools excluded
            if ints and (min(ints) < low or max(ints) > high):
                bad = next(v for v in ints if not low <= v <= high)
                raise ValueError(
                    f"the integer {str(bad)[:40]} is out of range: integers must be between "
                    f"{low} and {high}"
                )
            deeper.extend(v for v in values if isinstance(v, (dict, list)))
        depth += 1
        if deeper and depth > MAX_PARAMETER_DEPTH:
            deepest = nesting_depth(parameters) - 1
            raise ValueError(
                f"parameter values nest lists and maps {deepest} levels deep; the maximum "
                f"is {MAX_PARAMETER_DEPTH}. Flatten the value (e.g. a list of ids)"
            )
        level = deeper
    return parameters


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1_000_000)
    parameters: dict[str, Any] = Field(default_factory=dict)
    timeout_ms: int | None = Field(default=None, ge=1)
    write: bool = False
    query_id: str | None = Field(default=None, pattern=QUERY_ID_PATTERN)
    max_rows: int | None = Field(default=None, ge=0)  # guarded fetch: None, no limit
    max_bytes: int | None = Field(default=None, ge=0)

    @field_validator("parameters")
    @classmethod
    def _engine_can_take(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        return check_parameters(parameters)


def _cancelled(query_id: str, query: str) -> APIError:
    return APIError(
        409,
        "QUERY_CANCELLED",
        f"The query {query_id} was cancelled (POST /query/{query_id}/cancel) and the engine "
        "stopped it; run it again if you still need its answer.",
        {"query_id": query_id, "query": query},
    )


def execute(
    engine: GraphEngine,
    config: WrapperConfig,
    body: QueryBody,
    *,
    running: RunningQueries | None = None,
    username: str = "",
) -> EngineResult:
    """Check and run one query (the guard against writes, one statement, the timeout).

    With ``running`` and a ``body.query_id``, the query is registered under that id while
    it runs, so that ``POST /query/{id}/cancel`` can interrupt it (the query then answers
    409 ``CONFLICT``, "The query ... was cancelled").

    Example:
        >>> result = execute(engine, config, QueryBody(query="RETURN 1 AS n"))
        >>> result.row_count
        1
    """
    statements = count_statements(body.query)
    if statements != 1:
        problem = "is empty" if statements == 0 else f"holds {statements} statements"
        raise APIError(
            400,
            "QUERY_ERROR",
            f"The query {problem}; send exactly one Cypher statement per query.",
            {"query": body.query},
        )
    if not body.write:
        clause = find_write_clause(body.query)
        if clause is not None:
            raise APIError(403, "WRITE_NOT_ALLOWED", WRITE_MESSAGE, {"clause": clause})
    timeout = min(body.timeout_ms or config.default_timeout_ms, config.max_timeout_ms)
    registry = running if running is not None else RunningQueries()
    try:
        with registry.running(body.query_id, username) as entry:
            if entry is not None and entry.cancelled:  # the cancel arrived first
                raise _cancelled(entry.query_id, body.query)
            try:
                return engine.query(body.query, body.parameters, timeout, write=body.write)
            except QueryTimeout:
                if entry is not None and entry.cancelled:
                    raise _cancelled(entry.query_id, body.query) from None
                raise
    except QueryIdInUse as err:
        raise APIError(
            409,
            "CONFLICT",
            f"{err}; give each query its own query_id (the SDK does).",
            {"query_id": body.query_id},
        ) from None
    except QueryTimeout:
        raise APIError(
            408,
            "QUERY_TIMEOUT",
            f"The query ran longer than its timeout of {timeout} ms and was stopped. "
            "Narrow it (filters, LIMIT) or pass a larger timeout_ms.",
            {"timeout_ms": timeout, "query": body.query},
        ) from None
    except QueryError as err:
        raise APIError(400, "QUERY_ERROR", str(err), {"query": body.query}) from None


def run_query(
    engine: GraphEngine,
    config: WrapperConfig,
    body: QueryBody,
    *,
    arrow: bool,
    running: RunningQueries | None = None,
    username: str = "",
    held: HeldResults | None = None,
) -> Response:
    """Check, run and encode one query (JSON, or an Arrow IPC stream if ``arrow``).

    A result over ``body.max_rows`` or ``body.max_bytes`` is held in ``held`` (when
    given and it fits) and answered with :func:`too_large` instead.

    Example:
        >>> run_query(engine, config, QueryBody(query="RETURN 1 AS n"), arrow=False)
    """
    result = execute(engine, config, body, running=running, username=username)
    if _over(result.table, body):
        raise too_large(result, body, held, username)
    ms = round(result.execution_time_ms)
    if arrow:
        types = json.dumps(dict(zip(result.columns, result.column_types, strict=True)))
        table = result.table.replace_schema_metadata({"graph_olap.column_types": types})
        headers = {"X-Row-Count": str(result.row_count), "X-Execution-Time-Ms": str(ms)}
        return arrow_response(table, config.arrow_batch_rows, headers)
    table = result.table
    truncated = table.num_rows > config.json_max_rows
    if truncated:
        table = table.slice(0, config.json_max_rows)
    answer = QueryResult.model_construct(  # the engine's rows as they are: not validated
        columns=result.columns,
        column_types=result.column_types,
        rows=table_rows(table),
        row_count=table.num_rows,
        execution_time_ms=ms,
        truncated=truncated,
    )
    return json_response(answer)


def _over(table: pa.Table, body: QueryBody) -> bool:
    """Whether the result exceeds a limit the caller sent (a size check: no copy)."""
    if body.max_rows is not None and table.num_rows > body.max_rows:
        return True
    return body.max_bytes is not None and table.nbytes > body.max_bytes


def hold_result(result: EngineResult, body: QueryBody, held: HeldResults, username: str) -> Held:
    """Hold ``result`` for ``username`` (``POST /results``), or 406 when it is larger
    than everything the instance may hold."""
    kept = _keep(result, body, held, username)
    if kept is None:
        raise too_large(result, body, None, username)
    return kept


def _keep(result: EngineResult, body: QueryBody, held: HeldResults, username: str) -> Held | None:
    return held.hold(
        result.table,
        owner=username,
        query=body.query,
        parameters=body.parameters,
        column_types=result.column_types,
        execution_time_ms=round(result.execution_time_ms),
    )


def held_info(held: Held) -> HeldResultInfo:
    """The public description of a held result.

    Example:
        >>> held_info(store.get(result_id, "alice")).row_count
    """
    size = held.parquet.stat().st_size if held.parquet and held.parquet.exists() else None
    return HeldResultInfo(
        result_id=held.result_id,
        row_count=held.row_count,
        bytes=held.nbytes,
        columns=list(held.table.column_names),
        column_types=held.column_types,
        execution_time_ms=held.execution_time_ms,
        expires_at=iso(held.expires_at),
        parquet_bytes=size,
    )


def too_large(
    result: EngineResult, body: QueryBody, held: HeldResults | None, username: str
) -> APIError:
    """The 406 ``RESULT_TOO_LARGE`` answer for ``result``: its size, the limits, a preview
    of its first :data:`PREVIEW_ROWS` rows (in the JSON value shapes) and, when ``held``
    could keep it, the held result's id and expiry.

    Example:
        >>> raise too_large(result, body, store, "alice")
    """
    table = result.table
    kept = None if held is None else _keep(result, body, held, username)
    preview = orjson.loads(json_body({"rows": table_rows(table.slice(0, PREVIEW_ROWS))}))
    size = f"{table.num_rows:,} rows, {table.nbytes:,} bytes"
    limits = []  # the ones exceeded
    if body.max_rows is not None and table.num_rows > body.max_rows:
        limits.append(f"max_rows={body.max_rows:,}")
    if body.max_bytes is not None and table.nbytes > body.max_bytes:
        limits.append(f"max_bytes={body.max_bytes:,}")
    if kept is not None:
        where = (
            f"It is held as {kept.result_id} until {iso(kept.expires_at)}: fetch it in "
            f"slices (GET /results/{kept.result_id}/arrow), as Parquet, or raise the limit."
        )
    else:
        where = (
            "It is too large for this instance to hold; narrow the query (filters, LIMIT) "
            "or run it again without the limit."
        )
    return APIError(
        406,
        "RESULT_TOO_LARGE",
        f"The result ({size}) exceeds {' and '.join(limits) or 'the limit'}, so it was "
        f"not sent. {where}",
        {
            "result_id": kept.result_id if kept else None,
            "expires_at": iso(kept.expires_at) if kept else None,
            "row_count": table.num_rows,
            "bytes": int(table.nbytes),
            "max_rows": body.max_rows,
            "max_bytes": body.max_bytes,
            "columns": list(result.columns),
            "column_types": list(result.column_types),
            "preview": preview["rows"],
            "execution_time_ms": round(result.execution_time_ms),
            "query": body.query,
        },
    )
