"""The audit log: one entry per change a user makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.identity import User

__all__ = ["audit"]


def audit(
    session: Session,
    user: User,
    action: str,
    resource_type: str | None = None,
    resource_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit entry for ``user`` to ``session`` (written with its commit).

    Example:
        >>> audit(session, user, "mapping.update", "mapping", 7, {"version": 2})
    """
    session.add(
        db.AuditEntry(
            username=user.username,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            details=details,
        )
    )
