"""The platform object an app holds: settings, database, warehouse, cache, jobs, metrics,
the snapshot exporter and the instance runtime and monitor."""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any

from graph_olap_server.db import Database
from graph_olap_server.settings import Settings

if TYPE_CHECKING:
    from graph_olap_server.export import Exporter
    from graph_olap_server.jobs.scheduler import JobScheduler
    from graph_olap_server.metrics import Metrics
    from graph_olap_server.runtime import InstanceMonitor, InstanceRuntime
    from graph_olap_server.warehouse import SchemaCache, Warehouse

__all__ = ["Platform"]


@dataclasses.dataclass
class Platform:
    """Everything one control-plane app owns; opened in the lifespan, closed after.

    ``runtime`` runs instance processes; ``exporter`` and ``monitor`` are the threads
    that export snapshots and start instances (started in the lifespan when
    ``settings.run_workers``); ``admission_lock`` serialises instance admission.
    """

    settings: Settings
    db: Database
    warehouse: Warehouse
    schema_cache: SchemaCache
    metrics: Metrics
    scheduler: JobScheduler
    runtime: InstanceRuntime
    exporter: Exporter = dataclasses.field(default=None)  # type: ignore[assignment]
    monitor: InstanceMonitor = dataclasses.field(default=None)  # type: ignore[assignment]
    admission_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)
