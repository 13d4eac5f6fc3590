"""The platform object an app holds: settings, database, warehouse, cache, metrics, the
instance runtime and monitor, the snapshot exporter and the job scheduler.

It is assembled once, in dependency order, by :func:`graph_olap_server.app.open_platform`;
each part is built from the parts it needs (none of them holds the platform), so the
routes are its only users.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph_olap_server.db import Database
    from graph_olap_server.export import Exporter
    from graph_olap_server.jobs.scheduler import JobScheduler
    from graph_olap_server.metrics import Metrics
    from graph_olap_server.runtime import InstanceMonitor, InstanceRuntime
    from graph_olap_server.settings import Settings
    from graph_olap_server.warehouse import SchemaCache, WarehouseAdapter

__all__ = ["Platform"]


@dataclasses.dataclass(frozen=True)
class Platform:
    """Everything one control-plane app owns; opened in the lifespan, closed after.

    ``runtime`` runs instance processes; ``exporter`` and ``monitor`` are the threads
    that export snapshots and start instances (started in the lifespan when
    ``settings.run_workers``); ``admission_lock`` serialises instance admission.
    """

    settings: Settings
    db: Database
    warehouse: WarehouseAdapter
    schema_cache: SchemaCache
    metrics: Metrics
    runtime: InstanceRuntime
    monitor: InstanceMonitor
    exporter: Exporter
    scheduler: JobScheduler
    admission_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
