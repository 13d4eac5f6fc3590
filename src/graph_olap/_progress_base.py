"""The parts every progress display shares: the event a waiter sends, the reporter
protocol, the elapsed-time format and the clock thread that redraws it. The displays are
in :mod:`graph_olap.progress` (text, deferred) and :mod:`graph_olap.progress_widget` (the
Jupyter bar); both import this module, never each other's internals.

Example:
    >>> ProgressEvent("Instance 12", "starting", "loading_data", 3, 5, 4.06).line()
    'Instance 12: loading_data 3/5 steps (4.1 s)'
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = [
    "JOIN_SECONDS",
    "TICK_SECONDS",
    "ProgressEvent",
    "ProgressReporter",
    "Ticker",
    "format_elapsed",
]

TICK_SECONDS = 1.0
"""How often the built-in displays refresh their elapsed time between updates."""

JOIN_SECONDS = 5.0
"""The longest :meth:`Ticker.stop` waits for a tick in progress."""


def format_elapsed(seconds: float) -> str:
    """A duration as the progress displays show it.

    Example:
        >>> format_elapsed(4.06), format_elapsed(125), format_elapsed(3725)
        ('4.1 s', '2 min 05 s', '1 h 02 min')
    """
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


@dataclasses.dataclass(frozen=True)
class ProgressEvent:
    """What a waiter saw on one poll.

    Attributes:
        resource: The resource waited for, e.g. ``"Instance 12"``.
        status: Its status (``starting``).
        phase: The server's phase (``loading_data``).
        completed: Completed steps of the phase's plan.
        total: All steps of the plan (0 while the server has not planned them yet).
        elapsed: Seconds since the wait began.
    """

    resource: str
    status: str
    phase: str
    completed: int
    total: int
    elapsed: float

    def line(self) -> str:
        """The event as one line of text.

        Example:
            >>> ProgressEvent("Instance 12", "starting", "loading_data", 3, 5, 4.06).line()
            'Instance 12: loading_data 3/5 steps (4.1 s)'
        """
        steps = f" {self.completed}/{self.total} steps" if self.total else ""
        return f"{self.resource}: {self.phase}{steps} ({format_elapsed(self.elapsed)})"


@runtime_checkable
class ProgressReporter(Protocol):
    """Receives a waiter's progress. Implement both methods to plug in a display."""

    def update(self, event: ProgressEvent) -> None:
        """Show ``event`` (called only when something changed)."""

    def close(self, *, success: bool) -> None:
        """The wait ended: ``success`` is False after a failure, timeout or interrupt."""


class Ticker:
    """Calls ``tick()`` every ``interval`` seconds on a daemon thread until :meth:`stop`.

    The thread sleeps on an event, so it costs nothing between ticks and :meth:`stop`
    ends it at once (and joins it). A ``tick`` that raises ends the ticking, never the
    wait.

    Args:
        tick: What to do on each tick.
        interval: Seconds between ticks.

    Example:
        >>> ticker = Ticker(lambda: print("tick"), 1.0)
        >>> ticker.start()
        >>> ticker.stop()
        >>> ticker.thread.is_alive()
        False
    """

    def __init__(self, tick: Callable[[], object], interval: float) -> None:
        self._tick = tick
        self._interval = interval
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="graph-olap-progress", daemon=True)
        """The ticking thread."""

    def start(self) -> None:
        """Start ticking."""
        self.thread.start()

    def stop(self) -> None:
        """Stop ticking; on return the thread has ended (unless called from a tick, or a
        tick is stuck for more than ``JOIN_SECONDS``: the daemon thread then ends after
        it, without another tick)."""
        self._stopped.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(JOIN_SECONDS)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                self._tick()
            except Exception:  # a broken display must not keep a thread busy
                return


class _Timed:
    """The last event and when it came, so the elapsed time can be told at any moment;
    ``lock`` orders the callers (updates, ticks, timers)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: ProgressEvent | None = None
        self._last_at = 0.0

    def _elapsed(self) -> float:
        """Seconds since the wait began: the last event's, plus the time since it came."""
        if self._last is None:
            return 0.0
        return self._last.elapsed + max(self._clock() - self._last_at, 0.0)

    def _now_event(self) -> ProgressEvent | None:
        if self._last is None:
            return None
        return dataclasses.replace(self._last, elapsed=self._elapsed())

    def _seen(self, event: ProgressEvent) -> None:
        self._last = event
        self._last_at = self._clock()


class _Clocked(_Timed):
    """The live elapsed time shared by the built-in displays: :class:`_Timed` and the
    ticker that redraws it."""

    def __init__(self, clock: Callable[[], float], tick: float | None) -> None:
        super().__init__(clock)
        self._tick_seconds = tick
        self._ticker: Ticker | None = None

    def _start_ticking(self) -> None:
        if self._tick_seconds is None or self._ticker is not None:
            return
        method = weakref.WeakMethod(self._on_tick)

        def tick() -> None:  # holds the display weakly: a dropped one ends the thread
            bound = method()
            if bound is None:
                raise ReferenceError("the progress display is gone")
            bound()

        self._ticker = Ticker(tick, self._tick_seconds)
        self._ticker.start()

    def _stop_ticking(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.stop()

    @property
    def ticking(self) -> bool:
        """Whether the clock thread runs (between the first update and :meth:`close`)."""
        return self._ticker is not None and self._ticker.thread.is_alive()

    def _on_tick(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError
