"""``create_wrapper_app(config)``: the HTTP API of one instance (no module-level state).

The app answers at once; the snapshot loads in a background thread (see
:mod:`.loader`). Endpoints follow docs/design-instances.md: ``/health``, ``/ready``,
``/progress`` and ``PUT /threads`` (``X-Wrapper-Token``), ``/schema``, ``POST /query``
(JSON, or an Arrow IPC stream with ``Accept: application/vnd.apache.arrow.stream``) and
the algorithm endpoints of :mod:`.algo.routes` with ``/lock`` (the caller's credentials,
checked by the :class:`~.auth.Authorizer`).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from graph_olap_server.errors import APIError, document_error_responses, install_error_handlers
from graph_olap_server.middleware import RequestContextMiddleware
from graph_olap_server.wrapper.algo.executions import ExecutionManager
from graph_olap_server.wrapper.algo.preload import preload
from graph_olap_server.wrapper.algo.routes import install_algorithm_routes
from graph_olap_server.wrapper.auth import (
    OBSERVER_HEADER,
    ActivityReporter,
    Authorizer,
    Caller,
    ControlPlaneAuthorizer,
    StaticAuthorizer,
    install_access_routes,
)
from graph_olap_server.wrapper.config import WrapperConfig
from graph_olap_server.wrapper.engine import GraphEngine
from graph_olap_server.wrapper.held import RESULT_ID_PATTERN, Held, HeldResults
from graph_olap_server.wrapper.loader import SNAPSHOT_READY_PATH, Loader, LoadState
from graph_olap_server.wrapper.manifest import Manifest, graph_schema
from graph_olap_server.wrapper.query import (
    QUERY_ID_PATTERN,
    QueryBody,
    execute,
    held_info,
    hold_result,
    run_query,
)
from graph_olap_server.wrapper.running import InterruptibleEngine, RunningQueries
from graph_olap_server.wrapper.schemas import (
    GraphSchema,
    Health,
    HealthStatus,
    HeldResultInfo,
    LoadProgress,
    QueryCancelled,
    QueryResult,
    Ready,
    RunningQueriesAnswer,
    RunningQueryInfo,
    Threads,
    arrow_or_json,
    binary_answer,
    json_response,
)
from graph_olap_server.wrapper.values import ARROW_STREAM, arrow_response

__all__ = ["WrapperContext", "create_wrapper_app"]

log = logging.getLogger("graph_olap_server.wrapper")


class ThreadsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threads: int = Field(ge=1, le=1024)


@dataclasses.dataclass
class WrapperContext:
    """Everything the routes share, kept on ``app.state.wrapper``."""

    config: WrapperConfig
    engine: GraphEngine
    state: LoadState
    loader: Loader
    authorizer: Authorizer
    activity: ActivityReporter
    algorithms: ExecutionManager
    held: HeldResults


def _default_authorizer(config: WrapperConfig) -> Authorizer:
    if config.trusted_users is not None:
        log.warning("GRAPH_OLAP_WRAPPER_TRUST is set: trusting X-Username (dev/test only)")
        return StaticAuthorizer(config.trusted_users)
    if not config.control_plane:
        raise ValueError("--control-plane is required unless GRAPH_OLAP_WRAPPER_TRUST is set")
    return ControlPlaneAuthorizer(config.control_plane, config.instance_id)


def _no_metrics(method: str, route: str, status: int, seconds: float) -> None:
    """The wrapper keeps no request metrics (the control plane does)."""


def _ctx(request: Request) -> WrapperContext:
    ctx: WrapperContext = request.app.state.wrapper
    return ctx


def _internal(request: Request) -> WrapperContext:
    """The context, if the request carries the right ``X-Wrapper-Token``."""
    ctx = _ctx(request)
    given = request.headers.get("x-wrapper-token", "")
    if not ctx.config.token or not hmac.compare_digest(given, ctx.config.token):
        raise APIError(401, "UNAUTHORIZED", "This endpoint needs the instance's X-Wrapper-Token.")
    return ctx


def _caller(request: Request) -> tuple[WrapperContext, Caller]:
    ctx = _ctx(request)
    caller = ctx.authorizer.check(request.headers)
    if not request.headers.get(OBSERVER_HEADER):  # the control plane watching is no activity
        ctx.activity.touch()
    return ctx, caller


def _require_ready(ctx: WrapperContext) -> None:
    state = ctx.state
    if state.ready:
        return
    if state.failed:
        message = f"The instance failed to load: {state.error_message}"
    else:
        message = f"The instance is still loading (phase {state.phase}); try again shortly."
    raise APIError(503, "NOT_READY", message, {"phase": state.phase}, {"Retry-After": "2"})


def _running(ctx: WrapperContext) -> RunningQueries | None:
    """The engine's running queries, if it can interrupt them (an engine given to
    :func:`create_wrapper_app` by a test may not)."""
    running = getattr(ctx.engine, "running", None)
    return running if isinstance(running, RunningQueries) else None


def _sees_all(caller: Caller) -> bool:
    return caller.role in ("admin", "ops")


def _check_query_id(query_id: str) -> None:
    if not re.fullmatch(QUERY_ID_PATTERN, query_id):
        raise APIError(
            400,
            "VALIDATION_ERROR",
            "A query id is 1 to 64 letters, digits, '-' or '_': use the id the query was "
            "sent with.",
            {"query_id": query_id[:80]},
        )


def _check_result_id(result_id: str) -> None:
    if not re.fullmatch(RESULT_ID_PATTERN, result_id):
        raise APIError(
            400,
            "VALIDATION_ERROR",
            "A result id looks like r-0123456789abcdef01234567: use the result_id of the "
            "RESULT_TOO_LARGE answer (err.result.result_id in the SDK).",
            {"result_id": result_id[:80]},
        )


PARQUET = "application/vnd.apache.parquet"
MAX_PARQUET_CHUNK = 64 << 20
"""The most bytes of a held result's Parquet file one request answers."""


