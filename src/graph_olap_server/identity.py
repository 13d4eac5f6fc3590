"""Who calls: the authenticated :class:`User` and how API keys are stored (hashed).

Used by the API's authentication (``api/deps.py``), the services, the job scheduler and
the API key commands; it depends on nothing but the error helpers.
"""

from __future__ import annotations

import dataclasses
import hashlib

from graph_olap_server.errors import forbidden

__all__ = ["User", "hash_api_key"]


@dataclasses.dataclass(frozen=True)
class User:
    """The authenticated caller."""

    username: str
    role: str  # analyst | ops | admin

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_ops(self) -> bool:
        return self.role in ("ops", "admin")

    def require_owner(self, owner: str, what: str) -> None:
        """Analysts (and ops) change only what they own; admins change anything."""
        if not self.is_admin and self.username != owner:
            raise forbidden(
                f"{what} belongs to {owner!r}; only its owner or an admin can change it. "
                "Copy it (e.g. client.mappings.copy) to get one you own.",
                owner=owner,
            )


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
