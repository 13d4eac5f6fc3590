"""Relative times ("3 min ago") against now in UTC."""

from __future__ import annotations

import datetime

__all__ = ["duration", "relative_time", "utcnow"]

_UNITS = ((86400 * 365, "y"), (86400 * 30, "mo"), (86400, "d"), (3600, "h"), (60, "min"))


def utcnow() -> datetime.datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def relative_time(when: datetime.datetime, *, now: datetime.datetime | None = None) -> str:
    """``when`` relative to ``now`` (default: the current UTC time): ``"just now"``,
    ``"42 s ago"``, ``"3 min ago"``, ``"in 2 h"``, ``"5 d ago"``. Naive datetimes are
    taken as UTC, as the platform sends them.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> t = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
        >>> relative_time(t - timedelta(minutes=3), now=t)
        '3 min ago'
    """
    now = now or utcnow()
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    seconds = (now - when).total_seconds()
    ago = seconds >= 0
    seconds = abs(seconds)
    if seconds < 5:
        return "just now"
    text = f"{int(seconds)} s"
    for size, unit in _UNITS:
        if seconds >= size:
            text = f"{int(seconds // size)} {unit}"
            break
    return f"{text} ago" if ago else f"in {text}"


def duration(seconds: float) -> str:
    """A duration for people: ``"350 ms"``, ``"4.2 s"``, ``"3 s"`` (from 10 s on, whole
    seconds), ``"2 min 05 s"``, ``"1 h 02 min"``.

    Example:
        >>> duration(0.35), duration(4.24), duration(12.7), duration(125)
        ('350 ms', '4.2 s', '13 s', '2 min 05 s')
    """
    seconds = max(float(seconds), 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
