"""Checks of lifecycle settings given in requests: ISO 8601 durations, the maximum
snapshot TTL, and the lifecycle configuration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from graph_olap_server.config_store import get_config
from graph_olap_server.durations import parse_duration
from graph_olap_server.errors import bad_request

__all__ = ["check_durations", "check_lifecycle_config", "check_snapshot_lifecycle"]

_RESOURCES = ("mapping", "snapshot", "instance")
_DURATION_FIELDS = ("default_ttl", "default_inactivity", "max_ttl")


def check_durations(**values: str | None) -> None:
    """400 naming the field for a value that is not an ISO 8601 duration.

    Example:
        >>> check_durations(ttl="PT24H", inactivity_timeout=None)
    """
    for field, value in values.items():
        if value:
            try:
                parse_duration(value, field)
            except ValueError as err:
                raise bad_request(str(err), field=field) from err


def check_snapshot_lifecycle(
    session: Session, ttl: str | None, inactivity_timeout: str | None
) -> None:
    """400 for an invalid duration or a TTL over ``lifecycle.snapshot.max_ttl``.

    Example:
        >>> check_snapshot_lifecycle(session, "P1D", None)
    """
    check_durations(ttl=ttl, inactivity_timeout=inactivity_timeout)
    limit = get_config(session, "lifecycle")["snapshot"].get("max_ttl")
    if ttl and limit and parse_duration(ttl, "ttl") > parse_duration(limit, "max_ttl"):
        raise bad_request(
            f"ttl {ttl} is longer than the maximum snapshot TTL {limit}; ask for at most {limit}.",
            field="ttl",
            max_ttl=limit,
        )


def check_lifecycle_config(value: dict[str, Any]) -> None:
    """400 for a lifecycle configuration (``{"mapping", "snapshot", "instance"}``, each
    ``{"default_ttl", "default_inactivity", "max_ttl"}``) with a value that is not a
    duration, or a default TTL longer than the maximum.

    Example:
        >>> check_lifecycle_config(get_config(session, "lifecycle"))
    """
    for resource in _RESOURCES:
        parsed: dict[str, dt.timedelta] = {}
        for field in _DURATION_FIELDS:
            raw = value[resource].get(field)
            if raw is None:
                continue
            try:
                parsed[field] = parse_duration(raw, f"{resource}.{field}")
            except ValueError as err:
                raise bad_request(str(err), field=f"{resource}.{field}") from err
        maximum = parsed.get("max_ttl")
        default = parsed.get("default_ttl")
        if maximum is not None and default is not None and default > maximum:
            raise bad_request(
                f"{resource}.default_ttl ({value[resource]['default_ttl']}) is longer than "
                f"{resource}.max_ttl ({value[resource]['max_ttl']}). Lower the default or "
                "raise the maximum.",
                field=f"{resource}.default_ttl",
            )