def install_held_routes(app: FastAPI) -> None:
    """The routes of held results (guarded fetch; see :mod:`.held`)."""

    def held(request: Request, result_id: str) -> tuple[WrapperContext, Held]:
        """The held result, if the caller may read it (owner, ops or admin)."""
        ctx, caller = _caller(request)
        _check_result_id(result_id)
        return ctx, ctx.held.get(result_id, caller.username, sees_all=_sees_all(caller))

    @app.post("/results", response_model=HeldResultInfo, status_code=201)
    def hold(body: QueryBody, request: Request) -> Response:
        ctx, caller = _caller(request)
        _require_ready(ctx)
        if body.write:
            ctx.algorithms.check_writable()
        result = execute(ctx.engine, ctx.config, body, running=_running(ctx),
                         username=caller.username)  # fmt: skip
        kept = hold_result(result, body, ctx.held, caller.username)
        return json_response(held_info(kept), status_code=201)

    @app.get("/results/{result_id}", response_model=HeldResultInfo)
    def describe(result_id: str, request: Request) -> Response:
        return json_response(held_info(held(request, result_id)[1]))

    @app.delete("/results/{result_id}", response_model=HeldResultInfo)
    def release(result_id: str, request: Request) -> Response:
        ctx, caller = _caller(request)
        _check_result_id(result_id)
        entry = ctx.held.release(result_id, caller.username, sees_all=_sees_all(caller))
        return json_response(held_info(entry))

    @app.get(
        "/results/{result_id}/arrow",
        response_class=StreamingResponse,
        responses=binary_answer(f"Rows [offset, offset+limit) as an {ARROW_STREAM}", ARROW_STREAM),
    )
    def arrow_slice(
        result_id: str,
        request: Request,
        offset: int = Query(0, ge=0, le=2**62),
        limit: int | None = Query(None, ge=1, le=2**62),
    ) -> Response:
        ctx, entry = held(request, result_id)
        names = entry.table.column_names
        types = json.dumps(dict(zip(names, entry.column_types, strict=True)))
        table = entry.table.slice(offset, limit)
        table = table.replace_schema_metadata({"graph_olap.column_types": types})
        headers = {"X-Row-Count": str(table.num_rows), "X-Total-Rows": str(entry.row_count)}
        return arrow_response(table, ctx.config.arrow_batch_rows, headers)

    @app.get(
        "/results/{result_id}/parquet",
        response_class=Response,
        responses=binary_answer("Bytes [offset, offset+length) of the result as Parquet", PARQUET),
    )
    def parquet_range(
        result_id: str,
        request: Request,
        offset: int = Query(0, ge=0, le=2**62),
        length: int = Query(8 << 20, ge=1, le=MAX_PARQUET_CHUNK),
    ) -> Response:
        ctx, entry = held(request, result_id)
        path = ctx.held.parquet(entry)
        total = path.stat().st_size
        with path.open("rb") as file:
            file.seek(offset)
            data = file.read(length)
        headers = {"X-Total-Bytes": str(total), "X-Offset": str(offset)}
        return Response(data, media_type=PARQUET, headers=headers)


