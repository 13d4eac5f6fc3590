"""Admin bulk delete: find the matches of the filters (at most 100, and as many as the
caller expected), then delete them one by one, each in its own savepoint."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.api.schemas.admin import BulkFilters
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, bad_request
from graph_olap_server.identity import User
from graph_olap_server.services.instances import delete_instance_row
from graph_olap_server.services.mappings import delete_mapping_row
from graph_olap_server.services.snapshots import delete_snapshot_row

__all__ = ["MAX_BULK", "Failure", "delete_rows", "matching_rows"]

MAX_BULK = 100
_MODELS: dict[str, Any] = {"mapping": db.Mapping, "snapshot": db.Snapshot, "instance": db.Instance}


@dataclasses.dataclass(frozen=True)
class Failure:
    """A match that was not deleted, with the error it got."""

    id: int
    code: str
    message: str


def matching_rows(
    session: Session, resource_type: str, filters: BulkFilters, expected_count: int | None
) -> Sequence[Any]:
    """The rows of ``resource_type`` the filters match, by id; 400 when they match more
    than :data:`MAX_BULK` or not ``expected_count``.

    Example:
        >>> matching_rows(session, "instance", BulkFilters(name_prefix="tmp-"), None)
    """
    model = _MODELS[resource_type]
    query = select(model)
    f = filters
    if f.name_prefix:
        query = query.where(
            func.lower(model.name).startswith(f.name_prefix.lower(), autoescape=True)
        )
    if f.created_by:
        query = query.where(model.owner_username == f.created_by)
    if f.older_than_hours is not None:
        cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=f.older_than_hours)
        query = query.where(model.created_at <= cutoff)
    if f.status:
        if resource_type == "mapping":
            raise bad_request(
                "Mappings have no status; filter them by name_prefix, created_by or age."
            )
        query = query.where(model.status == f.status)
    matched_count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if matched_count > MAX_BULK:
        raise bad_request(
            f"The filters match {matched_count} {resource_type}s; at most {MAX_BULK} can be "
            "deleted at once. Narrow the filters (e.g. add older_than_hours) and repeat.",
            matched_count=matched_count,
        )
    rows = session.scalars(query.order_by(model.id)).all()
    if expected_count is not None and expected_count != matched_count:
        matched_ids = [r.id for r in rows]
        raise bad_request(
            f"expected_count is {expected_count} but the filters match {matched_count} "
            f"{resource_type}s (ids {matched_ids}). Nothing was deleted; run a dry run and "
            "check the matches.",
            matched_count=matched_count,
            matched_ids=matched_ids,
        )
    return rows


def delete_rows(
    platform: Platform, session: Session, user: User, resource_type: str, rows: Sequence[Any]
) -> tuple[list[int], list[Failure]]:
    """Delete each row in a savepoint: mappings only without dependants, snapshots with
    their files (only without live instances), instances after terminating them. Answers
    the ids deleted and the failures (the session is not committed).

    Example:
        >>> deleted, failed = delete_rows(platform, session, user, "instance", rows)
    """
    deleted: list[int] = []
    failed: list[Failure] = []
    for row in rows:
        rid = row.id
        try:
            with session.begin_nested():
                if resource_type == "mapping":
                    delete_mapping_row(session, user, row)
                elif resource_type == "snapshot":
                    delete_snapshot_row(platform, session, user, row)
                else:
                    delete_instance_row(platform, session, user, row)
            deleted.append(rid)
        except APIError as err:
            failed.append(Failure(rid, err.code, err.message))
    return deleted, failed
