"""The wrapper's algorithm endpoints: ``/algo``, ``/algo/executions``, ``/networkx``, ``/lock``.

Shapes and errors are in docs/design-algorithms.md. Every endpoint authenticates the
caller like ``/query`` (and counts as activity); running ones need a loaded graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

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
from graph_olap_server.wrapper.schemas import (
    AlgorithmExecution,
    AlgorithmInfo,
    AlgorithmList,
    ExecutionList,
    ExecutionTable,
    ExecutionValue,
    LockStatus,
    arrow_or_json,
    json_response,
)
from graph_olap_server.wrapper.values import ARROW_STREAM, arrow_response, table_rows

__all__ = ["install_algorithm_routes"]

Access = Callable[[Request], tuple[ExecutionManager, str]]
"""``request -> (manager, username)``: authenticates and counts the call as activity."""


STARTED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Finished within wait_ms"},
    202: {
        "model": AlgorithmExecution,
        "description": "Started and still running: poll /algo/executions/{id}",
    },
}


def install_algorithm_routes(
    app: FastAPI,
    access: Access,
    ready: Callable[[Request], Manifest],
    arrow_batch_rows: int = 100_000,
) -> None:
    """Add the algorithm endpoints to the wrapper ``app``.

    ``access`` authenticates a request and returns the execution manager and the
    caller's username; ``ready`` returns the loaded graph's manifest (503 while loading).

    Example:
        >>> install_algorithm_routes(app, access, loaded_manifest, config.arrow_batch_rows)
    """

    def started(manager: ExecutionManager, execution: Execution, wait_ms: int) -> Response:
        if wait_ms > 0:
            execution = manager.get(execution.id, wait_ms)
        return json_response(execution.to_public(), 200 if execution.finished else 202)

    @app.get("/algo", response_model=AlgorithmList)
    def list_native(request: Request) -> Response:
        access(request)
        return json_response(native_catalog_api())

    @app.get("/algo/executions", response_model=ExecutionList)
    def list_executions(request: Request, limit: int = Query(20, ge=1, le=200)) -> Response:
        manager, _ = access(request)
        return json_response(ExecutionList(executions=[e.to_public() for e in manager.list(limit)]))

    @app.get("/algo/executions/{execution_id}", response_model=AlgorithmExecution)
    def get_execution(
        execution_id: str,
        request: Request,
        wait_ms: int = Query(0, ge=0, le=MAX_WAIT_MS),
        seen: str | None = Query(None, max_length=80),
    ) -> Response:
        manager, _ = access(request)
        return json_response(manager.get(execution_id, wait_ms, seen).to_public())

    @app.delete("/algo/executions/{execution_id}", response_model=AlgorithmExecution)
    def cancel_execution(execution_id: str, request: Request) -> Response:
        manager, _ = access(request)
        return json_response(manager.cancel(execution_id).to_public())

    @app.get(
        "/algo/executions/{execution_id}/result",
        response_model=ExecutionTable | ExecutionValue,
        responses=arrow_or_json("A table result (or a value result)"),
    )
    def execution_result(execution_id: str, request: Request) -> Response:
        manager, _ = access(request)
        execution = manager.result(execution_id)
        table = execution.result_table
        if table is None:  # a value is JSON whatever the caller accepts
            return json_response(ExecutionValue.model_construct(value=execution.result_value))
        if ARROW_STREAM in request.headers.get("accept", ""):
            headers = {"X-Row-Count": str(table.num_rows)}
            return arrow_response(table, arrow_batch_rows, headers)
        answer = ExecutionTable.model_construct(  # rows as computed: not validated
            columns=table.column_names, rows=table_rows(table), row_count=table.num_rows
        )
        return json_response(answer)

    @app.get("/algo/{name}", response_model=AlgorithmInfo)
    def describe_native(name: str, request: Request) -> Response:
        access(request)
        return json_response(native_info_api(name))

    @app.post("/algo/{name}", response_model=AlgorithmExecution, responses=STARTED)
    def run_native(name: str, body: RunRequest, request: Request) -> Response:
        manager, username = access(request)
        plan = plan_native(name, body, ready(request))
        return started(manager, manager.submit(plan, username), body.wait_ms)

    @app.get("/networkx", response_model=AlgorithmList)
    def list_networkx(request: Request) -> Response:
        access(request)
        return json_response(networkx_catalog_api())

    @app.get("/networkx/{name}", response_model=AlgorithmInfo)
    def describe_networkx(name: str, request: Request) -> Response:
        access(request)
        return json_response(networkx_info_api(name))

    @app.post("/networkx/{name}", response_model=AlgorithmExecution, responses=STARTED)
    def run_networkx(name: str, body: RunRequest, request: Request) -> Response:
        manager, username = access(request)
        plan = plan_networkx(name, body, ready(request), manager)
        return started(manager, manager.submit(plan, username), body.wait_ms)

    @app.get("/lock", response_model=LockStatus)
    def lock(request: Request) -> Response:
        manager, _ = access(request)
        return json_response(manager.lock_status())
