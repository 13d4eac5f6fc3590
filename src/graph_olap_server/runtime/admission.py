"""Admitting new instances: concurrency limits, lifecycle defaults and limits.

:func:`admission` serialises check-and-insert: callers count, insert and commit inside it,
so two concurrent requests can never both take the last free place (a lock in the
process, plus a transaction-scoped advisory lock on PostgreSQL for several processes).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.config_store import get_config
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import bad_request, conflict
from graph_olap_server.instance_lifecycle import ENDED_STATUSES

__all__ = [
    "admission",
    "check_limits",
    "format_duration",
    "instance_lifecycle",
    "max_instance_ttl",
]

_ADVISORY_KEY = 0x6F1A9  # any constant shared by every control-plane process


@contextmanager
def admission(lock: threading.Lock, session: Session) -> Iterator[None]:
    """Hold this while counting instances, inserting one and committing."""
    with lock:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        yield


def _listing(rows: list[tuple[int, str, str]]) -> str:
    shown = ", ".join(f"{i} {name!r} ({status})" for i, name, status in rows[:10])
    return shown + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


def check_limits(session: Session, username: str) -> None:
    """409 ``CONCURRENCY_LIMIT_EXCEEDED`` when ``username`` or the platform is at its limit
    of instances that are not terminated or failed."""
    limits = get_config(session, "concurrency")
    live = db.Instance.status.not_in(ENDED_STATUSES)
    mine = [
        (int(i), str(n), str(s))
        for i, n, s in session.execute(
            select(db.Instance.id, db.Instance.name, db.Instance.status)
            .where(live, db.Instance.owner_username == username)
            .order_by(db.Instance.id)
        ).all()
    ]
    per_analyst = int(limits["per_analyst"])
    if len(mine) >= per_analyst:
        raise conflict(
            "CONCURRENCY_LIMIT_EXCEEDED",
            f"You have {len(mine)} instance(s) that are not terminated or failed, and the "
            f"limit per analyst is {per_analyst}: {_listing(mine)}. Terminate one you no "
            "longer need (client.instances.terminate(id)) and try again.",
            limit=per_analyst,
            current=len(mine),
            scope="per_analyst",
            instance_ids=[i for i, _, _ in mine],
        )
    total = int(session.scalar(select(func.count()).where(live)) or 0)
    cluster_total = int(limits["cluster_total"])
    if total >= cluster_total:
        raise conflict(
            "CONCURRENCY_LIMIT_EXCEEDED",
            f"The platform runs {total} instance(s), its limit is {cluster_total}. "
            + (
                f"Terminate one of yours ({_listing(mine)}) or wait"
                if mine
                else "Wait for others to finish"
            )
            + ", or ask ops to raise the limit.",
            limit=cluster_total,
            current=total,
            scope="cluster_total",
            instance_ids=[i for i, _, _ in mine],
        )


def _duration(value: str, field: str) -> dt.timedelta:
    try:
        return parse_duration(value, field)
    except ValueError as err:
        raise bad_request(str(err), field=field) from err


def format_duration(delta: dt.timedelta) -> str:
    """ISO 8601: ``PT24H``, ``P2DT3H``, ``PT90S``."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    out = "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


def max_instance_ttl(session: Session) -> tuple[str | None, dt.timedelta | None]:
    """The configured maximum instance TTL (``lifecycle.instance.max_ttl``)."""
    raw = get_config(session, "lifecycle")["instance"].get("max_ttl")
    return raw, (_duration(raw, "lifecycle.instance.max_ttl") if raw else None)


def instance_lifecycle(
    session: Session, ttl: str | None, inactivity_timeout: str | None
) -> tuple[str | None, dt.timedelta | None, str | None]:
    """``(ttl, ttl as a timedelta, inactivity_timeout)`` of a new instance: the given
    values, else the lifecycle defaults; 400 when invalid or over the maximum TTL."""
    config = get_config(session, "lifecycle")["instance"]
    ttl = ttl or config.get("default_ttl")
    inactivity_timeout = inactivity_timeout or config.get("default_inactivity")
    delta = _duration(ttl, "ttl") if ttl else None
    if inactivity_timeout:
        _duration(inactivity_timeout, "inactivity_timeout")
    raw_max, max_ttl = max_instance_ttl(session)
    if delta is not None and max_ttl is not None and delta > max_ttl:
        raise bad_request(
            f"ttl {ttl} is longer than the maximum instance TTL {raw_max}. Ask for at most "
            f"{raw_max}, and extend it later (client.instances.extend_ttl) if you need to.",
            field="ttl",
            max_ttl=raw_max,
        )
    return ttl, delta, inactivity_timeout
