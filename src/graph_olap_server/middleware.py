"""ASGI middleware: request ids and body limits, and idempotent replays of mutations.

Idempotency: a mutating request (POST, PUT, PATCH, DELETE) with an ``Idempotency-Key``
header is recorded. A repeat of the same key by the same caller on the same path gets the
first answer again (with ``Idempotent-Replayed: true``) instead of being executed twice;
the same key with a different body is refused (422); a repeat that arrives while the
first is still running answers 409 with ``x-should-retry: true`` so the SDK tries again.
Only final answers are recorded: 408, 429 and 5xx are not (a retry must run again, and
must see the server's ``Retry-After``), nor answers marked ``Cache-Control: no-store``
(they hold a secret, such as a new API key, that must not be stored). Such an answer may
name, in the header :data:`REPLAY_INSTEAD`, what a repeat must be told instead: a repeat
then gets 409 ``ALREADY_DONE`` with that message (the resource is not made twice, and
its secret is not shown again). Records expire after :data:`RECORD_TTL`.

A control plane killed in the middle of a request leaves its claim unfinished; the next
start releases such claims (:func:`release_abandoned_claims`), and a claim older than
:data:`STALE_CLAIM` is taken over, so the client's retry runs instead of being told
"in progress" forever. A claim whose handler had already committed is not released: the
handler's commit marked it ``committed`` in the same transaction
(:mod:`graph_olap_server.idempotency`), so the retry is answered from the resource that
request made (``Idempotent-Replayed: true``) instead of making it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.exceptions import HTTPException

if TYPE_CHECKING:  # the database is imported where it is used: instance wrappers use
    # RequestContextMiddleware and must start without loading SQLAlchemy
    from graph_olap_server.db import Database

__all__ = ["IdempotencyMiddleware", "RequestContextMiddleware", "release_abandoned_claims"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
CLAIM_STATE_KEY = "idempotency_claim"
"""``scope["state"]`` key of the claim a request holds (its session binds it)."""
NOT_RECORDED = frozenset({408, 429})
RECORD_TTL = dt.timedelta(hours=24)
STALE_CLAIM = dt.timedelta(minutes=10)
"""A claim still unfinished after this long was abandoned (no request runs that long)."""


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


REPLAY_INSTEAD = b"x-replay-instead"
"""Header of a ``no-store`` answer: the message a repeat of the request gets (409
``ALREADY_DONE``), as a JSON string (ASCII, so any name fits a header). It is taken off
the answer before it leaves."""


def _json_error(
    status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()
    return status, [(b"content-type", b"application/json"), *(headers or [])], body


async def _send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


Observer = Callable[[str, str, int, float], None]


class RequestContextMiddleware:
    """Give every request an id (``x-request-id``), refuse oversized bodies (413) and
    report each answer's method, route template, status and duration to ``observe``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, observe: Observer) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await _send_whole(send, *_too_large(self.max_body_bytes, request_id))
            return

        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise _BodyTooLarge(self.max_body_bytes)
            return message

        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except _BodyTooLarge:
            status = 413
            await _send_whole(send, *_too_large(self.max_body_bytes, request_id))
        finally:
            self.observe(
                scope["method"], route_template(scope), status, time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The matched route with its parameters as ``{name}`` (bounded metric labels)."""
    if scope.get("route") is None:
        return "unmatched"
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    segments = [
        f"{{{params.pop(seg)}}}" if seg in params else seg for seg in scope["path"].split("/")
    ]
    return "/".join(segments)


class _BodyTooLarge(HTTPException):
    """A streamed body went past the limit. An HTTPException, so that FastAPI, which
    reads the body, answers 413 instead of turning it into a 400 parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit} bytes. Send less at once."


