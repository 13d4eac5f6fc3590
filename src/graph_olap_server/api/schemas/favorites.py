"""Wire shapes of favorites."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from graph_olap_server.api.schemas.common import Out, Strict

__all__ = ["FavoriteCreate", "FavoriteOut", "ResourceType"]

ResourceType = Literal["mapping", "snapshot", "instance"]


class FavoriteCreate(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    resource_type: ResourceType
    resource_id: int = Field(gt=0)


class FavoriteOut(Out):
    """A favorite, with the name of what it points at (``None`` and ``resource_exists``
    false once that was deleted)."""

    id: int
    resource_type: str
    resource_id: int
    resource_name: str | None
    resource_exists: bool
    created_at: dt.datetime
