"""Idempotency claims a killed control plane leaves behind (the end-to-end case is in
test_control_plane_restart.py): released at start-up, taken over once stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from graph_olap_server import db
from graph_olap_server.middleware import STALE_CLAIM, _claim, release_abandoned_claims


@pytest.fixture
def database(tmp_path: Path) -> Iterator[db.Database]:
    database = db.Database(f"sqlite:///{tmp_path / 'metadata.db'}")
    yield database
    database.dispose()


def claim(database: db.Database, scope: str, *, age: dt.timedelta, state: str) -> None:
    with database.transaction() as session:
        session.add(
            db.IdempotencyRecord(
                scope_hash=scope,
                request_hash="body",
                state=state,
                response_status=201 if state == "done" else None,
                response_body=b'{"data": {}}' if state == "done" else None,
                created_at=db.utcnow() - age,
            )
        )


def scopes(database: db.Database) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(db.IdempotencyRecord.scope_hash)))


def test_start_up_releases_unfinished_claims_and_keeps_answers(database: db.Database) -> None:
    claim(database, "cut-off", age=dt.timedelta(seconds=2), state="in_progress")
    claim(database, "answered", age=dt.timedelta(seconds=2), state="done")
    assert release_abandoned_claims(database) == 1
    assert scopes(database) == {"answered"}
    assert _claim(database, "cut-off", "body") is None  # the retry runs
    status, headers, _ = _claim(database, "answered", "body") or (0, [], b"")
    assert status == 201 and (b"idempotent-replayed", b"true") in headers


def test_a_fresh_claim_answers_in_progress_a_stale_one_is_taken_over(
    database: db.Database,
) -> None:
    claim(database, "running", age=dt.timedelta(seconds=1), state="in_progress")
    claim(database, "stale", age=STALE_CLAIM + dt.timedelta(seconds=5), state="in_progress")
    status, headers, _ = _claim(database, "running", "body") or (0, [], b"")
    assert status == 409 and (b"x-should-retry", b"true") in headers
    assert _claim(database, "stale", "body") is None
    with database.session() as session:
        record = session.scalars(
            select(db.IdempotencyRecord).where(db.IdempotencyRecord.scope_hash == "stale")
        ).one()
    assert record.state == "in_progress"  # claimed again, by this request
    assert db.utcnow() - record.created_at.replace(tzinfo=dt.timezone.utc) < dt.timedelta(
        minutes=1
    )
