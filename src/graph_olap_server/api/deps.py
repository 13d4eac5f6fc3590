"""Request dependencies: the platform, a database session, and who is calling."""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.context import Platform
from graph_olap_server.errors import APIError, forbidden
from graph_olap_server.idempotency import bind_claim
from graph_olap_server.identity import User, hash_api_key
from graph_olap_server.middleware import CLAIM_STATE_KEY, MUTATING
from graph_olap_server.revocation import watch_revocations

__all__ = [
    "AdminUser",
    "CurrentUser",
    "DbSession",
    "OpsUser",
    "PlatformDep",
]

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


# Dependencies that do no blocking I/O are ``async def``: FastAPI would otherwise run each
# in the thread pool, and the hops cost more than the whole handler.


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_session(request: Request, platform: PlatformDep) -> AsyncIterator[Session]:
    """A session per request; it connects lazily, in the handler's worker thread.

    A mutation's session also writes its idempotency claim with the resource, in the
    same transaction (:func:`~graph_olap_server.idempotency.bind_claim`), and tells the
    running wrappers when it revoked an API key
    (:func:`~graph_olap_server.revocation.watch_revocations`).
    """
    with platform.db.session() as session:
        if request.method in MUTATING:
            claim = request.scope.get("state", {}).get(CLAIM_STATE_KEY)
            if claim:
                route = request.scope.get("route")
                bind_claim(session, claim, getattr(route, "status_code", None) or 200)
            watch_revocations(session, platform)
        yield session


DbSession = Annotated[Session, Depends(get_session)]


def _unauthorized(message: str) -> APIError:
    return APIError(401, "UNAUTHORIZED", message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request, platform: Platform) -> User:
    """Credentials in priority order: internal key, Bearer API key, X-Username (dev)."""
    settings = platform.settings
    headers = request.headers
    internal = headers.get("x-internal-api-key")
    if internal is not None:
        expected = settings.internal_api_key
        if not expected or not hmac.compare_digest(internal.encode(), expected.encode()):
            raise _unauthorized("The X-Internal-Api-Key is not valid for this platform.")
        return User(_username(headers.get("x-username") or "internal-service"), "admin")
    auth = headers.get("authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Authorization must be 'Bearer <api key>'.")
        with platform.db.session() as session:
            row = session.scalars(
                select(db.ApiKey).where(
                    db.ApiKey.key_hash == hash_api_key(token.strip()),
                    db.ApiKey.revoked_at.is_(None),
                )
            ).first()
        if row is None:
            raise _unauthorized(
                "The API key is not valid or has been revoked. Ask an admin for a new key "
                "(graph-olap create-api-key)."
            )
        return User(row.username, row.role)
    username = headers.get("x-username")
    if username is not None:
        if not settings.dev_mode:
            raise _unauthorized(
                "This platform does not accept usernames (X-Username; dev mode is off): use an "
                "API key: pass api_key=... to the client (or set GRAPH_OLAP_API_KEY); an admin "
                "creates keys with graph-olap create-api-key."
            )
        name = _username(username)
        return User(name, settings.role_of(name))
    raise _unauthorized(
        "Authentication required. On the local platform pass username='you' to the client "
        "(or set GRAPH_OLAP_USERNAME); elsewhere pass api_key=... (GRAPH_OLAP_API_KEY)."
    )


def _username(raw: str) -> str:
    name = raw.strip()
    if not _USERNAME.match(name):
        raise _unauthorized(
            f"Username {raw[:40]!r} is not valid: use 1-128 letters, digits and . _ @ + -"
        )
    return name


async def current_user(request: Request, platform: PlatformDep) -> User:
    if "authorization" in request.headers and "x-internal-api-key" not in request.headers:
        user = await anyio.to_thread.run_sync(authenticate, request, platform)  # DB lookup
    else:
        user = authenticate(request, platform)
    request.state.username = user.username
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def ops_user(user: CurrentUser) -> User:
    if not user.is_ops:
        raise forbidden(
            f"This needs the ops or admin role; {user.username!r} is an {user.role}. "
            "Ask your platform team for access.",
            required_role="ops",
        )
    return user


async def admin_user(user: CurrentUser) -> User:
    if not user.is_admin:
        raise forbidden(
            f"This needs the admin role; {user.username!r} is {_article(user.role)} "
            f"{user.role}. Ask an admin to do it.",
            required_role="admin",
        )
    return user


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


OpsUser = Annotated[User, Depends(ops_user)]
AdminUser = Annotated[User, Depends(admin_user)]
