"""The transports: run an SDK method's operations with blocking or async I/O.

:class:`HTTPClient` and :class:`AsyncHTTPClient` differ only in how they wait: requests
are built, retried and read by the shared code in :mod:`graph_olap._core`. Both accept an
``httpx`` client or transport (an in-process ASGI app, a ``MockTransport`` in tests) and an
injectable ``sleep``/``clock`` so that tests never really wait.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import tenacity

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Now, Op, Operation, Sleep
from graph_olap._core.retry import (
    OUTAGE_RIDE_OUT,
    OutageBudget,
    RetryableOutcome,
    should_retry_error,
    should_retry_response,
)
from graph_olap._core.wire import (
    base_headers,
    build_request,
    exhausted_error,
    new_idempotency_key,
    parse_response,
    read_envelope,
)
from graph_olap.config import Config

__all__ = ["AsyncHTTPClient", "HTTPClient"]

T = TypeVar("T")
log = logging.getLogger("graph_olap")


def _retry_policy() -> dict[str, Any]:
    """Tenacity settings shared by both transports: one policy, two I/O loops (each call
    adds its own stop, wait and log from its :class:`OutageBudget`)."""
    return {
        "retry": tenacity.retry_if_exception(
            lambda err: isinstance(err, RetryableOutcome) and err.retryable
        ),
        "reraise": True,
    }


def _classify(response: httpx.Response, call: Call) -> httpx.Response:
    if not response.is_success and should_retry_response(response, idempotent=call.idempotent):
        raise RetryableOutcome(response=response)
    return response


def _transport_failure(error: httpx.HTTPError, call: Call) -> Exception:
    if should_retry_error(error):
        # a non-idempotent call still reports a timeout or an unreachable server the
        # same way, but sends again only what provably never reached the server
        retryable = should_retry_error(error, idempotent=call.idempotent)
        return RetryableOutcome(error=error, retryable=retryable)
    return exc.GraphOLAPError(
        f"{call.method} {call.path} failed before an answer arrived: {error}",
        code="TRANSPORT_ERROR",
    )


class _Driver:
    """What the two transports share: configuration and stepping an operation."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float],
        rng: Callable[[], float],
    ) -> None:
        self.config = config
        self._clock = clock
        self._rng = rng
        self._policy = _retry_policy()
        self._headers = base_headers(config)

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.config.api_url,
            "timeout": self.config.timeout,
            "headers": self._headers,
        }

    @staticmethod
    def _step(op: Op[T], value: Any, error: BaseException | None) -> tuple[bool, Any]:
        """Advance ``op`` by one operation: ``(True, result)`` when it has finished."""
        try:
            step = op.throw(error) if error is not None else op.send(value)
        except StopIteration as stop:
            return True, stop.value
        return False, step

    def _budget(self, call: Call, key: str | None) -> OutageBudget:
        """The retry budget of one call: ``max_retries``, and for a keyed mutation of the
        control plane the ride-out of an outage (see :mod:`graph_olap._core.retry`)."""
        rides_out = (
            key is not None
            and call.idempotent
            and self.config.max_retries > 0
            and call.path.startswith("/api/")
        )
        return OutageBudget(
            max_attempts=self.config.max_retries + 1,
            window=OUTAGE_RIDE_OUT if rides_out else 0.0,
            clock=self._clock,
        )

    def _policy_for(self, budget: OutageBudget) -> dict[str, Any]:
        """The shared policy with this call's budget deciding when to stop and how long
        to pause."""

        def stop(state: tenacity.RetryCallState) -> bool:
            outcome = state.outcome.exception() if state.outcome else None
            return budget.exhausted(state.attempt_number, outcome)

        def wait(state: tenacity.RetryCallState) -> float:
            outcome = state.outcome.exception() if state.outcome else None
            found = outcome if isinstance(outcome, RetryableOutcome) else None
            return budget.delay(state.attempt_number, found, self._rng)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            outcome = state.outcome.exception() if state.outcome else None
            what = outcome.describe() if isinstance(outcome, RetryableOutcome) else repr(outcome)
            delay = state.next_action.sleep if state.next_action else 0.0
            if budget.riding_out:
                log.info(
                    "the platform is away (%s); retrying in %.1fs with the same "
                    "Idempotency-Key (attempt %d, away %.0f s of at most %.0f s)",
                    what,
                    delay,
                    state.attempt_number + 1,
                    budget.elapsed(),
                    budget.window,
                )
                return
            log.info(
                "retrying in %.1fs after %s (attempt %d of %d)",
                delay,
                what,
                state.attempt_number + 1,
                budget.max_attempts,
            )

        return {**self._policy, "stop": stop, "wait": wait, "before_sleep": before_sleep}

    def _failed(
        self, outcome: RetryableOutcome, call: Call, attempts: int, budget: OutageBudget
    ) -> exc.GraphOLAPError:
        error = exhausted_error(outcome, call, attempts=attempts, base_url=self.config.api_url)
        if budget.riding_out:
            error.message += (
                f" The platform was away for {budget.elapsed():.0f} s, the longest a "
                f"{call.method} rides out (every attempt carried one Idempotency-Key, so it "
                "was never done twice). It may have been done before the platform went "
                "away: when it is back, look (for example, list your resources) before "
                "you send it again."
            )
            error.details["outage_seconds"] = round(budget.elapsed(), 1)
        return error


