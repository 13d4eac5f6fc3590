"""The one waiting loop of the SDK: poll a resource until it is ready, written once.

:func:`wait_for` is an operation generator (see :mod:`graph_olap._core.ops`): it asks the
runner for the time (``Now``) and to pause (``Sleep``), so the sync and async clients
share it and tests drive it with a fake clock. Waits have a deadline, not an attempt
count. Polling starts fast (0.2 s) and slows down to ``poll_interval``, so a small local
instance is seen ready at once while a long export is not polled hard. A ``long_poll``
fetch waits on the server itself (an algorithm execution's ``?wait_ms=``), so the loop
does not pause between its polls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import INTERRUPTS, Interrupted, interrupted
from graph_olap._core.ops import Now, Op, Sleep
from graph_olap.progress import ProgressEvent, ProgressReporter

__all__ = [
    "FIRST_POLL",
    "Observation",
    "ProgressCallback",
    "Stop",
    "Subject",
    "check_wait_args",
    "wait_for",
]

T = TypeVar("T")
ProgressCallback = Callable[[str, int, int], Any]
"""``on_progress(phase, completed_steps, total_steps)``."""

FIRST_POLL = 0.2
"""Seconds before the second poll; each later pause is 1.5 times longer, up to the
caller's ``poll_interval``."""
Stop = Callable[[], Op[tuple[str, bool]]]
"""Stops the work waited for after an interrupt: answers the one line for the user and
whether it is stopped (it says so, rather than raise, when the stop failed)."""
GROWTH = 1.5
OUTAGE_STATUSES = frozenset({502, 503, 504})
"""Answers of a platform that is restarting or behind a proxy that lost it."""


def _platform_unavailable(err: exc.GraphOLAPError) -> bool:
    """Whether ``err`` (raised by a poll after the HTTP layer's own retries) means the
    platform is away for now, rather than that the request is wrong or refused."""
    if isinstance(err, exc.MaintenanceError):
        return False  # maintenance mode says when to come back; the HTTP layer handles it
    if isinstance(err, (exc.ConnectionError, exc.TimeoutError)):
        return True
    return isinstance(err, exc.ServerError) and err.status_code in OUTAGE_STATUSES


@dataclasses.dataclass(frozen=True)
class Observation:
    """What one poll saw: status, the server's phase and its step counts.

    ``pending`` says why a resource whose status is ready cannot be used yet, as the
    rest of a sentence after its name ("is running but its wrapper does not answer at
    ... Check ..."); a timeout then says that instead of the status.
    """

    status: str
    phase: str
    completed: int = 0
    total: int = 0
    error_message: str | None = None
    pending: str | None = None
    next_held: bool = False
    """The next poll waits on the platform until the progress changes, so it follows at
    once instead of after a pause."""

    def describe(self) -> str:
        """``'starting' (phase loading_data, 3/5 steps)``."""
        steps = f", {self.completed}/{self.total} steps" if self.total else ""
        return f"{self.status!r} (phase {self.phase}{steps})"


@dataclasses.dataclass(frozen=True)
class Subject:
    """The resource waited for, and the words for telling the user about it.

    Attributes:
        kind: ``"Instance"``, ``"Snapshot"`` or ``"Execution"``.
        id: Its id.
        activity: What it keeps doing after a timeout (``"starting"``).
        wait_again: The call that resumes the wait.
        give_up: The call that stops the resource.
        failure: The error for the failed state.
        failure_hint: A sentence after the server's error message.
        title: How messages name it, when not ``"{kind} {id}"``.
    """

    kind: str
    id: int | str
    activity: str
    wait_again: str
    give_up: str
    failure: type[exc.GraphOLAPError]
    failure_hint: str = ""
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or f"{self.kind} {self.id}"

    def details(self, seen: Observation | None) -> dict[str, Any]:
        info: dict[str, Any] = {f"{self.kind.lower()}_id": self.id}
        if seen is not None:
            info.update(status=seen.status, phase=seen.phase)
        return info

    def failed(self, seen: Observation) -> exc.GraphOLAPError:
        """The error for a resource that ended in ``failed``."""
        reason = (seen.error_message or "the platform gave no reason").rstrip(".")
        hint = f" {self.failure_hint}" if self.failure_hint else ""
        where = "" if seen.phase in ("failed", seen.status, "") else f" in phase {seen.phase}"
        return self.failure(
            f"{self.label} failed{where}: {reason}.{hint}",
            details={**self.details(seen), "error_message": seen.error_message},
        )

    def timed_out(self, seen: Observation | None, timeout: float) -> exc.TimeoutError:
        if seen is not None and seen.pending:
            return exc.TimeoutError(
                f"After {timeout:g} s, {self.label} {seen.pending.rstrip('.')}. Wait again "
                f"with {self.wait_again} or {self.give_up}.",
                details={**self.details(seen), "timeout": timeout},
            )
        state = f"still {seen.describe()}" if seen else "not ready"
        return exc.TimeoutError(
            f"{self.label} is {state} after {timeout:g} s; it keeps {self.activity}: "
            f"wait again with {self.wait_again} or {self.give_up}.",
            details={**self.details(seen), "timeout": timeout},
        )

    def unreachable(
        self, err: exc.GraphOLAPError, seen: Observation | None, away: float, timeout: float
    ) -> exc.GraphOLAPError:
        """The error when the platform was away until the deadline: the poll's own error
        class (ConnectionError, TimeoutError...), saying what the wait knows."""
        state = f" It was last seen {seen.describe()}." if seen else ""
        error = type(err)(
            f"Waiting for {self.label}: the platform did not answer for the last {away:.0f} s "
            f"of the {timeout:g} s wait ({err.message}).{state} It may still be "
            f"{self.activity}: when the platform is back, wait again with {self.wait_again}.",
            status_code=err.status_code,
            code=err.code,
            details={**err.details, **self.details(seen), "timeout": timeout},
            request_id=err.request_id,
        )
        return error

    def interrupted(self, seen: Observation | None) -> Interrupted:
        """The interrupt of a wait that leaves the work running (``on_interrupt="keep"``)."""
        state = f" (last seen {seen.describe()})" if seen else ""
        return Interrupted(
            f"Stopped waiting for {self.label}{state}. It keeps {self.activity} on the "
            f"platform: wait again with {self.wait_again} or {self.give_up}.",
            stopped=False,
        )