def _too_large(limit: int, request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status, headers, body = _json_error(413, "PAYLOAD_TOO_LARGE", _too_large_message(limit))
    return status, [*headers, (b"x-request-id", request_id.encode())], body


class IdempotencyMiddleware:
    """Replay the recorded answer of a repeated mutating request (see module docstring)."""

    def __init__(self, app: ASGIApp, *, database: Callable[[], Database]) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if key is None or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255:
            await _send_whole(
                send,
                *_json_error(400, "VALIDATION_ERROR", "Idempotency-Key must be 1-255 characters."),
            )
            return
        body = await _read_body(receive)
        caller = "|".join(
            _header(scope, h) or ""
            for h in (b"x-internal-api-key", b"authorization", b"x-username")
        )
        scope_hash = _sha(f"{caller}\n{scope['method']}\n{scope['path']}\n{key}".encode())
        request_hash = _sha(scope.get("query_string", b"") + b"\n" + body)
        database = self.database()

        claimed = await anyio.to_thread.run_sync(_claim, database, scope_hash, request_hash)
        if isinstance(claimed, _Recovered):
            await self._answer_from_resource(scope, send, database, scope_hash, claimed)
            return
        if claimed is not None:
            await _send_whole(send, *claimed)
            return
        scope.setdefault("state", {})[CLAIM_STATE_KEY] = scope_hash

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        finished = False

        async def finish() -> None:
            nonlocal finished
            if not finished:
                finished = True
                await anyio.to_thread.run_sync(_finish, database, scope_hash, captured)

        async def capture(message: Message) -> None:
            # The answer is recorded before its last byte leaves, so a repeat that the
            # client sends as soon as it has the answer always finds it recorded.
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                instead = [v for k, v in headers if k.lower() == REPLAY_INSTEAD]
                captured["status"] = message["status"]
                captured["headers"] = [(k, v) for k, v in headers if k.lower() != REPLAY_INSTEAD]
                captured["replay_instead"] = json.loads(instead[0]) if instead else None
                captured["start"] = {**message, "headers": captured["headers"]}
                return
            if message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
                if message.get("more_body"):
                    return
                await finish()
                await send(captured.pop("start"))
                await send({"type": "http.response.body", "body": captured["body"]})
                return
            await send(message)

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            await finish()

    async def _answer_from_resource(
        self, scope: Scope, send: Send, database: Database, scope_hash: str, done: _Recovered
    ) -> None:
        """Answer a repeat of a request that committed but never recorded its answer
        (the process died): with the resource it made, fetched now; never run it again."""
        answer = None
        if done.location is not None:
            answer = await self._fetch(scope, done.location)
        if answer is None or answer[0] != 200:
            where = f" ({done.location})" if done.location else ""
            await _send_whole(
                send,
                *_json_error(
                    409,
                    "ALREADY_DONE",
                    "This request was carried out before the platform restarted, but its "
                    f"answer was lost{where}; it was not run again. Look up what it made "
                    "(for example, list your resources) instead of sending it again.",
                ),
            )
            return
        _, content_type, body = answer
        captured = {"status": done.status, "headers": [(b"content-type", content_type)]}
        await anyio.to_thread.run_sync(_finish, database, scope_hash, {**captured, "body": body})
        headers = [(b"content-type", content_type), (b"idempotent-replayed", b"true")]
        await _send_whole(send, done.status, headers, body)

    async def _fetch(self, scope: Scope, path: str) -> tuple[int, bytes, bytes] | None:
        """``GET path`` through the app with the caller's credentials: status,
        content type and body (``None`` if it did not answer)."""
        dropped = {b"content-length", b"content-type", b"idempotency-key", b"transfer-encoding"}
        state = {k: v for k, v in scope.get("state", {}).items() if k != CLAIM_STATE_KEY}
        get_scope = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k, v) for k, v in scope.get("headers", ()) if k not in dropped],
            "state": state,
        }
        got: dict[str, Any] = {"body": b""}

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                got["status"] = message["status"]
                got["type"] = next(
                    (v for k, v in message.get("headers", []) if k.lower() == b"content-type"),
                    b"application/json",
                )
            elif message["type"] == "http.response.body":
                got["body"] += message.get("body", b"")

        await self.app(get_scope, receive, capture)
        if "status" not in got:
            return None
        return int(got["status"]), got["type"], got["body"]


