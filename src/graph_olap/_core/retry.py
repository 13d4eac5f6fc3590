"""The one retry policy of the SDK, shared by the sync and async transports.

What is retried: connection errors and timeouts, and answers 408, 429, 502, 503 and 504.
Never 409 (locks, dependencies, limits) or other 4xx. A server ``x-should-retry`` header
wins over the status. ``Retry-After`` is honoured up to :data:`MAX_RETRY_AFTER` seconds; a
longer hint is not waited out but reported in a :class:`~graph_olap.RateLimitError`.
Backoff is capped exponential with jitter. Mutating calls carry one ``Idempotency-Key``
for all their attempts, so the platform recognises a repeat and never creates twice.

A mutation with an ``Idempotency-Key`` to the control plane (``/api/...``) does not stop
at ``max_retries`` while the platform is away (connection refused or reset, 502, 503,
504; not a timeout, which says it is there but slow): it keeps retrying, every second or
so, for up to :data:`OUTAGE_RIDE_OUT` seconds from its first attempt
(:class:`OutageBudget`), as a wait rides out a restart. The platform runs a repeated key
once, so this never creates twice; the client is told "failed" only when the platform
stayed away that long, and then hears that the request may have been carried out.

Calls marked ``idempotent=False`` (graph queries) are retried only after failures that
prove the request was never processed: connection refused or connect timeout, 429, 503.
A 408 or a read timeout means the query ran; sending it again would run it again.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import time
from collections.abc import Callable

import httpx

__all__ = [
    "MAX_RETRY_AFTER",
    "OUTAGE_RIDE_OUT",
    "RETRYABLE_STATUS",
    "OutageBudget",
    "RetryableOutcome",
    "backoff_delay",
    "parse_retry_after",
    "should_retry_response",
]

RETRYABLE_STATUS = frozenset({408, 429, 502, 503, 504})
UNPROCESSED_STATUS = frozenset({429, 503})
"""Answers that say the request was not processed: safe to retry even a non-idempotent call."""
MAX_RETRY_AFTER = 30.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
OUTAGE_RIDE_OUT = 60.0
"""Seconds a keyed mutation keeps retrying while the platform is away (a restart takes a
few seconds; a wait rides out the same)."""
OUTAGE_BACKOFF = 1.0
"""Longest pause between attempts once the regular retries are spent: a platform that
comes back is noticed within about a second."""
OUTAGE_STATUS = frozenset({502, 503, 504})


class RetryableOutcome(Exception):
    """An attempt that failed in a way worth retrying: carries the answer or the error.

    ``retryable=False`` marks a failure of the same kind that this call must not repeat
    (a read timeout of a query): it ends the loop at once and is reported the same way.
    """

    def __init__(
        self,
        *,
        response: httpx.Response | None = None,
        error: Exception | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(repr(response or error))
        self.response = response
        self.error = error
        self.retryable = retryable

    def describe(self) -> str:
        if self.response is not None:
            return f"HTTP {self.response.status_code} {self.response.reason_phrase}".rstrip()
        err = self.error
        text = str(err) or type(err).__name__
        return f"{type(err).__name__}: {text}"


def parse_retry_after(
    response: httpx.Response, *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asks us to wait, from ``Retry-After`` (seconds or HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # the asctime format has no zone: HTTP dates are always GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, when.timestamp() - now())


def should_retry_response(response: httpx.Response, *, idempotent: bool = True) -> bool:
    """Whether an answer is worth another attempt."""
    hint = response.headers.get("x-should-retry")
    if hint == "true":
        return True
    if hint == "false":
        return False
    if response.status_code not in (RETRYABLE_STATUS if idempotent else UNPROCESSED_STATUS):
        return False
    retry_after = parse_retry_after(response)
    return retry_after is None or retry_after <= MAX_RETRY_AFTER


def should_retry_error(error: Exception, *, idempotent: bool = True) -> bool:
    """Connection failures and timeouts are retried; everything else is a bug to surface.

    For a non-idempotent call only failures before the request was sent are retried.
    """
    if not idempotent:
        return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    return isinstance(error, httpx.TransportError)


def backoff_delay(
    attempt: int,
    outcome: RetryableOutcome | None,
    *,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the server's hint, else backoff.

    Example:
        >>> backoff_delay(1, None, rng=lambda: 1.0)
        0.5
        >>> backoff_delay(10, None, rng=lambda: 1.0)
        8.0
    """
    if outcome is not None and outcome.response is not None:
        hint = parse_retry_after(outcome.response)
        if hint is not None:
            return min(hint, MAX_RETRY_AFTER)
    base = min(MAX_BACKOFF, INITIAL_BACKOFF * 2 ** (attempt - 1))
    # "equal jitter": never less than half the backoff, never more than all of it
    return float(base / 2 + base / 2 * rng())


def platform_away(outcome: BaseException | None) -> bool:
    """Whether a failed attempt says the platform is away for now (not running, restarting,
    or behind a proxy that lost it), rather than that it refused the request.

    Example:
        >>> platform_away(RetryableOutcome(error=httpx.ConnectError("refused")))
        True
        >>> platform_away(RetryableOutcome(response=httpx.Response(429)))
        False
    """
    if not isinstance(outcome, RetryableOutcome) or not outcome.retryable:
        return False
    if outcome.response is not None:
        hint = outcome.response.headers.get("x-should-retry")
        return outcome.response.status_code in OUTAGE_STATUS and hint != "false"
    # refused, reset or cut off: the platform is not there. A timeout is not this: the
    # platform may be there but slow, and each attempt would wait the whole timeout again
    error = outcome.error
    return isinstance(error, httpx.TransportError) and not isinstance(error, httpx.TimeoutException)


class OutageBudget:
    """When a call's retries end: after ``max_attempts``, or, for a call that may ride out
    an outage (a keyed mutation of the control plane), once the platform has been away
    for ``window`` seconds. Time is the later of the clock and the pauses taken, so a
    test's fake sleep moves it on too.

    Example:
        >>> budget = OutageBudget(max_attempts=4, window=60.0, clock=lambda: 0.0)
        >>> budget.exhausted(4, RetryableOutcome(error=httpx.ConnectError("refused")))
        False
        >>> budget.slept = 60.0
        >>> budget.exhausted(20, RetryableOutcome(error=httpx.ConnectError("refused")))
        True
    """

    def __init__(self, *, max_attempts: int, window: float, clock: Callable[[], float]) -> None:
        self.max_attempts = max_attempts
        self.window = window
        self.clock = clock
        self.started = clock()
        self.slept = 0.0
        self.riding_out = False

    def elapsed(self) -> float:
        return max(self.clock() - self.started, self.slept)

    def exhausted(self, attempt: int, outcome: BaseException | None) -> bool:
        """Whether attempt ``attempt`` (which failed with ``outcome``) was the last."""
        if attempt < self.max_attempts:
            return False
        if self.window <= 0 or not platform_away(outcome):
            return True
        self.riding_out = True
        return self.elapsed() >= self.window

    def delay(
        self, attempt: int, outcome: RetryableOutcome | None, rng: Callable[[], float]
    ) -> float:
        """The pause before the next attempt: :func:`backoff_delay`, then about a second
        while riding out an outage, never past the window."""
        if attempt < self.max_attempts or self.window <= 0:
            return backoff_delay(attempt, outcome, rng=rng)
        hint = parse_retry_after(outcome.response) if outcome and outcome.response else None
        pause = hint if hint is not None else OUTAGE_BACKOFF / 2 + OUTAGE_BACKOFF / 2 * rng()
        return float(max(0.0, min(pause, self.window - self.elapsed())))