class HTTPClient(_Driver):
    """Blocking transport used by :class:`~graph_olap.GraphOLAPClient`.

    ``client.http`` is the client's transport: its :meth:`get`, :meth:`post`, :meth:`put`
    and :meth:`delete` call endpoints the SDK has no method for yet, with the client's
    credentials, retries and error mapping.

    Example:
        >>> client.http.get("/api/mappings", params={"limit": 1})["meta"]["total"]
        42
        >>> client.http.send(Call("GET", "/health"))
        {'status': 'healthy', ...}
    """

    def __init__(
        self,
        config: Config,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(config, clock=clock, rng=rng)
        self._sleep = sleep
        self._transport = transport
        self._derived: weakref.WeakSet[HTTPClient] = weakref.WeakSet()
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(transport=transport, **self._client_kwargs())
        if http_client is not None:
            self._client.base_url = httpx.URL(config.api_url)
            self._client.headers.update(self._headers)
        elif transport is None:
            # a client or connection dropped without close() (common in notebooks) gives
            # its sockets back when collected, instead of leaking them until exit
            weakref.finalize(self, self._client.close)

    def derive(self, api_url: str) -> HTTPClient:
        """A transport to another base URL (an instance) with this one's credentials,
        retry policy, clock and sleep. Closed with this one, or earlier by its user.

        Example:
            >>> wrapper = http.derive("http://127.0.0.1:41234")
        """
        derived = HTTPClient(
            dataclasses.replace(self.config, api_url=api_url),
            transport=self._transport,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
        )
        self._derived.add(derived)
        return derived

    def close(self) -> None:
        """Close the connection pool (if this transport created it) and the pools of
        the transports derived from it."""
        for derived in list(self._derived):
            derived.close()
        if self._owns_client:
            self._client.close()

    def run(self, op: Op[T]) -> T:
        """Perform ``op``'s operations one by one and return its result."""
        value: Any = None
        error: BaseException | None = None
        while True:
            done, step = self._step(op, value, error)
            if done:
                return step  # type: ignore[no-any-return]
            value, error = None, None
            try:
                value = self._perform(step)
            except BaseException as err:
                error = err

    def _perform(self, step: Operation) -> Any:
        if isinstance(step, Call):
            return self.send(step)
        if isinstance(step, Sleep):
            self._sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return self._clock()
        raise TypeError(f"unknown operation {step!r}")

    def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """Call any endpoint of the platform: the answer's JSON (the ``{"data": ...}``
        envelope; ``{}`` for an empty answer). Failures raise the SDK's exceptions, as
        every method does; an answer that is not JSON is a :class:`ServerError`.

        Example:
            >>> client.http.request("GET", "/api/instances", params={"status": "running"})
            {'data': [...], 'meta': {'total': 2, 'offset': 0, 'limit': 50}}
        """
        return read_envelope(self.send(Call(method.upper(), path, params=params, json=json)))

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET path``: see :meth:`request`."""
        return self.request("GET", path, params=params)

    def post(
        self, path: str, json: Any = None, *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``POST path`` with a JSON body: see :meth:`request`."""
        return self.request("POST", path, params=params, json=json)

    def put(
        self, path: str, json: Any = None, *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``PUT path`` with a JSON body: see :meth:`request`."""
        return self.request("PUT", path, params=params, json=json)

    def delete(
        self, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """``DELETE path``: see :meth:`request`."""
        return self.request("DELETE", path, params=params, json=json)

    def send(self, call: Call) -> Any:
        """Send ``call`` with the retry policy; return the answer's JSON (or text)."""
        key = new_idempotency_key(call)
        budget = self._budget(call, key)
        attempts = 0

        def sleep(seconds: float) -> None:
            budget.slept += seconds
            self._sleep(seconds)

        def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            request = build_request(self._client, call, idempotency_key=key)
            try:
                response = self._client.send(request)
            except httpx.HTTPError as err:
                raise _transport_failure(err, call) from err
            return _classify(response, call)

        try:
            response = tenacity.Retrying(sleep=sleep, **self._policy_for(budget))(attempt)
        except RetryableOutcome as outcome:
            raise self._failed(outcome, call, attempts, budget) from outcome.error
        return parse_response(response, call)


class AsyncHTTPClient(_Driver):
    """Async transport used by :class:`~graph_olap.AsyncGraphOLAPClient`."""

    def __init__(
        self,
        config: Config,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(config, clock=clock, rng=rng)
        self._sleep = sleep
        self._transport = transport
        self._derived: weakref.WeakSet[AsyncHTTPClient] = weakref.WeakSet()
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            transport=transport, **self._client_kwargs()
        )
        if http_client is not None:
            self._client.base_url = httpx.URL(config.api_url)
            self._client.headers.update(self._headers)

    def derive(self, api_url: str) -> AsyncHTTPClient:
        """Async twin of :meth:`HTTPClient.derive`."""
        derived = AsyncHTTPClient(
            dataclasses.replace(self.config, api_url=api_url),
            transport=self._transport,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
        )
        self._derived.add(derived)
        return derived

    async def aclose(self) -> None:
        """Close the connection pool (if this transport created it) and the pools of
        the transports derived from it."""
        for derived in list(self._derived):
            await derived.aclose()
        if self._owns_client:
            await self._client.aclose()

    async def run(self, op: Op[T]) -> T:
        """Perform ``op``'s operations one by one and return its result."""
        value: Any = None
        error: BaseException | None = None
        while True:
            done, step = self._step(op, value, error)
            if done:
                return step  # type: ignore[no-any-return]
            value, error = None, None
            try:
                value = await self._perform(step)
            except BaseException as err:
                error = err

    async def _perform(self, step: Operation) -> Any:
        if isinstance(step, Call):
            return await self.send(step)
        if isinstance(step, Sleep):
            await self._sleep(step.seconds)
            return None
        if isinstance(step, Now):
            return self._clock()
        raise TypeError(f"unknown operation {step!r}")

    async def request(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """Async twin of :meth:`HTTPClient.request`.

        Example:
            >>> await aclient.http.get("/api/mappings", params={"limit": 1})
        """
        return read_envelope(await self.send(Call(method.upper(), path, params=params, json=json)))

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET path``: see :meth:`request`."""
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, json: Any = None, *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``POST path`` with a JSON body: see :meth:`request`."""
        return await self.request("POST", path, params=params, json=json)

    async def put(
        self, path: str, json: Any = None, *, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``PUT path`` with a JSON body: see :meth:`request`."""
        return await self.request("PUT", path, params=params, json=json)

    async def delete(
        self, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """``DELETE path``: see :meth:`request`."""
        return await self.request("DELETE", path, params=params, json=json)

    async def send(self, call: Call) -> Any:
        """Send ``call`` with the retry policy; return the answer's JSON (or text)."""
        key = new_idempotency_key(call)
        budget = self._budget(call, key)
        attempts = 0

        async def sleep(seconds: float) -> None:
            budget.slept += seconds
            await self._sleep(seconds)

        async def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            request = build_request(self._client, call, idempotency_key=key)
            try:
                response = await self._client.send(request)
            except httpx.HTTPError as err:
                raise _transport_failure(err, call) from err
            return _classify(response, call)

        try:
            response: httpx.Response = await tenacity.AsyncRetrying(
                sleep=sleep, **self._policy_for(budget)
            )(attempt)
        except RetryableOutcome as outcome:
            raise self._failed(outcome, call, attempts, budget) from outcome.error
        return parse_response(response, call)