class _Recovered:
    """A claim whose request committed and then lost its answer (see module docstring)."""

    def __init__(self, location: str | None, status: int) -> None:
        self.location = location
        self.status = status


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _claim(
    database: Database, scope_hash: str, request_hash: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes] | _Recovered | None:
    """Record a new key (``None``: go ahead) or return the answer to send instead (or
    :class:`_Recovered`: answer from the resource the first request made)."""
    from sqlalchemy import delete, select
    from sqlalchemy.exc import IntegrityError

    from graph_olap_server import db
    from graph_olap_server.idempotency import COMMITTED, RECOVERED, committed_location

    with database.transaction() as session:  # a day-old key is forgotten, and may be reused
        session.execute(
            delete(db.IdempotencyRecord).where(
                db.IdempotencyRecord.scope_hash == scope_hash,
                db.IdempotencyRecord.created_at < db.utcnow() - RECORD_TTL,
            )
        )
    try:
        with database.transaction() as session:
            session.add(db.IdempotencyRecord(scope_hash=scope_hash, request_hash=request_hash))
        return None
    except IntegrityError:
        pass
    with database.session() as session:
        record = session.scalars(
            select(db.IdempotencyRecord).where(db.IdempotencyRecord.scope_hash == scope_hash)
        ).one()
    if record.request_hash != request_hash:
        return _json_error(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used with a different request body. "
            "Use a new key for a new request.",
        )
    stale = record.created_at < db.utcnow() - STALE_CLAIM
    if record.state == RECOVERED or (record.state == COMMITTED and stale):
        return _Recovered(*committed_location(record))  # done, answer lost: never run again
    if record.state == "in_progress" and stale:
        with database.transaction() as session:  # abandoned: this request takes it over
            session.execute(
                delete(db.IdempotencyRecord).where(
                    db.IdempotencyRecord.id == record.id,
                    db.IdempotencyRecord.state == "in_progress",
                )
            )
        return _claim(database, scope_hash, request_hash)
    if record.state != "done":
        return _json_error(
            409,
            "REQUEST_IN_PROGRESS",
            "The same request is still being processed; retry in a moment.",
            [(b"x-should-retry", b"true"), (b"retry-after", b"1")],
        )
    headers = [
        (b"content-type", (record.content_type or "application/json").encode()),
        (b"idempotent-replayed", b"true"),
    ]
    return int(record.response_status or 200), headers, record.response_body or b""


def _no_store(headers: list[tuple[bytes, bytes]]) -> bool:
    """An answer marked ``Cache-Control: no-store`` (it holds a secret) is never recorded."""
    return any(k == b"cache-control" and b"no-store" in v.lower() for k, v in headers)


def _finish(database: Database, scope_hash: str, captured: dict[str, Any]) -> None:
    from sqlalchemy import delete, select

    from graph_olap_server import db
    from graph_olap_server.idempotency import COMMITTED, RECOVERED

    status = int(captured["status"])
    instead = captured.get("replay_instead")
    secret = _no_store(captured["headers"])
    with database.transaction() as session:
        record = session.scalars(
            select(db.IdempotencyRecord).where(db.IdempotencyRecord.scope_hash == scope_hash)
        ).first()
        if record is None:
            return  # forgotten meanwhile (an admin purge): nothing to record
        if status >= 500 or status in NOT_RECORDED or (secret and not instead):
            if record.state == COMMITTED:  # its work is done: a retry must not redo it
                record.state = RECOVERED
                return
            session.execute(
                delete(db.IdempotencyRecord).where(db.IdempotencyRecord.scope_hash == scope_hash)
            )
            return
        record.state = "done"
        if secret:  # the repeat is told what was done, never shown the secret again
            status, _, body = _json_error(409, "ALREADY_DONE", str(instead))
            record.response_status, record.response_body = status, body
            record.content_type = "application/json"
            return
        record.response_status = status
        record.response_body = captured["body"]
        record.content_type = next(
            (v.decode("latin-1") for k, v in captured["headers"] if k == b"content-type"), None
        )


def release_abandoned_claims(database: Database) -> int:
    """At start-up: forget the claims of requests that a previous control-plane process
    never finished (it was killed mid-request), so that their retries run again instead
    of answering 409 ``REQUEST_IN_PROGRESS`` forever. Answers how many were released.

    With SQLite one control plane owns the database, so every open claim is abandoned;
    with a shared database (PostgreSQL) another process may still be serving its claims,
    so only those older than :data:`STALE_CLAIM` are released. A claim whose handler had
    committed is kept, as ``recovered``: its retry is answered from what it made.

    Example:
        >>> release_abandoned_claims(platform.db)
        0
    """
    from sqlalchemy import ColumnElement, delete, true, update

    from graph_olap_server import db
    from graph_olap_server.idempotency import COMMITTED, RECOVERED

    abandoned: ColumnElement[bool] = true()
    if database.engine.dialect.name != "sqlite":
        abandoned = db.IdempotencyRecord.created_at < db.utcnow() - STALE_CLAIM
    state = db.IdempotencyRecord.state
    with database.transaction() as session:
        session.execute(
            update(db.IdempotencyRecord)
            .where(state == COMMITTED, abandoned)
            .values(state=RECOVERED)
        )
        released = session.execute(
            delete(db.IdempotencyRecord).where(state == "in_progress", abandoned)
        )
        return int(getattr(released, "rowcount", 0) or 0)
