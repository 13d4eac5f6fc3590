"""Who may use this instance, and telling the control plane that someone did.

:class:`ControlPlaneAuthorizer` forwards the caller's own credentials (``X-Username``,
``Authorization``, ``X-Internal-Api-Key``) to ``GET {control_plane}/api/instances/{id}/access``
and caches each answer for 60 s per header set; 401/403/404 answers reach the caller with
the control plane's own error envelope. When an API key is revoked the control plane
pushes ``POST /internal/access/revoked`` (wrapper token) to its running wrappers
(:func:`install_access_routes`): the cache is dropped, so the revoked key is refused on
its next call instead of up to 60 s later. :class:`StaticAuthorizer` trusts a fixed list of
usernames (``GRAPH_OLAP_WRAPPER_TRUST=alice,admin``): for tests and development only, it
checks no password or key.

:class:`ActivityReporter` posts ``/api/internal/instances/{id}/activity`` (internal
token) at most every 5 s, from a background thread; a failure is logged, never raised.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from graph_olap_server.errors import APIError

__all__ = [
    "AUTH_HEADERS",
    "OBSERVER_HEADER",
    "ActivityReporter",
    "Authorizer",
    "Caller",
    "ControlPlaneAuthorizer",
    "StaticAuthorizer",
    "install_access_routes",
]

log = logging.getLogger("graph_olap_server.wrapper")

AUTH_HEADERS = ("x-username", "authorization", "x-internal-api-key")
OBSERVER_HEADER = "x-graph-olap-observer"
"""Set (to ``1``) on a call that only looks (the control plane listing jobs): it does not
count as the instance's activity, so watching never keeps an idle instance alive."""
TOKEN_HEADER = "X-Wrapper-Token"
FORGET_ACCESS_PATH = "/internal/access/revoked"
"""Where the control plane pushes a revocation (its twin: ``runtime/wrapper_client.py``)."""


@dataclasses.dataclass(frozen=True)
class Caller:
    username: str
    role: str


class Authorizer(Protocol):
    """Answers who the caller is, or raises :class:`APIError` (401/403/404/503)."""

    def check(self, headers: Mapping[str, str]) -> Caller: ...


