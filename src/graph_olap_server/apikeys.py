"""API keys: created by an admin (CLI or API), stored hashed, each with a role."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.identity import hash_api_key

__all__ = ["ROLES", "create_api_key"]

ROLES = ("analyst", "ops", "admin")


def create_api_key(
    session: Session, *, username: str, role: str, created_by: str
) -> tuple[db.ApiKey, str]:
    """Store a new key's hash and return the row and the key (shown only this once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    key = "gok_" + secrets.token_urlsafe(32)
    row = db.ApiKey(
        key_hash=hash_api_key(key),
        key_prefix=key[:8],
        username=username,
        role=role,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row, key
