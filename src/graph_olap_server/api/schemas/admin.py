"""Wire shapes of the admin operations: bulk delete and API keys."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from graph_olap_server.api.schemas.common import Out, Strict

__all__ = [
    "ApiKeyCreate",
    "ApiKeyCreatedOut",
    "ApiKeyOut",
    "BulkDelete",
    "BulkDeleteErrorOut",
    "BulkDeleteOut",
    "BulkFilters",
]


class BulkFilters(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    name_prefix: str | None = Field(default=None, min_length=1, max_length=255)
    created_by: str | None = Field(default=None, min_length=1, max_length=255)
    older_than_hours: float | None = Field(default=None, ge=0)
    status: str | None = Field(default=None, min_length=1, max_length=32)


class BulkDelete(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    resource_type: Literal["instance", "snapshot", "mapping"]
    filters: BulkFilters
    reason: str = Field(min_length=1, max_length=500)
    expected_count: int | None = Field(default=None, ge=0)
    dry_run: bool = False

    @model_validator(mode="after")
    def _one_filter(self) -> BulkDelete:
        if not self.filters.model_dump(exclude_none=True):
            raise ValueError(
                "at least one filter is required "
                "(name_prefix, created_by, older_than_hours, status)"
            )
        return self


class BulkDeleteErrorOut(Out):
    """Why one match was not deleted (the error code and message it got)."""

    id: int
    code: str
    message: str


class BulkDeleteOut(Out):
    """What a bulk delete matched and deleted (nothing deleted on a dry run)."""

    dry_run: bool
    resource_type: str
    matched_count: int
    matched_ids: list[int]
    deleted_count: int
    deleted_ids: list[int]
    failed_ids: list[int]
    errors: list[BulkDeleteErrorOut]


class ApiKeyCreate(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    username: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
    role: Literal["analyst", "ops", "admin"] = "analyst"


class ApiKeyOut(Out):
    """An API key without the key itself (only its first characters)."""

    id: int
    username: str
    role: str
    key_prefix: str
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    """A new API key, with the key: the only answer that ever shows it."""

    key: str
