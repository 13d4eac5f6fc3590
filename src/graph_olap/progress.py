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

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from graph_olap import exceptions as exc
from graph_olap import progress_widget
from graph_olap._jupyter import in_jupyter_kernel
from graph_olap._progress_base import (
    JOIN_SECONDS,
    TICK_SECONDS,
    ProgressEvent,
    ProgressReporter,
    Ticker,
    _Clocked,
    _Timed,
    format_elapsed,
)

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


AUTO_DELAY_SECONDS = 1.0
"""The default of :func:`auto_delay`: with ``progress=None`` in Jupyter, waits shorter than
this show nothing."""

_auto_delay = AUTO_DELAY_SECONDS


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
    if not in_jupyter_kernel():
        return None
    try:
        import ipywidgets  # noqa: F401  (the bar needs it; without it stay quiet)
    except ImportError:
        return None
    return DeferredProgress(progress_widget.WidgetProgress)


def _default_reporter() -> ProgressReporter:
    """A widget in a Jupyter kernel with ipywidgets installed, else one line of text."""
    if in_jupyter_kernel():
        try:
            return progress_widget.WidgetProgress()
        except ImportError:
            pass
    return TextProgress()
