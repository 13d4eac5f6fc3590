"""Routes: calls from wrapper processes to the control plane, authenticated with the
instance's wrapper token (``X-Wrapper-Token``), not with a user's credentials."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Response
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import DbSession, PlatformDep
from graph_olap_server.api.schemas.common import Envelope
from graph_olap_server.api.schemas.instances import ActivityOut
from graph_olap_server.errors import APIError

router = APIRouter(tags=["internal"], prefix="/internal", include_in_schema=False)


def _wrapper_instance(session: Session, instance_id: int, token: str | None) -> db.Instance:
    """The instance whose wrapper token ``token`` is. An unknown instance is refused like
    a wrong token (401), so the answer does not tell a caller without the token which
    instances exist."""
    instance = session.get(db.Instance, instance_id)
    expected = (instance.wrapper_token if instance is not None else None) or ""
    given = token or ""
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
    return instance


@router.post("/instances/{instance_id}/activity", summary="A wrapper reports activity")
def report_activity(
    instance_id: int,
    session: DbSession,
    x_wrapper_token: Annotated[str | None, Header()] = None,
) -> Envelope[ActivityOut]:
    """Sets ``last_activity_at`` (the inactivity timeout counts from it)."""
    instance = _wrapper_instance(session, instance_id, x_wrapper_token)
    instance.last_activity_at = db.utcnow()
    session.commit()
    return Envelope(
        data=ActivityOut(instance_id=instance_id, last_activity_at=instance.last_activity_at)
    )


@router.post(
    "/instances/{instance_id}/loaded", status_code=204, summary="A wrapper finished its load"
)
def report_loaded(
    instance_id: int,
    session: DbSession,
    platform: PlatformDep,
    x_wrapper_token: Annotated[str | None, Header()] = None,
) -> Response:
    """The wrapper's load ended (ready or failed): the instance monitor looks at once
    instead of at its next pass (every 0.25 s), so the instance is ``running`` (or
    ``failed``) within milliseconds. The monitor still reads the wrapper itself: this
    only wakes it."""
    _wrapper_instance(session, instance_id, x_wrapper_token)
    platform.monitor.wake()
    return Response(status_code=204)
