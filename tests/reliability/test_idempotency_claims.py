"""Idempotency claims a killed control plane leaves behind (the end-to-end cases are in
test_control_plane_restart.py and test_kill_writers.py): released at start-up, taken over
once stale; a claim whose request had committed is kept, and its retry is answered from
what the request made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from graph_olap_server import db, middleware
from graph_olap_server.idempotency import COMMITTED, COMMITTED_CONTENT_TYPE
from graph_olap_server.middleware import (
    STALE_CLAIM,
    _claim,
    _Recovered,
    release_abandoned_claims,
)
from graph_olap_server.runner import ServerThread

from .conftest import TINY_NODES, db_rows, fast_settings


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
    assert db.utcnow() - record.created_at.replace(tzinfo=dt.timezone.utc) < dt.timedelta(minutes=1)


def test_start_up_keeps_committed_claims_as_recovered(database: db.Database) -> None:
    claim(database, "cut-off", age=dt.timedelta(seconds=2), state="in_progress")
    with database.transaction() as session:
        session.add(
            db.IdempotencyRecord(
                scope_hash="committed",
                request_hash="body",
                state=COMMITTED,
                response_status=201,
                response_body=b'{"location": "/api/mappings/7", "status": 201}',
                content_type=COMMITTED_CONTENT_TYPE,
            )
        )
    assert release_abandoned_claims(database) == 1  # only the claim that did nothing
    assert scopes(database) == {"committed"}
    recovered = _claim(database, "committed", "body")
    assert isinstance(recovered, _Recovered)
    assert (recovered.location, recovered.status) == ("/api/mappings/7", 201)
    assert isinstance(_claim(database, "committed", "other body"), tuple)  # still 422


def test_a_create_committed_before_a_crash_is_answered_not_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window issue 17 closes: the handler committed the mapping, then the process
    died before the answer was recorded. The fault: recording the answer fails (as the
    kill would stop it), so the client gets no answer; the platform then restarts. The
    retry with the same key gets the mapping that was made, and none is made twice."""
    data_dir = tmp_path / "data"
    body = {
        "name": "made-once",
        "description": "",
        "node_definitions": TINY_NODES,
        "edge_definitions": [],
    }
    headers = {"X-Username": "erin", "Idempotency-Key": "k-made-once"}

    def crash(*_args: object) -> None:
        raise RuntimeError("the control plane died here (injected)")

    with monkeypatch.context() as patch:
        patch.setattr(middleware, "_finish", crash)
        with ServerThread(fast_settings(data_dir)) as server:
            try:
                first = httpx.post(
                    f"{server.url}/api/mappings", json=body, headers=headers, trust_env=False
                )
            except httpx.HTTPError:
                first = None  # the connection dropped: no answer either
            assert first is None or first.status_code >= 500
    made = db_rows(data_dir, "SELECT id FROM mappings WHERE name = 'made-once'")
    assert len(made) == 1  # the create itself committed
    [record] = db_rows(data_dir, "SELECT state FROM idempotency_records")
    assert record["state"] == COMMITTED  # in the same transaction as the mapping

    with ServerThread(fast_settings(data_dir)) as server:  # the restart
        for _ in range(2):  # the retry, then a later repeat (a plain replay)
            again = httpx.post(
                f"{server.url}/api/mappings", json=body, headers=headers, trust_env=False
            )
            assert again.status_code == 201, again.text
            assert again.headers["idempotent-replayed"] == "true"
            assert again.json()["data"]["id"] == made[0]["id"]
            assert again.json()["data"]["name"] == "made-once"
    assert db_rows(data_dir, "SELECT count(*) AS n FROM mappings") == [{"n": 1}]
