"""The list block written once: paging limits, the common filters (owner, status, name
or description search, creation time), sorting with a stable tie-break, and the count.

Example:
    >>> query = select(db.Snapshot)
    >>> query = filter_by(query, db.Snapshot, ListFilters(owner="alice", search="bank"))
    >>> rows, total = fetch_page(session, query, Sort(db.Snapshot.name, "asc", db.Snapshot.id),
    ...                          offset=0, limit=50)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from graph_olap_server.errors import bad_request

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "ListFilters",
    "Sort",
    "check_page",
    "fetch_page",
    "filter_by",
    "parse_time",
]

MAX_LIMIT = 100
MAX_OFFSET = 2**63 - 1  # the database's integer range


def check_page(offset: int, limit: int, *, max_limit: int = MAX_LIMIT) -> None:
    """Reject paging outside the documented range with a message that says what to do.

    Example:
        >>> check_page(0, 50)
    """
    if limit < 1 or limit > max_limit:
        raise bad_request(
            f"limit must be between 1 and {max_limit}, got {limit}. "
            "Ask for pages of at most 100 and use offset (or the SDK's iter_all()) "
            "to walk the rest.",
            field="limit",
        )
    if offset < 0 or offset > MAX_OFFSET:
        raise bad_request(
            f"offset must be between 0 and {MAX_OFFSET}, got {offset}. An offset past the "
            "last item answers an empty page; meta.total says how many there are.",
            field="offset",
        )


def parse_time(value: str, field: str) -> dt.datetime:
    """An ISO 8601 query parameter as an aware datetime (UTC when it has no zone).

    Example:
        >>> parse_time("2026-01-31T12:00:00Z", "created_after").isoformat()
        '2026-01-31T12:00:00+00:00'
    """
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise bad_request(
            f"{field} must be an ISO 8601 timestamp such as '2026-01-31T12:00:00Z', got {value!r}.",
            field=field,
        ) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class ListFilters:
    """The filters every list of owned resources takes; ``None`` (or empty) filters nothing.

    ``search`` matches a part of the name or description, case-insensitively, literally
    (``%`` and ``_`` are not wildcards); ``status`` only applies to models that have one.
    """

    owner: str | None = None
    status: str | None = None
    search: str | None = None
    created_after: str | None = None
    created_before: str | None = None


@dataclasses.dataclass(frozen=True)
class Sort:
    """Order by ``column`` (``asc`` or ``desc``), then by ``tie_break`` descending, so
    pages never overlap."""

    column: Any
    order: Literal["asc", "desc"]
    tie_break: Any


def filter_by(query: Select[Any], model: Any, filters: ListFilters) -> Select[Any]:
    """``query`` narrowed by ``filters`` on ``model``'s ``owner_username``, ``status``,
    ``name``, ``description`` and ``created_at`` columns.

    Example:
        >>> filter_by(select(db.Instance), db.Instance, ListFilters(status="running"))
    """
    if filters.owner:
        query = query.where(model.owner_username == filters.owner)
    if filters.status:
        query = query.where(model.status == filters.status)
    if filters.search:
        text = filters.search.lower()
        query = query.where(
            or_(
                func.lower(model.name).contains(text, autoescape=True),
                func.lower(model.description).contains(text, autoescape=True),
            )
        )
    if filters.created_after:
        after = parse_time(filters.created_after, "created_after")
        query = query.where(model.created_at >= after)
    if filters.created_before:
        before = parse_time(filters.created_before, "created_before")
        query = query.where(model.created_at <= before)
    return query


def fetch_page(
    session: Session, query: Select[Any], sort: Sort, *, offset: int, limit: int
) -> tuple[Sequence[Any], int]:
    """The rows of one page of ``query`` in ``sort`` order, and how many match in all
    (check the paging first with :func:`check_page`).

    Example:
        >>> rows, total = fetch_page(session, select(db.Mapping),
        ...                          Sort(db.Mapping.id, "desc", db.Mapping.id),
        ...                          offset=0, limit=10)
    """
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = sort.column.asc() if sort.order == "asc" else sort.column.desc()
    rows = session.scalars(
        query.order_by(order, sort.tie_break.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total
