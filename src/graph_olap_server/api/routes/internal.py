"""Routes: calls from wrapper processes to the control plane, authenticated with the
instance's wrapper token (``X-Wrapper-Token``), not with a user's credentials."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header

from graph_olap_server import db
from graph_olap_server.api.deps import DbSession
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.instances import ActivityOut
from graph_olap_server.errors import APIError

router = APIRouter(tags=["internal"], prefix="/internal", include_in_schema=False)


@router.post("/instances/{instance_id}/activity", summary="A wrapper reports activity")
def report_activity(
    instance_id: int,
    session: DbSession,
    x_wrapper_token: Annotated[str | None, Header()] = None,
) -> Envelope[ActivityOut]:
    """Sets ``last_activity_at`` (the inactivity timeout counts from it). An unknown
    instance is refused like a wrong token (401), so the answer does not tell a caller
    without the token which instances exist."""
    instance = session.get(db.Instance, instance_id)
    expected = (instance.wrapper_token if instance is not None else None) or ""
    given = x_wrapper_token or ""
    if (
        instance is None
        or not expected
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        raise APIError(
            401,
            "UNAUTHORIZED",
            f"X-Wrapper-Token is missing or is not the token of instance {instance_id}.",
        )
    instance.last_activity_at = db.utcnow()
    session.commit()
    return Envelope(
        data=ActivityOut(instance_id=instance_id, last_activity_at=instance.last_activity_at)
    )
