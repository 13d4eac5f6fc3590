"""``create_app(settings)``: the control-plane FastAPI app (no module-level state)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from graph_olap_server.api.routes import (
    admin,
    cluster,
    config,
    favorites,
    health,
    instance_ops,
    instances,
    internal,
    jobs,
    mappings,
    ops,
    schema,
    snapshots,
)
from graph_olap_server.api.routes import metrics as metrics_route
from graph_olap_server.context import Platform
from graph_olap_server.db import Database
from graph_olap_server.errors import install_error_handlers
from graph_olap_server.export import Exporter
from graph_olap_server.jobs.definitions import JobContext
from graph_olap_server.jobs.scheduler import JobScheduler
from graph_olap_server.metrics import Metrics
from graph_olap_server.middleware import (
    IdempotencyMiddleware,
    RequestContextMiddleware,
    release_abandoned_claims,
)
from graph_olap_server.runtime import InstanceMonitor, make_runtime
from graph_olap_server.services.bulk_delete import fail_interrupted
from graph_olap_server.settings import Settings
from graph_olap_server.warehouse import (
    SchemaCache,
    generate_sample_warehouse,
    open_warehouse,
    sample_is_current,
)

__all__ = ["create_app", "open_platform"]

log = logging.getLogger("graph_olap_server")


def open_platform(settings: Settings) -> Platform:
    """Open the database, warehouse, schema cache, metrics, instance runtime and monitor,
    exporter and job scheduler, each from the parts it needs, in that order (threads
    start in the lifespan)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.database_url)
    sources = list(settings.warehouse_sources)
    if settings.sample_warehouse:
        path = settings.sample_warehouse_path
        if not path.exists() or not sample_is_current(path):
            generate_sample_warehouse(path)
        sources.insert(0, settings.sample_warehouse_path)
    settings.snapshot_dir.mkdir(parents=True, exist_ok=True)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    warehouse = open_warehouse(settings, sources)  # DuckDB unless GRAPH_OLAP_WAREHOUSE_URL
    cache = SchemaCache(warehouse)  # reads the warehouse's metadata once, now
    metrics = Metrics()
    metrics.bind(database)
    runtime = make_runtime(settings)
    monitor = InstanceMonitor(settings, database, runtime)
    exporter = Exporter(
        settings,
        database,
        warehouse,
        on_snapshot_ready=monitor.wake,
        workers=settings.export_workers,
    )
    jobs = JobContext(settings, database, runtime, cache, exporter)
    return Platform(
        settings=settings,
        db=database,
        warehouse=warehouse,
        schema_cache=cache,
        metrics=metrics,
        runtime=runtime,
        monitor=monitor,
        exporter=exporter,
        scheduler=JobScheduler(jobs, metrics),
    )


def create_app(settings: Settings) -> FastAPI:
    """Build the control-plane app for ``settings``; resources open in the lifespan.

    Example:
        >>> app = create_app(Settings(data_dir=Path("/tmp/graph-olap")))
        >>> # uvicorn.run(app, port=8000)
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        platform = open_platform(settings)
        app.state.platform = platform
        release_abandoned_claims(platform.db)  # requests a killed predecessor left open
        fail_interrupted(platform.db)  # jobs: bulk deletes a stopped predecessor left running
        if settings.run_workers:
            platform.exporter.start()
            platform.monitor.start()  # adopts the instances that survived a restart first
        if settings.run_scheduler:
            platform.scheduler.start()
        try:
            yield
        finally:
            platform.scheduler.stop()
            platform.monitor.stop()
            platform.exporter.stop()
            if settings.stop_instances_on_exit:
                platform.monitor.terminate_all("the platform stopped")
            platform.runtime.close()  # wrappers keep running: the next start adopts them
            platform.warehouse.close()
            platform.db.dispose()

    app = FastAPI(
        title="Graph OLAP Control Plane (local platform)",
        version=settings.version,
        description="Control Plane API of the Graph OLAP platform, served on one machine.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (
        mappings,
        snapshots,
        instances,
        instance_ops,
        internal,
        favorites,
        schema,
        config,
        cluster,
        ops,
        admin,
        jobs,  # jobs: exports, starts, executions, bulk deletes
    ):
        app.include_router(module.router, prefix="/api")
    app.include_router(health.router)
    app.include_router(metrics_route.router)

    def observe(method: str, route: str, status: int, seconds: float) -> None:
        platform: Platform | None = getattr(app.state, "platform", None)
        if platform is not None:
            platform.metrics.observe_request(method, route, status, seconds)

    app.add_middleware(IdempotencyMiddleware, database=lambda: app.state.platform.db)
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=settings.max_body_bytes, observe=observe
    )
    return app
