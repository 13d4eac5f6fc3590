"""The platform object an app holds: settings, database, warehouse, cache, jobs, metrics."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from graph_olap_server.db import Database
from graph_olap_server.settings import Settings

if TYPE_CHECKING:
    from graph_olap_server.jobs.scheduler import JobScheduler
    from graph_olap_server.metrics import Metrics
    from graph_olap_server.warehouse import SchemaCache, Warehouse

__all__ = ["Platform"]


@dataclasses.dataclass
class Platform:
    """Everything one control-plane app owns; opened in the lifespan, closed after."""

    settings: Settings
    db: Database
    warehouse: Warehouse
    schema_cache: SchemaCache
    metrics: Metrics
    scheduler: JobScheduler
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)
