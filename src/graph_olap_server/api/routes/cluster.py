"""Routes: cluster health and instance usage (ops role).

``GET /cluster/health`` answers ``{"status", "components", "checked_at"}``; each component
(``database``, ``warehouse``, ``jobs``, ``instance_runtime``) is ``{"status",
"latency_ms", "message"}``. The overall status is ``unhealthy`` when the database is,
``degraded`` when any other component is not healthy, else ``healthy``.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from sqlalchemy import func, select

from graph_olap_server import db
from graph_olap_server.api.deps import DbSession, OpsUser, PlatformDep
from graph_olap_server.api.schemas.cluster import (
    ClusterHealthOut,
    ClusterInstancesOut,
    ComponentHealthOut,
    InstanceLimitsOut,
    OwnerCountOut,
)
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.config_store import get_config
from graph_olap_server.instance_lifecycle import ENDED_STATUSES
from graph_olap_server.metrics import INSTANCE_STATUSES, counts_by_status
from graph_olap_server.services.health import component_health, overall_status

router = APIRouter(tags=["cluster"], prefix="/cluster")


@router.get("/health", summary="Health of each platform component")
def cluster_health(platform: PlatformDep, _user: OpsUser) -> Envelope[ClusterHealthOut]:
    checks = component_health(platform)
    components = {name: ComponentHealthOut.from_row(c) for name, c in checks.items()}
    status = overall_status(checks)
    return Envelope(
        data=ClusterHealthOut(
            status=status, components=components, checked_at=dt.datetime.now(dt.timezone.utc)
        )
    )


@router.get("/instances", summary="Instance counts by status and owner, with the limits")
def cluster_instances(session: DbSession, _user: OpsUser) -> Envelope[ClusterInstancesOut]:
    """``by_status`` counts every instance (every status listed, zero included);
    ``by_owner`` and ``limits.cluster_used`` count the instances holding resources (not
    terminated or failed)."""
    by_status = counts_by_status(session, db.Instance, INSTANCE_STATUSES)
    owners = session.execute(
        select(db.Instance.owner_username, func.count())
        .where(db.Instance.status.not_in(ENDED_STATUSES))
        .group_by(db.Instance.owner_username)
        .order_by(func.count().desc(), db.Instance.owner_username)
    ).all()
    used = sum(int(count) for _owner, count in owners)
    limits = get_config(session, "concurrency")
    return Envelope(
        data=ClusterInstancesOut(
            total=sum(by_status.values()),
            by_status=by_status,
            by_owner=[OwnerCountOut(owner_username=o, count=int(c)) for o, c in owners],
            limits=InstanceLimitsOut(
                per_analyst=limits["per_analyst"],
                cluster_total=limits["cluster_total"],
                cluster_used=used,
                cluster_available=max(0, int(limits["cluster_total"]) - used),
            ),
        )
    )
