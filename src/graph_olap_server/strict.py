"""``Strict``: the base of every request body the platform reads (API requests and the
mapping definitions inside them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Strict"]


class Strict(BaseModel):
    """Base of every request body: an unknown field is a 400, strings are stripped.

    Example:
        >>> class Rename(Strict):
        ...     name: str
        >>> Rename(name="  a ").name
        'a'
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
