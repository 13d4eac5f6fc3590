"""Platform configuration stored in the metadata database, with defaults when absent.

Keys and their defaults are in :data:`DEFAULTS`. A stored value is merged over its default
(one level deep for ``lifecycle``), so a default added later shows up for old databases.

Example:
    >>> with platform.db.session() as session:
    ...     get_config(session, "concurrency")["per_analyst"]
    5
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.errors import APIError

__all__ = [
    "DEFAULTS",
    "ConfigValue",
    "get_config",
    "get_config_entry",
    "maintenance_guard",
    "set_config",
]

DEFAULTS: dict[str, dict[str, Any]] = {
    "lifecycle": {
        "mapping": {"default_ttl": None, "default_inactivity": None, "max_ttl": None},
        "snapshot": {"default_ttl": "P7D", "default_inactivity": None, "max_ttl": "P30D"},
        "instance": {"default_ttl": "PT24H", "default_inactivity": "PT4H", "max_ttl": "P7D"},
    },
    "concurrency": {"per_analyst": 5, "cluster_total": 50},
    "maintenance": {"enabled": False, "message": ""},
    "export": {"max_duration_seconds": 3600},
}


class ConfigValue:
    """One configuration value with who changed it last (``None``: still the default)."""

    def __init__(
        self, value: dict[str, Any], updated_at: dt.datetime | None, updated_by: str | None
    ) -> None:
        self.value = value
        self.updated_at = updated_at
        self.updated_by = updated_by

    def public(self) -> dict[str, Any]:
        """The wire shape: the value's fields plus ``updated_at`` and ``updated_by``."""
        return {**self.value, "updated_at": self.updated_at, "updated_by": self.updated_by}


def _merge(default: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(default)
    for key, value in stored.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _default(key: str) -> dict[str, Any]:
    try:
        return DEFAULTS[key]
    except KeyError:
        raise KeyError(f"unknown config key {key!r}; known keys: {sorted(DEFAULTS)}") from None


def get_config_entry(session: Session, key: str) -> ConfigValue:
    """The value of ``key`` (merged over its default) and who changed it last."""
    default = _default(key)
    row = session.get(db.ConfigEntry, key)
    if row is None:
        return ConfigValue(copy.deepcopy(default), None, None)
    return ConfigValue(_merge(default, row.value or {}), row.updated_at, row.updated_by)


def get_config(session: Session, key: str) -> dict[str, Any]:
    """The value of ``key``: ``lifecycle``, ``concurrency``, ``maintenance`` or ``export``."""
    return get_config_entry(session, key).value


def set_config(session: Session, key: str, value: dict[str, Any], username: str) -> ConfigValue:
    """Store the whole value of ``key`` (the caller merges and validates; not committed)."""
    _default(key)
    now = db.utcnow()
    row = session.get(db.ConfigEntry, key)
    if row is None:
        try:
            with session.begin_nested():  # a concurrent first write may insert it first
                session.add(
                    db.ConfigEntry(key=key, value=value, updated_at=now, updated_by=username)
                )
            return ConfigValue(copy.deepcopy(value), now, username)
        except IntegrityError:
            row = session.get(db.ConfigEntry, key, populate_existing=True)
            assert row is not None
    row.value = copy.deepcopy(value)
    row.updated_at = now
    row.updated_by = username
    session.flush()
    return ConfigValue(copy.deepcopy(value), now, username)


def maintenance_guard(session: Session) -> None:
    """Refuse with 503 ``MAINTENANCE_MODE`` while maintenance mode is on.

    Call it before starting anything new (instance creation). The answer carries
    ``x-should-retry: false``: maintenance lasts longer than an SDK retry would wait.
    """
    maintenance = get_config(session, "maintenance")
    if maintenance.get("enabled"):
        message = str(maintenance.get("message") or "").strip().rstrip(".") or "no reason given"
        raise APIError(
            503,
            "MAINTENANCE_MODE",
            f"The platform is in maintenance mode: {message}. Try again later.",
            {"maintenance_message": maintenance.get("message") or ""},
            headers={"x-should-retry": "false"},
        )