def _credentials(headers: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(headers.get(name, "") for name in AUTH_HEADERS)


class StaticAuthorizer:
    """Trusts ``X-Username`` when it is in ``usernames`` (dev/test only)."""

    def __init__(
        self, usernames: set[str] | frozenset[str], admins: frozenset[str] = frozenset({"admin"})
    ):
        self.usernames = frozenset(usernames)
        self.admins = admins

    def check(self, headers: Mapping[str, str]) -> Caller:
        username = headers.get("x-username", "")
        if not username:
            raise APIError(401, "UNAUTHORIZED", "Send X-Username to use this instance.")
        if username not in self.usernames:
            raise APIError(
                403, "FORBIDDEN", f"User {username} may not use this instance.", {"user": username}
            )
        return Caller(username, "admin" if username in self.admins else "analyst")


class ControlPlaneAuthorizer:
    """Asks the control plane, caching answers per credential set for ``ttl`` seconds."""

    def __init__(
        self,
        control_plane: str,
        instance_id: int,
        *,
        ttl: float = 60.0,
        timeout: float = 10.0,
        max_entries: int = 1024,
    ) -> None:
        self.url = f"{control_plane.rstrip('/')}/api/instances/{instance_id}/access"
        self.ttl = ttl
        self.max_entries = max_entries
        self._http = httpx.Client(timeout=timeout, trust_env=False)
        self._cache: dict[tuple[str, ...], tuple[float, Caller | APIError]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # moves on at each forget(): an answer asked before is not kept

    def check(self, headers: Mapping[str, str]) -> Caller:
        key = _credentials(headers)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            generation = self._generation
        if hit is None or hit[0] <= now:
            answer = self._ask(key)
            with self._lock:
                if generation == self._generation:  # else a revocation came meanwhile
                    if len(self._cache) >= self.max_entries:
                        self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                        if len(self._cache) >= self.max_entries:
                            self._cache.clear()
                    self._cache[key] = (now + self.ttl, answer)
            hit = (now + self.ttl, answer)
        if isinstance(hit[1], APIError):
            raise hit[1]
        return hit[1]

    def _ask(self, key: tuple[str, ...]) -> Caller | APIError:
        forwarded = {name: value for name, value in zip(AUTH_HEADERS, key, strict=True) if value}
        try:
            response = self._http.get(self.url, headers=forwarded)
        except httpx.HTTPError as err:
            raise APIError(
                503,
                "SERVICE_UNAVAILABLE",
                "The instance cannot check your access: the control plane did not answer "
                f"({type(err).__name__}). Try again in a moment.",
            ) from err
        body = _json(response)
        status = response.status_code
        if status == 200:
            data = body.get("data", body)
            data = data if isinstance(data, dict) else {}
            return Caller(str(data.get("username", "")), str(data.get("role", "analyst")))
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if status not in (401, 403, 404):  # not a definitive answer: not cached
            raise APIError(
                503,
                "SERVICE_UNAVAILABLE",
                f"The instance cannot check your access: the control plane answered {status}. "
                "Try again in a moment.",
            )
        return APIError(
            status,
            str(
                error.get("code")
                or {401: "UNAUTHORIZED", 403: "FORBIDDEN"}.get(status, "NOT_FOUND")
            ),
            str(error.get("message") or f"The control plane refused access ({status})."),
            error.get("details") or {},
        )

    def forget(self) -> int:
        """Drop every cached answer (an API key was revoked); answers how many.

        Example:
            >>> authorizer.forget()
            3
        """
        with self._lock:
            count = len(self._cache)
            self._cache = {}
            self._generation += 1
        return count

    def close(self) -> None:
        self._http.close()


def install_access_routes(app: FastAPI) -> None:
    """``POST /internal/access/revoked`` (``X-Wrapper-Token``): forget the cached access
    answers of the app's authorizer (``app.state.wrapper.authorizer``), so that a key the
    control plane just revoked is refused on its next call.

    Example:
        >>> install_access_routes(app)  # in create_wrapper_app
    """

    @app.post(FORGET_ACCESS_PATH, include_in_schema=False)
    async def access_revoked(request: Request) -> JSONResponse:
        ctx = request.app.state.wrapper
        given = request.headers.get(TOKEN_HEADER, "")
        token = ctx.config.token or ""
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            raise APIError(
                401, "UNAUTHORIZED", "This endpoint needs the instance's X-Wrapper-Token."
            )
        forget = getattr(ctx.authorizer, "forget", None)
        forgotten = forget() if callable(forget) else 0
        if forgotten:
            log.info("an API key was revoked: forgot %d cached access answers", forgotten)
        return JSONResponse({"data": {"forgotten": forgotten}})


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ActivityReporter:
    """Reports "someone used the instance" to the control plane, throttled and async,
    and (:meth:`loaded`) that the load ended."""

    def __init__(
        self, control_plane: str | None, instance_id: int, token: str, *, interval: float = 5.0
    ) -> None:
        self._base = (
            f"{control_plane.rstrip('/')}/api/internal/instances/{instance_id}"
            if control_plane
            else None
        )
        self.url = f"{self._base}/activity" if self._base else None
        self.token = token
        self.interval = interval
        self._last = float("-inf")
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=5.0, trust_env=False) if self.url else None

    def touch(self) -> None:
        """Note one authenticated call; posts in the background if the last post is old."""
        if self._http is None:
            return
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.interval:
                return
            self._last = now
        threading.Thread(target=self._post, name="graph-olap-activity", daemon=True).start()

    def _post(self, url: str | None = None) -> None:
        assert self._http is not None and self.url is not None
        try:
            response = self._http.post(url or self.url, headers={TOKEN_HEADER: self.token})
            if response.status_code >= 300:
                log.warning("report to the control plane answered %s", response.status_code)
        except Exception as err:  # HTTP errors, or the client closed at shutdown
            log.warning("report to the control plane failed: %s", err)

    def loaded(self) -> None:
        """Tell the control plane the load ended (ready or failed), in the background, so
        it looks now instead of at its next pass."""
        if self._http is None or self._base is None:
            return
        url = f"{self._base}/loaded"
        threading.Thread(
            target=self._post, args=(url,), name="graph-olap-loaded", daemon=True
        ).start()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