def check_wait_args(timeout: float, poll_interval: float) -> None:
    """Refuse a wait that could never end or never poll."""
    for name, value in (("timeout", timeout), ("poll_interval", poll_interval)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise exc.ValidationError(
                f"{name} must be a positive number of seconds, got {value!r}.",
                details={"field": name},
            )


def wait_for(
    fetch: Callable[[], Op[tuple[T, Observation]]],
    *,
    subject: Subject,
    ready: Callable[[Observation], bool],
    failed: Callable[[Observation], bool],
    timeout: float,
    poll_interval: float,
    on_progress: ProgressCallback | None = None,
    reporter: ProgressReporter | None = None,
    long_poll: bool = False,
    stop: Stop | None = None,
) -> Op[T]:
    """Poll ``fetch`` until ``ready``; return the last value it fetched.

    With ``long_poll``, ``fetch`` waits on the server until the resource is done or its
    own window ends (it must keep that window within the deadline), and the next poll
    follows at once; ``poll_interval`` is then unused. A fetch that holds only some
    polls says so per poll (``Observation.next_held``); the others are paced as usual.

    A poll that fails because the platform is away (connection refused, timed out, 502,
    503 or 504, after the HTTP layer's own retries) does not end the wait: it polls again,
    slowly, until the deadline, so a wait rides out a control plane restart.

    Raises:
        TimeoutError: The deadline passed; the message names the resource, its last
            status and phase, and how to wait again or stop it.
        ConnectionError: The platform was still away at the deadline (or another error
            class of the last failed poll: TimeoutError, ServerError).
        subject.failure: ``failed`` was true (with the server's error message).
        Interrupted: The user interrupted (a ``KeyboardInterrupt``). With ``stop``, the
            work is stopped first and the message says so; without, it keeps running and
            the message says how to wait again or stop it. An async ``CancelledError``
            does the same, logs that line and stays a ``CancelledError``.

    Example:
        >>> value = yield from wait_for(fetch, subject=s, ready=..., failed=..., timeout=60,
        ...                             poll_interval=5)
    """
    check_wait_args(timeout, poll_interval)
    start: float = yield Now()
    deadline = start + timeout
    delay = min(FIRST_POLL, poll_interval)
    seen: Observation | None = None
    shown: tuple[str, int, int] | None = None
    success = False
    away_since: float | None = None
    try:
        while True:
            try:
                value, seen = yield from fetch()
            except exc.GraphOLAPError as err:
                if not _platform_unavailable(err):
                    raise
                now = yield Now()
                away_since = now if away_since is None else away_since
                if now >= deadline:
                    raise subject.unreachable(err, seen, now - away_since, timeout) from err
                yield Sleep(min(poll_interval, deadline - now))
                continue
            away_since = None
            now = yield Now()
            key = (seen.phase, seen.completed, seen.total)
            if key != shown:
                shown = key
                _report(seen, subject, now - start, on_progress, reporter)
            if ready(seen):
                success = True
                return value
            if failed(seen):
                raise subject.failed(seen)
            if now >= deadline:
                raise subject.timed_out(seen, timeout)
            if long_poll or seen.next_held:
                continue
            yield Sleep(min(delay, deadline - now))
            delay = min(poll_interval, delay * GROWTH)
    except INTERRUPTS as err:
        if isinstance(err, Interrupted):
            raise
        if stop is not None:
            message, stopped = yield from stop()
            raise interrupted(err, message, stopped=stopped) from err
        kept = subject.interrupted(seen)
        raise interrupted(err, kept.message, stopped=False) from err
    finally:
        if reporter is not None:
            reporter.close(success=success)


def _report(
    seen: Observation,
    subject: Subject,
    elapsed: float,
    on_progress: ProgressCallback | None,
    reporter: ProgressReporter | None,
) -> None:
    if on_progress is not None:
        on_progress(seen.phase, seen.completed, seen.total)
    if reporter is not None:
        event = ProgressEvent(
            subject.label, seen.status, seen.phase, seen.completed, seen.total, elapsed
        )
        reporter.update(event)
