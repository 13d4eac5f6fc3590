"""Progress display for the waiting methods (``*_and_wait(..., progress=...)``).

A waiter feeds a :class:`ProgressReporter` one :class:`ProgressEvent` each time the
resource's status, phase or step count changes, and closes it when the wait ends. The
built-in :class:`TextProgress` keeps one updating line of plain text. In a Jupyter kernel
with ipywidgets installed, ``progress=True`` shows a bar instead
(:class:`graph_olap.progress_widget.WidgetProgress`, see docs/notebook-progress.md), and
the default ``progress=None`` shows it once a wait lasts over a second
(:class:`DeferredProgress`; :func:`set_auto_delay` changes the second); outside Jupyter
the default shows nothing. Any object with
the same two methods can be passed as ``progress=MyDisplay()``.

Both built-in displays keep a live clock: between the waiter's updates a small
:class:`Ticker` thread rewrites the elapsed time once a second, and stops when the wait
ends.

Example:
    >>> client.instances.create_from_mapping_and_wait(1, "demo", progress=True)
    Instance 12: loading_data 3/5 steps (4.1 s)
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Protocol, TextIO, runtime_checkable

from graph_olap import exceptions as exc

__all__ = [
    "AUTO_DELAY_SECONDS",
    "TICK_SECONDS",
    "DeferredProgress",
    "ProgressEvent",
    "ProgressReporter",
    "Schedule",
    "TextProgress",
    "Ticker",
    "auto_delay",
    "format_elapsed",
    "make_reporter",
    "set_auto_delay",
    "thread_timer",
]

TICK_SECONDS = 1.0
"""How often the built-in displays refresh their elapsed time between updates."""


AUTO_DELAY_SECONDS = 1.0
"""The default of :func:`auto_delay`: with ``progress=None`` in Jupyter, waits shorter than
this show nothing."""

_auto_delay = AUTO_DELAY_SECONDS

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


def auto_delay() -> float:
    """Seconds a wait stays quiet, with the default ``progress=None`` in a Jupyter kernel,
    before its bar appears (:data:`AUTO_DELAY_SECONDS` unless :func:`set_auto_delay`
    changed it).

    Example:
        >>> auto_delay()
        1.0
    """
    return _auto_delay


def set_auto_delay(seconds: float) -> float:
    """Change how long a wait with the default ``progress=None`` stays quiet in a Jupyter
    kernel before its bar appears, for the rest of the session (or the kernel). ``0``
    shows a bar for every wait; a large value keeps all but the longest waits quiet
    (``progress=False`` on a call keeps that one quiet). Waits already under way keep the
    delay they started with.

    Args:
        seconds: The new delay: a finite number, 0 or more.

    Returns:
        The delay it replaces, to restore it later.

    Raises:
        ValidationError: ``seconds`` is not a finite number of 0 or more.

    Example:
        >>> from graph_olap.progress import set_auto_delay
        >>> set_auto_delay(0)   # a bar for every wait, even a quick one
        1.0
    """
    global _auto_delay
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds < float("inf")
    ):
        raise exc.ValidationError(
            f"The progress delay must be a finite number of seconds, 0 or more, got "
            f"{seconds!r}: pass e.g. set_auto_delay(0) for a bar on every wait, or "
            "progress=False on a call to keep that call quiet.",
            details={"field": "seconds"},
        )
    previous, _auto_delay = _auto_delay, float(seconds)
    return previous


Schedule = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``schedule(seconds, action)`` runs ``action`` once, ``seconds`` from now, on another
thread, and returns a function that cancels it (and, once it returns, ``action`` is
neither running nor will run)."""


def thread_timer(seconds: float, action: Callable[[], None]) -> Callable[[], None]:
    """The default :data:`Schedule`: a daemon :class:`threading.Timer` named
    ``graph-olap-progress-delay``; cancelling it joins its thread.

    Example:
        >>> cancel = thread_timer(60.0, lambda: print("late"))
        >>> cancel()  # nothing is printed, no thread is left
    """
    timer = threading.Timer(seconds, action)
    timer.name = "graph-olap-progress-delay"
    timer.daemon = True
    timer.start()

    def cancel() -> None:
        timer.cancel()
        if timer is not threading.current_thread():
            timer.join(JOIN_SECONDS)

    return cancel


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