def create_wrapper_app(
    config: WrapperConfig,
    *,
    authorizer: Authorizer | None = None,
    engine: GraphEngine | None = None,
) -> FastAPI:
    """The wrapper app for ``config``; loading starts when the app starts (lifespan).

    Example:
        >>> app = create_wrapper_app(config, authorizer=StaticAuthorizer({"alice"}))
        >>> # uvicorn.run(app, host="127.0.0.1", port=config.port)
    """

    checker = authorizer or _default_authorizer(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graph = engine or InterruptibleEngine(
            config.engine,
            max_connections=config.max_connections,
            buffer_pool_bytes=config.buffer_pool_mb << 20,
        )
        state = LoadState()
        loader = Loader(graph, config.snapshot_dir, config.db_path, config.threads, state)
        if not config.await_snapshot:
            loader.snapshot_ready.set()
        activity = ActivityReporter(config.control_plane, config.instance_id, config.token)
        loader.on_finished = activity.loaded

        def manifest() -> Manifest:
            assert loader.manifest is not None, "the graph is not loaded yet"
            return loader.manifest

        algorithms = ExecutionManager(graph, manifest, activity)
        held = HeldResults(
            config.data_dir / "results",
            ttl_seconds=config.held_ttl_seconds,
            max_count=config.held_max_count,
            max_bytes=config.held_max_bytes,
        )
        if config.warm_projection:
            loader.on_nodes_loaded = algorithms.warm_during_load
            loader.on_ready = algorithms.warm_up
        app.state.wrapper = WrapperContext(
            config=config,
            engine=graph,
            state=state,
            loader=loader,
            authorizer=checker,
            activity=activity,
            algorithms=algorithms,
            held=held,
        )
        loader.start()
        preload()  # the algorithm libraries, while the snapshot is exported or loaded
        try:
            yield
        finally:
            held.close()
            algorithms.close()
            activity.close()
            close = getattr(checker, "close", None)
            if authorizer is None and close is not None:
                close()  # ours to close; one given by the caller is the caller's
            loader.join(0.1)
            if state.ready or state.failed:
                graph.close()

    app = FastAPI(
        title=f"Graph OLAP instance {config.instance_id}",
        description="One graph instance: Cypher queries over a loaded snapshot.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    document_error_responses(
        app,
        {
            "406": "The result exceeds the max_rows/max_bytes sent (RESULT_TOO_LARGE; held)",
            "408": "The query ran past its timeout (QUERY_TIMEOUT)",
            "410": "The held result expired or was evicted (RESULT_EXPIRED)",
            "503": "The graph is still loading or failed to load (NOT_READY)",
        },
    )

    @app.get("/health", response_model=Health)
    async def health(request: Request) -> Response:
        state = _ctx(request).state
        status: HealthStatus = "healthy" if state.ready else "failed" if state.failed else "loading"
        answer = Health(
            status=status,
            instance_id=config.instance_id,
            phase=state.phase,
            engine=config.engine,
            error=state.error_message,
        )
        return json_response(answer)

    @app.get("/ready", response_model=Ready)
    async def ready(request: Request) -> Response:
        _require_ready(_ctx(request))
        return json_response(Ready())

    @app.get("/progress", response_model=LoadProgress)
    async def progress(request: Request) -> Response:
        return json_response(_internal(request).state.snapshot())

    @app.post(SNAPSHOT_READY_PATH, response_model=LoadProgress, include_in_schema=False)
    async def snapshot_ready(request: Request) -> Response:
        """The export finished: a wrapper started during it (``--await-snapshot``) loads
        the snapshot now. Answers the load's progress; saying it twice does no harm."""
        ctx = _internal(request)
        if not ctx.loader.snapshot_ready.is_set():
            log.info("the snapshot is ready: loading it")
            ctx.loader.snapshot_ready.set()
        return json_response(ctx.state.snapshot())

    @app.put("/threads", response_model=Threads)
    def threads(body: ThreadsBody, request: Request) -> Response:
        ctx = _internal(request)
        ctx.engine.set_threads(body.threads)
        log.info("threads per query set to %s", body.threads)
        return json_response(Threads(threads=body.threads))

    @app.get("/schema", response_model=GraphSchema)
    def schema(request: Request) -> Response:
        ctx, _ = _caller(request)
        _require_ready(ctx)
        manifest = ctx.loader.manifest
        assert manifest is not None
        return json_response(graph_schema(manifest, ctx.engine.counts(manifest)))

    @app.post("/query", response_model=QueryResult, responses=arrow_or_json("Rows"))
    def query(body: QueryBody, request: Request) -> Response:
        ctx, caller = _caller(request)
        _require_ready(ctx)
        if body.write:
            ctx.algorithms.check_writable()
        arrow = ARROW_STREAM in request.headers.get("accept", "")
        return run_query(
            ctx.engine,
            ctx.config,
            body,
            arrow=arrow,
            running=_running(ctx),
            username=caller.username,
            held=ctx.held,
        )

    install_held_routes(app)
    install_access_routes(app)  # the control plane's revocation push

    @app.post("/query/{query_id}/cancel", response_model=QueryCancelled)
    def cancel_query(query_id: str, request: Request) -> Response:
        ctx, caller = _caller(request)
        _check_query_id(query_id)
        running = _running(ctx)
        entry = running.get(query_id) if running is not None else None
        if entry is not None and entry.username != caller.username and not _sees_all(caller):
            raise APIError(
                403,
                "FORBIDDEN",
                f"Query {query_id} was sent by another user; only they (or ops, or an "
                "admin) may cancel it.",
                {"query_id": query_id},
            )
        interrupted = running.interrupt(query_id) if running is not None else False
        if interrupted:
            log.info("query %s interrupted at the request of %s", query_id, caller.username)
        return json_response(QueryCancelled(query_id=query_id, interrupted=interrupted))

    @app.get("/queries", response_model=RunningQueriesAnswer)
    def queries(request: Request) -> Response:
        ctx, caller = _caller(request)
        running = _running(ctx)
        now = time.time()
        shown = [
            RunningQueryInfo(
                query_id=q.query_id, username=q.username, running_seconds=now - q.started
            )
            for q in (running.active() if running is not None else [])
            if q.username == caller.username or _sees_all(caller)
        ]
        return json_response(RunningQueriesAnswer(queries=shown))

    def access(request: Request) -> tuple[ExecutionManager, str]:
        ctx, caller = _caller(request)
        return ctx.algorithms, caller.username

    def loaded_manifest(request: Request) -> Manifest:
        ctx = _ctx(request)
        _require_ready(ctx)
        assert ctx.loader.manifest is not None
        return ctx.loader.manifest

    install_algorithm_routes(app, access, loaded_manifest, config.arrow_batch_rows)
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=config.max_body_bytes, observe=_no_metrics
    )

    return app
