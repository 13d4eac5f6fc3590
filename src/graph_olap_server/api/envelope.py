"""Success envelopes: ``{"data": ...}`` and ``{"data": [...], "meta": {...}}``."""

from __future__ import annotations

from typing import Any

from graph_olap_server.errors import bad_request

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "check_page", "ok", "page"]

MAX_LIMIT = 100
MAX_OFFSET = 2**63 - 1  # the database's integer range


def ok(data: Any) -> dict[str, Any]:
    return {"data": data}


def page(items: list[Any], *, total: int, offset: int, limit: int) -> dict[str, Any]:
    return {"data": items, "meta": {"total": total, "offset": offset, "limit": limit}}


def check_page(offset: int, limit: int, *, max_limit: int = MAX_LIMIT) -> None:
    """Reject paging outside the documented range with a message that says what to do."""
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