class TextProgress(_Clocked):
    """One updating line of plain text (carriage returns), then a newline at the end.

    Between updates the line's elapsed time is rewritten every ``tick`` seconds.

    Args:
        stream: Where to write; ``sys.stderr`` (at each write) when not given.
        clock: Seconds of a monotonic clock, for the elapsed time between updates.
        tick: Seconds between clock refreshes; ``None`` for none.

    Example:
        >>> reporter = TextProgress()
        >>> client.snapshots.create_and_wait(1, "s", progress=reporter)
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        tick: float | None = TICK_SECONDS,
    ) -> None:
        super().__init__(clock, tick)
        self._stream = stream
        self._width = 0
        self._shown = False

    def update(self, event: ProgressEvent) -> None:
        """Overwrite the line with ``event``."""
        with self._lock:
            self._seen(event)
            self._show(event)
            self._shown = True
        self._start_ticking()

    def close(self, *, success: bool) -> None:
        """End the line (with a note when the wait did not succeed)."""
        try:
            with self._lock:
                if self._shown:
                    self._write("\n" if success else " - stopped\n")
                self._shown = False
                self._last = None
        finally:
            self._stop_ticking()

    def _on_tick(self) -> None:
        with self._lock:
            event = self._now_event()
            if self._shown and event is not None:
                self._show(event)

    def _show(self, event: ProgressEvent) -> None:
        text = event.line()
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self._write(f"\r{text}{pad}")

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(text)
        stream.flush()


def make_reporter(*, progress: bool | ProgressReporter | None) -> ProgressReporter | None:
    """The reporter for a ``progress=`` argument.

    ``True`` shows a :class:`~graph_olap.progress_widget.WidgetProgress` bar in a Jupyter
    kernel when ipywidgets is installed, else a :class:`TextProgress` line. ``None`` (the
    waits' default) shows the bar in Jupyter once a wait lasts over :func:`auto_delay`
    (a second; :class:`DeferredProgress`) and nothing elsewhere. ``False`` shows nothing.

    Example:
        >>> make_reporter(progress=False) is None
        True
    """
    if progress is None:
        return _auto_reporter()
    if progress is False:
        return None
    if progress is True:
        return _default_reporter()
    if isinstance(progress, ProgressReporter):
        return progress
    raise exc.ValidationError(
        "progress must be True, False or an object with update(event) and "
        f"close(*, success) methods, got {type(progress).__name__}.",
        details={"field": "progress"},
    )


class DeferredProgress(_Timed):
    """Shows nothing during the first ``delay`` seconds of a wait, then hands the wait to
    the display ``make()`` builds: quick waits (most algorithm runs) stay quiet, long ones
    (an instance start) get their bar. It is what the default ``progress=None`` gives in a
    Jupyter kernel.

    The display appears at the first of: an update whose elapsed time reaches ``delay``;
    the timer armed by the first update, when the delay ends (the server may report
    nothing new for a while); :meth:`close` of a wait that lasted ``delay`` or more by
    ``clock`` (so a wait that long always ends with its bar, even when a busy machine
    runs the timer late). A shorter wait shows nothing and leaves no timer behind.

    Args:
        make: Builds the real display when the delay has passed.
        delay: Seconds of quiet; :func:`auto_delay` (1 s unless changed) when not given.
        clock: Seconds of a monotonic clock.
        schedule: Arms the timer (:data:`Schedule`); a daemon thread timer when not given.

    Example:
        >>> quiet_first = DeferredProgress(WidgetProgress, delay=2.0)
        >>> conn.algo.louvain(show_progress=quiet_first)
    """

    def __init__(
        self,
        make: Callable[[], ProgressReporter],
        *,
        delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule = thread_timer,
    ) -> None:
        super().__init__(clock)
        self._make = make
        self._delay = auto_delay() if delay is None else delay
        self._schedule = schedule
        self._shown: ProgressReporter | None = None
        self._cancel: Callable[[], None] | None = None
        self._closed = False

    @property
    def delay(self) -> float:
        """Seconds of quiet before the display appears."""
        return self._delay

    @property
    def shown(self) -> ProgressReporter | None:
        """The real display, once the delay has passed (None before)."""
        return self._shown

    def update(self, event: ProgressEvent) -> None:
        """Pass ``event`` on once the delay has passed; until then keep it, and arm a
        timer that shows it when the delay ends."""
        with self._lock:
            if self._closed:
                return
            self._seen(event)
            if self._shown is None and event.elapsed >= self._delay:
                self._shown = self._make()
            if self._shown is not None:
                self._shown.update(event)
            elif self._cancel is None:
                self._cancel = self._schedule(self._delay - event.elapsed, self._on_delay)

    def close(self, *, success: bool) -> None:
        """End the real display if it was shown, first showing it if the wait lasted the
        delay by now; otherwise nothing was ever shown."""
        with self._lock:
            self._closed = True
            cancel, self._cancel = self._cancel, None
        if cancel is not None:
            cancel()  # on return the timer is neither running nor due
        with self._lock:
            event = self._now_event()
            if self._shown is None and event is not None and event.elapsed >= self._delay:
                self._shown = self._make()
                self._shown.update(event)
            shown = self._shown
        if shown is not None:
            shown.close(success=success)

    def _on_delay(self) -> None:
        with self._lock:
            event = self._now_event()
            if self._closed or self._shown is not None or event is None:
                return
            self._shown = self._make()
            self._shown.update(event)


def _auto_reporter() -> ProgressReporter | None:
    """``progress=None``: in a Jupyter kernel with ipywidgets, a bar for waits longer than
    :func:`auto_delay`; elsewhere nothing (scripts and logs stay clean)."""
    from graph_olap import progress_widget

    if not progress_widget.in_jupyter_kernel():
        return None
    try:
        import ipywidgets  # noqa: F401  (the bar needs it; without it stay quiet)
    except ImportError:
        return None
    return DeferredProgress(progress_widget.WidgetProgress)


def _default_reporter() -> ProgressReporter:
    """A widget in a Jupyter kernel with ipywidgets installed, else one line of text."""
    from graph_olap import progress_widget

    if progress_widget.in_jupyter_kernel():
        try:
            return progress_widget.WidgetProgress()
        except ImportError:
            pass
    return TextProgress()
