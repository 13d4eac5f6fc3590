"""Routes: what can be done to an instance besides creating and ending it: progress,
CPU, lifecycle (TTL, inactivity, extend TTL) and the access check wrappers call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.deps import CurrentUser, DbSession, PlatformDep
from graph_olap_server.api.held_progress import MAX_WAIT_MS, held_progress
from graph_olap_server.api.schemas.common import Envelope, LifecycleUpdate, error_responses
from graph_olap_server.api.schemas.instances import (
    CpuUpdate,
    ExtendTtl,
    InstanceAccessOut,
    InstanceOut,
)
from graph_olap_server.api.schemas.snapshots import ProgressOut
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import APIError, bad_request, forbidden
from graph_olap_server.runtime import InstanceRuntimeError, instance_progress
from graph_olap_server.runtime.admission import format_duration, max_instance_ttl
from graph_olap_server.services.audit import audit
from graph_olap_server.services.instances import load_instance
from graph_olap_server.services.lifecycle import check_durations
from graph_olap_server.services.snapshots import invalid_state

router = APIRouter(tags=["instances"], prefix="/instances")


def _check_expiry(session: Session, instance: db.Instance, expires_at: dt.datetime) -> None:
    """400 when ``expires_at`` is past ``created_at`` + the maximum instance TTL."""
    raw, limit = max_instance_ttl(session)
    if limit is None:
        return
    latest = instance.created_at + limit
    if expires_at > latest:
        raise bad_request(
            f"Instance {instance.id} can live at most {raw} from its creation, that is until "
            f"{latest.isoformat(timespec='seconds')}; the requested expiry "
            f"{expires_at.isoformat(timespec='seconds')} is later. Ask for less, or save "
            "your results and start a new instance then.",
            field="ttl",
            max_ttl=raw,
            latest_expires_at=latest.isoformat(),
        )


@router.get("/{instance_id}/progress", summary="Start-up progress of an instance")
async def get_progress(
    instance_id: int,
    _user: CurrentUser,
    platform: PlatformDep,
    wait_ms: int = Query(0, ge=0, le=MAX_WAIT_MS),
    seen: str | None = Query(None, max_length=64),
) -> Envelope[ProgressOut]:
    """While the instance waits for its snapshot, the phase and steps are the export's,
    followed by the loading steps still to come. With ``seen`` (the last answer's
    ``token``) and ``wait_ms``, the answer waits until the progress changes."""

    def read() -> dict[str, Any]:
        with platform.db.session() as session:
            instance = load_instance(session, instance_id)
            snapshot = None
            if instance.snapshot_id:
                snapshot = session.get(db.Snapshot, instance.snapshot_id)
            return instance_progress(instance, snapshot)

    document = await held_progress(read, wait_ms, seen)
    return Envelope(data=ProgressOut.model_validate(document))


@router.put(
    "/{instance_id}/cpu",
    summary="Change the CPU cores of a running instance",
    responses=error_responses(s503="The CPU change did not reach the instance; try again"),
)
def update_cpu(
    instance_id: int,
    body: CpuUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> Envelope[InstanceOut]:
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    if instance.status != "running":
        raise invalid_state(
            f"Instance {instance_id} is {instance.status}; CPU cores can be changed only "
            "while it is running. Wait for it (client.instances.wait_until_running).",
            status=instance.status,
        )
    try:
        platform.runtime.set_cpu(instance, body.cpu_cores)
    except InstanceRuntimeError as err:
        raise APIError(
            503,
            "SERVICE_UNAVAILABLE",
            f"The CPU change did not reach instance {instance_id}: {err}. Try again; if it "
            "keeps failing, restart the instance.",
        ) from err
    instance.cpu_cores = body.cpu_cores
    audit(session, user, "instance.cpu", "instance", instance_id, {"cpu_cores": body.cpu_cores})
    session.commit()
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.put("/{instance_id}/lifecycle", summary="Set an instance's TTL and inactivity timeout")
def set_lifecycle(
    instance_id: int,
    body: LifecycleUpdate,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> Envelope[InstanceOut]:
    """``ttl`` counts from the instance's creation (``expires_at = created_at + ttl``);
    an empty string clears it when no maximum TTL is configured."""
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    check_durations(ttl=body.ttl, inactivity_timeout=body.inactivity_timeout)
    if body.ttl is not None:
        if body.ttl:
            expires = instance.created_at + parse_duration(body.ttl, "ttl")
            _check_expiry(session, instance, expires)
            instance.ttl, instance.expires_at = body.ttl, expires
        else:
            raw, limit = max_instance_ttl(session)
            if limit is not None:
                raise bad_request(
                    f"Instances cannot live for ever on this platform (maximum TTL {raw}); "
                    "give a ttl such as 'PT24H'.",
                    field="ttl",
                    max_ttl=raw,
                )
            instance.ttl, instance.expires_at = None, None
    if body.inactivity_timeout is not None:
        instance.inactivity_timeout = body.inactivity_timeout or None
    audit(session, user, "instance.lifecycle", "instance", instance_id)
    session.commit()
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.post("/{instance_id}/extend-ttl", summary="Push an instance's expiry back")
def extend_ttl(
    instance_id: int,
    body: ExtendTtl,
    session: DbSession,
    user: CurrentUser,
    platform: PlatformDep,
) -> Envelope[InstanceOut]:
    """New ``expires_at`` = current expiry (or now, when it has none) + ``hours``, at most
    the maximum instance TTL after creation."""
    instance = load_instance(session, instance_id)
    user.require_owner(instance.owner_username, f"Instance {instance_id}")
    if instance.status in ("stopping", "terminated", "failed"):
        raise invalid_state(
            f"Instance {instance_id} is {instance.status}; only a live instance can be "
            "extended. Start a new one.",
            status=instance.status,
        )
    base = instance.expires_at or dt.datetime.now(dt.timezone.utc)
    expires = base + dt.timedelta(hours=body.hours)
    _check_expiry(session, instance, expires)
    instance.expires_at = expires
    instance.ttl = format_duration(expires - instance.created_at)
    audit(session, user, "instance.extend_ttl", "instance", instance_id, {"hours": body.hours})
    session.commit()
    return Envelope(data=InstanceOut.of_row(instance, platform.runtime))


@router.get("/{instance_id}/access", summary="May the caller use this instance? (wrappers ask)")
def check_access(
    instance_id: int, session: DbSession, user: CurrentUser
) -> Envelope[InstanceAccessOut]:
    """200 ``{"username", "role", "instance_id"}`` for the owner, ops and admins; 403 for
    other analysts; 409 ``INVALID_STATE`` when the instance is not running."""
    instance = load_instance(session, instance_id)
    if not user.is_ops and user.username != instance.owner_username:
        raise forbidden(
            f"Instance {instance_id} belongs to {instance.owner_username!r}; only its owner, "
            "ops and admins can query it. Start your own instance of the mapping "
            "(client.instances.create_from_mapping).",
            owner=instance.owner_username,
        )
    if instance.status != "running":
        raise invalid_state(
            f"Instance {instance_id} is {instance.status}, not running.",
            status=instance.status,
        )
    return Envelope(
        data=InstanceAccessOut(username=user.username, role=user.role, instance_id=instance_id)
    )
