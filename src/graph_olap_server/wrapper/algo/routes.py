"""The wrapper's algorithm endpoints: ``/algo``, ``/algo/executions``, ``/networkx``, ``/lock``.

Shapes and errors are in docs/design-algorithms.md. Every endpoint authenticates the
caller like ``/query`` (and counts as activity); running ones need a loaded graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response, StreamingResponse

from graph_olap_server.wrapper.algo.executions import MAX_WAIT_MS, Execution, ExecutionManager
from graph_olap_server.wrapper.algo.plans import (
    RunRequest,
    native_catalog_api,
    native_info_api,
    networkx_catalog_api,
    networkx_info_api,
    plan_native,
    plan_networkx,
)
from graph_olap_server.wrapper.manifest import Manifest
from graph_olap_server.wrapper.values import (
    ARROW_STREAM,
    arrow_stream_chunks,
    json_body,
    table_rows,
)

__all__ = ["install_algorithm_routes"]

Access = Callable[[Request], tuple[ExecutionManager, str]]
"""``request -> (manager, username)``: authenticates and counts the call as activity."""


STARTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Started and still running: poll /algo/executions/{id}"}
}


ARROW_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A table as JSON, or an Arrow IPC stream with Accept: " + ARROW_STREAM,
        "content": {"application/json": {}, ARROW_STREAM: {}},
    }
}


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(json_body(payload), status_code=status_code, media_type="application/json")


def install_algorithm_routes(
    app: FastAPI,
    access: Access,
    ready: Callable[[Request], Manifest],
    arrow_batch_rows: int = 100_000,
) -> None:
    """Add the algorithm endpoints to the wrapper ``app``.

    ``access`` authenticates a request and returns the execution manager and the
    caller's username; ``ready`` returns the loaded graph's manifest (503 while loading).
    """

    def started(manager: ExecutionManager, execution: Execution, wait_ms: int) -> Response:
        if wait_ms > 0:
            execution = manager.get(execution.id, wait_ms)
        return _json(execution.to_api(), 200 if execution.finished else 202)

    @app.get("/algo")
    def list_native(request: Request) -> Response:
        access(request)
        return _json({"algorithms": native_catalog_api()})

    @app.get("/algo/executions")
    def list_executions(request: Request, limit: int = Query(20, ge=1, le=200)) -> Response:
        manager, _ = access(request)
        return _json({"executions": [e.to_api() for e in manager.list(limit)]})

    @app.get("/algo/executions/{execution_id}")
    def get_execution(
        execution_id: str,
        request: Request,
        wait_ms: int = Query(0, ge=0, le=MAX_WAIT_MS),
        seen: str | None = Query(None, max_length=80),
    ) -> Response:
        manager, _ = access(request)
        return _json(manager.get(execution_id, wait_ms, seen).to_api())

    @app.delete("/algo/executions/{execution_id}")
    def cancel_execution(execution_id: str, request: Request) -> Response:
        manager, _ = access(request)
        return _json(manager.cancel(execution_id).to_api())

    @app.get("/algo/executions/{execution_id}/result", responses=ARROW_OR_JSON)
    def execution_result(execution_id: str, request: Request) -> Response:
        manager, _ = access(request)
        execution = manager.result(execution_id)
        table = execution.result_table
        if table is None:
            return _json({"value": execution.result_value})
        if ARROW_STREAM in request.headers.get("accept", ""):
            headers = {"X-Row-Count": str(table.num_rows)}
            chunks = arrow_stream_chunks(table, arrow_batch_rows)
            return StreamingResponse(chunks, media_type=ARROW_STREAM, headers=headers)
        return _json(
            {"columns": table.column_names, "rows": table_rows(table), "row_count": table.num_rows}
        )

    @app.get("/algo/{name}")
    def describe_native(name: str, request: Request) -> Response:
        access(request)
        return _json(native_info_api(name))

    @app.post("/algo/{name}", responses=STARTED)
    def run_native(name: str, body: RunRequest, request: Request) -> Response:
        manager, username = access(request)
        plan = plan_native(name, body, ready(request))
        return started(manager, manager.submit(plan, username), body.wait_ms)

    @app.get("/networkx")
    def list_networkx(request: Request) -> Response:
        access(request)
        return _json({"algorithms": networkx_catalog_api()})

    @app.get("/networkx/{name}")
    def describe_networkx(name: str, request: Request) -> Response:
        access(request)
        return _json(networkx_info_api(name))

    @app.post("/networkx/{name}", responses=STARTED)
    def run_networkx(name: str, body: RunRequest, request: Request) -> Response:
        manager, username = access(request)
        plan = plan_networkx(name, body, ready(request), manager)
        return started(manager, manager.submit(plan, username), body.wait_ms)

    @app.get("/lock")
    def lock(request: Request) -> Response:
        manager, _ = access(request)
        return _json(manager.lock_status())
