"""``POST /query``: the read-only guard, the engine call and the two answer encodings.

JSON answers ``{"columns", "column_types", "rows", "row_count", "execution_time_ms",
"truncated"}`` (``rows`` holds at most ``config.json_max_rows`` rows, ``row_count`` is
``len(rows)``, ``truncated`` says whether more existed). Arrow answers stream the IPC
format in record batches of at most ``config.arrow_batch_rows`` rows, with
``X-Row-Count`` and ``X-Execution-Time-Ms`` headers and the engine's column types as JSON
in the schema metadata key ``graph_olap.column_types``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.config import WrapperConfig
from graph_olap_server.wrapper.cypher import count_statements, find_write_clause
from graph_olap_server.wrapper.engine import GraphEngine, QueryError, QueryTimeout
from graph_olap_server.wrapper.values import (
    ARROW_STREAM,
    arrow_stream_chunks,
    json_body,
    table_rows,
)

__all__ = ["WRITE_MESSAGE", "QueryBody", "run_query"]

WRITE_MESSAGE = (
    "This query writes to the graph (CREATE/MERGE/SET/DELETE); "
    "pass write=True to conn.query(...) if you mean it"
)


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=1_000_000)
    parameters: dict[str, Any] = Field(default_factory=dict)
    timeout_ms: int | None = Field(default=None, ge=1)
    write: bool = False


def run_query(
    engine: GraphEngine, config: WrapperConfig, body: QueryBody, *, arrow: bool
) -> Response:
    """Check, run and encode one query (JSON, or an Arrow IPC stream if ``arrow``)."""
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
    try:
        result = engine.query(body.query, body.parameters, timeout, write=body.write)
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
    ms = round(result.execution_time_ms)
    if arrow:
        types = json.dumps(dict(zip(result.columns, result.column_types, strict=True)))
        table = result.table.replace_schema_metadata({"graph_olap.column_types": types})
        headers = {"X-Row-Count": str(result.row_count), "X-Execution-Time-Ms": str(ms)}
        chunks = arrow_stream_chunks(table, config.arrow_batch_rows)
        return StreamingResponse(chunks, media_type=ARROW_STREAM, headers=headers)
    table = result.table
    truncated = table.num_rows > config.json_max_rows
    if truncated:
        table = table.slice(0, config.json_max_rows)
    payload = {
        "columns": result.columns,
        "column_types": result.column_types,
        "rows": table_rows(table),
        "row_count": table.num_rows,
        "execution_time_ms": ms,
        "truncated": truncated,
    }
    return Response(json_body(payload), media_type="application/json")
