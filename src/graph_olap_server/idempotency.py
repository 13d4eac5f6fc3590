"""A mutation's resource and its idempotency record, committed in one transaction.

The idempotency middleware (:mod:`graph_olap_server.middleware`) claims a key before the
handler runs (state ``in_progress``) and records the answer after it (``done``). A
control plane killed between the handler's commit and that record used to leave a claim
that the next start released, so the client's retry ran the create again: a duplicate.

Now the request's session carries its claim (:func:`bind_claim`): the first commit of the
handler's session that makes a resource (a new mapping, mapping version, snapshot or
instance) also marks the record ``committed``, in the same transaction, naming that
resource's ``GET`` path. Requests that make none (a terminate, a delete, an edit of
fields) are unchanged: their retry after a crash runs again, which they bear (a
terminate carries on where the crash left it). A claim
in that state is never released; after a crash it becomes ``recovered`` and a retry is
answered from the resource itself (the middleware fetches that path) with the handler's
success status, instead of running again. The record's answer columns hold the path and
status until the real answer replaces them (no schema change).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState, Session

from graph_olap_server import db

__all__ = [
    "COMMITTED",
    "COMMITTED_CONTENT_TYPE",
    "RECOVERED",
    "bind_claim",
    "committed_location",
]

COMMITTED = "committed"
"""The handler's transaction committed (the resource exists); the answer is not recorded yet."""
RECOVERED = "recovered"
"""A ``committed`` claim whose process died (or failed) before recording the answer."""
COMMITTED_CONTENT_TYPE = "application/x-graph-olap-committed"
"""Marks a record whose body is ``{"location": ..., "status": ...}``, not an answer."""

_LOCATIONS: tuple[tuple[type[Any], str, str], ...] = (
    # first match wins: an instance made from a mapping also makes a snapshot
    (db.Instance, "/api/instances/{}", "id"),
    (db.Mapping, "/api/mappings/{}", "id"),
    (db.Snapshot, "/api/snapshots/{}", "id"),
    (db.MappingVersion, "/api/mappings/{}", "mapping_id"),
)


def _location(made: list[Any]) -> str | None:
    for cls, template, attribute in _LOCATIONS:
        for row in made:
            if isinstance(row, cls) and getattr(row, attribute, None) is not None:
                return template.format(getattr(row, attribute))
    return None


def bind_claim(session: Session, scope_hash: str, success_status: int) -> None:
    """Make the first commit of ``session`` also mark the idempotency claim
    ``scope_hash`` committed, naming the resource the handler made.

    Example:
        >>> with platform.db.session() as session:
        ...     bind_claim(session, scope_hash, 201)
        ...     session.add(db.Mapping(...)); session.commit()  # the record says so too
    """
    made: list[Any] = []
    wrote = False
    marked = False

    def after_flush(flushing: Session, _context: Any) -> None:
        nonlocal wrote
        made.extend(flushing.new)
        wrote = wrote or bool(flushing.new or flushing.dirty or flushing.deleted)

    def on_execute(state: ORMExecuteState) -> None:
        nonlocal wrote
        wrote = wrote or state.is_insert or state.is_update or state.is_delete

    def before_commit(committing: Session) -> None:
        nonlocal marked
        if marked:
            return
        committing.flush()  # the rows of this commit get their ids (and land in ``made``)
        location = _location(made) if wrote else None
        if location is None:
            return  # nothing made yet (or not a resource: a retry may run it again)
        marked = True
        body = json.dumps({"location": location, "status": success_status}).encode()
        committing.execute(
            update(db.IdempotencyRecord)
            .where(
                db.IdempotencyRecord.scope_hash == scope_hash,
                db.IdempotencyRecord.state == "in_progress",
            )
            .values(
                state=COMMITTED,
                response_status=success_status,
                response_body=body,
                content_type=COMMITTED_CONTENT_TYPE,
            )
        )

    event.listen(session, "after_flush", after_flush)
    event.listen(session, "do_orm_execute", on_execute)
    event.listen(session, "before_commit", before_commit)


def committed_location(record: db.IdempotencyRecord) -> tuple[str | None, int]:
    """The ``GET`` path of the resource a committed request made (``None``: no known
    kind) and the status its answer had.

    Example:
        >>> committed_location(record)
        ('/api/mappings/12', 201)
    """
    try:
        data = json.loads(record.response_body or b"{}")
    except ValueError:
        data = {}
    location = data.get("location") if isinstance(data, dict) else None
    status = data.get("status") if isinstance(data, dict) else None
    return (
        location if isinstance(location, str) else None,
        status if isinstance(status, int) else int(record.response_status or 200),
    )
