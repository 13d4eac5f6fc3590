"""Route: ``GET /metrics``, the Prometheus exposition (ops or admin role)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from graph_olap_server.api.deps import OpsUser, PlatformDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics", summary="Prometheus metrics (ops or admin)", response_class=PlainTextResponse
)
def metrics(platform: PlatformDep, _user: OpsUser) -> Response:
    """HTTP, background job and resource-count series in the Prometheus text format."""
    return Response(content=platform.metrics.render(), media_type=CONTENT_TYPE_LATEST)
