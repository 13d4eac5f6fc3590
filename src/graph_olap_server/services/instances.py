"""Instances: loading, admitting a new one under the limits, terminating and deleting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.config_store import maintenance_guard
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, not_found
from graph_olap_server.identity import User
from graph_olap_server.instance_lifecycle import stop_instance
from graph_olap_server.runtime.admission import admission, check_limits, instance_lifecycle
from graph_olap_server.runtime.base import InstanceRuntimeError
from graph_olap_server.services.audit import audit

__all__ = [
    "admit_instance",
    "delete_instance_row",
    "fresh_instance",
    "load_instance",
    "terminate_now",
]


def load_instance(session: Session, instance_id: int) -> db.Instance:
    """The instance, or 404.

    Example:
        >>> load_instance(session, 5).status
        'running'
    """
    instance = session.get(db.Instance, instance_id)
    if instance is None:
        raise not_found("Instance", instance_id)
    return instance


def fresh_instance(platform: Platform, session: Session, instance_id: int) -> db.Instance:
    """The instance; a ``running`` one whose process is gone is marked ``failed`` first,
    so a client that just lost its connection to the instance reads the truth.

    Example:
        >>> fresh_instance(platform, session, 5).status
        'failed'
    """
    instance = load_instance(session, instance_id)
    monitor = platform.monitor
    if monitor is not None and monitor.fail_if_process_gone(instance):
        session.rollback()  # end this read, to see the monitor's write
        instance = load_instance(session, instance_id)
    return instance


def terminate_now(platform: Platform, instance: db.Instance, reason: str) -> None:
    """Terminate through the runtime; a process that will not stop is a 500 with a
    message (the row stays ``stopping`` for reconciliation).

    Example:
        >>> terminate_now(platform, load_instance(session, 5), "requested")
    """
    try:
        stop_instance(platform.runtime, instance, reason=reason)
    except InstanceRuntimeError as err:
        raise APIError(
            500,
            "INTERNAL_ERROR",
            f"Instance {instance.id} could not be stopped: {err}.",
        ) from err


def delete_instance_row(
    platform: Platform, session: Session, user: User, instance: db.Instance
) -> None:
    """Terminate ``instance`` (stop its process, free its files), then delete the row.

    Example:
        >>> delete_instance_row(platform, session, user, load_instance(session, 5))
    """
    terminate_now(platform, instance, "deleted")
    session.delete(instance)
    audit(session, user, "instance.delete", "instance", instance.id)


def _free_places_of_dead_processes(platform: Platform, session: Session) -> None:
    """Mark ``running`` instances whose process died ``failed`` now, so they do not hold a
    place under the concurrency limits until the reconciliation job comes round."""
    monitor = platform.monitor
    if monitor is None:
        return
    running = session.scalars(select(db.Instance).where(db.Instance.status == "running")).all()
    if [instance for instance in running if monitor.fail_if_process_gone(instance)]:
        session.rollback()  # end this read, so the counts see the monitor's writes


def admit_instance(
    platform: Platform,
    session: Session,
    user: User,
    *,
    ttl: str | None,
    inactivity_timeout: str | None,
    build: Callable[[Session], db.Instance],
) -> db.Instance:
    """Check maintenance mode and the limits, then insert and commit the instance
    ``build(session)`` returns, all under the admission lock (no race between two
    requests for the last place). ``expires_at`` and the lifecycle defaults are set here.

    Example:
        >>> admit_instance(platform, session, user, ttl=None, inactivity_timeout=None,
        ...                build=lambda s: new_instance_row(s))
    """
    maintenance_guard(session)
    ttl, delta, inactivity = instance_lifecycle(session, ttl, inactivity_timeout)
    _free_places_of_dead_processes(platform, session)
    with admission(platform.admission_lock, session):
        check_limits(session, user.username)
        instance = build(session)
        now = dt.datetime.now(dt.timezone.utc)
        instance.created_at = now
        instance.ttl = ttl
        instance.expires_at = now + delta if delta is not None else None
        instance.inactivity_timeout = inactivity
        session.flush()
        audit(session, user, "instance.create", "instance", instance.id)
        session.commit()
    platform.monitor.wake()
    platform.exporter.wake()
    return instance
