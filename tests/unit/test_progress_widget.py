"""The notebook progress bar (WidgetProgress) and how ``progress=True`` picks it.

ipywidgets objects work without a frontend, so the bar is driven with real widgets and
read back; only the display call is recorded. Being inside a Jupyter kernel is decided
by IPython's ``get_ipython()``, which the kernel tests replace.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import IPython
import ipywidgets
import pytest

from graph_olap import InstanceFailedError, ProgressEvent, TextProgress
from graph_olap.exceptions import ValidationError
from graph_olap.progress import (
    AUTO_DELAY_SECONDS,
    DeferredProgress,
    Ticker,
    auto_delay,
    format_elapsed,
    make_reporter,
    set_auto_delay,
    thread_timer,
)
from graph_olap.progress_widget import WidgetProgress, in_jupyter_kernel
from tests.unit.test_waiters import Script, instance_routes, progress


def event(phase: str, done: int, total: int, elapsed: float = 1.0) -> ProgressEvent:
    return ProgressEvent("Instance 12", "starting", phase, done, total, elapsed)


class Shown:
    """Records what the reporter displays."""

    def __init__(self) -> None:
        self.widgets: list[Any] = []

    def __call__(self, widget: Any) -> None:
        self.widgets.append(widget)


def test_first_update_displays_the_bar_once_and_later_updates_change_it() -> None:
    shown = Shown()
    reporter = WidgetProgress(display=shown, clock=lambda: 0.0)
    assert reporter.bar is None and reporter.text == ""

    reporter.update(event("loading_schema", 1, 5, 0.5))
    reporter.update(event("loading_data", 3, 5, 4.06))

    assert shown.widgets == [reporter.widget]
    assert isinstance(reporter.bar, ipywidgets.IntProgress)
    assert (reporter.bar.value, reporter.bar.max) == (3, 5)
    assert reporter.bar.bar_style == "info"
    assert reporter.text == "Instance 12 · starting · loading_data · 3/5 steps · 4.1 s"


def test_unplanned_phase_shows_a_full_working_bar_without_steps() -> None:
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    reporter.update(event("pod_scheduled", 0, 0, 0.2))
    assert (reporter.bar.value, reporter.bar.max) == (1, 1)
    assert reporter.bar.bar_style == "info"
    assert reporter.text == "Instance 12 · starting · pod_scheduled · 0.2 s"


def test_success_ends_full_and_green_with_the_time() -> None:
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    reporter.update(event("loading_data", 2, 4))
    reporter.update(event("ready", 4, 4, 4.2))
    reporter.close(success=True)
    assert (reporter.bar.value, reporter.bar.max) == (4, 4)
    assert reporter.bar.bar_style == "success"
    assert reporter.text == "Instance 12 ready in 4.2 s"


def test_failure_ends_red_with_the_error_message() -> None:
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    reporter.update(event("loading_data", 2, 5, 3.0))
    reporter.close(success=False, error=ValueError("Parquet file is corrupt <x>"))
    assert reporter.bar.bar_style == "danger"
    assert reporter.text == "Instance 12 stopped after 3.0 s: Parquet file is corrupt <x>"
    assert "&lt;x&gt;" in reporter.label.value


def test_an_error_naming_the_resource_is_not_named_twice_and_time_runs_on() -> None:
    now = [100.0]
    reporter = WidgetProgress(display=Shown(), clock=lambda: now[0])
    reporter.update(event("loading_data", 2, 5, 3.0))
    now[0] += 57.0  # no change seen for a while, then the deadline passes
    reporter.close(success=False, error="Instance 12 is still 'starting' after 60 s.")
    assert reporter.text == "Instance 12 is still 'starting' after 60 s. (1 min 00 s)"


def test_failure_reads_the_exception_being_raised() -> None:
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    reporter.update(event("loading_data", 2, 5))
    with pytest.raises(RuntimeError):
        try:
            raise RuntimeError("disk full")
        finally:
            reporter.close(success=False)
    assert reporter.bar.bar_style == "danger"
    assert reporter.text.endswith(": disk full")


def test_close_without_updates_shows_nothing_and_a_reused_reporter_starts_a_new_bar() -> None:
    shown = Shown()
    reporter = WidgetProgress(display=shown, clock=lambda: 0.0)
    reporter.close(success=False)
    assert shown.widgets == []

    reporter.update(event("loading_data", 1, 5))
    reporter.close(success=True)
    first = reporter.bar
    reporter.update(event("loading_data", 2, 5))
    assert len(shown.widgets) == 2 and reporter.bar is not first
    assert first.bar_style == "success" and reporter.bar.bar_style == "info"


def test_default_display_outside_a_kernel_is_harmless(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = WidgetProgress()
    reporter.update(event("loading_data", 1, 5))
    reporter.close(success=True)
    assert reporter.bar.bar_style == "success"
    assert "IntProgress" in capsys.readouterr().out  # the plain repr, printed once


@pytest.mark.anyio
async def test_a_failed_wait_ends_the_bar_with_the_platform_message(mode: str) -> None:
    failed = progress("failed", "loading_data", 2, error_message="Parquet file is corrupt")
    script = Script(mode, instance_routes(progress("starting", "loading_data", 2), failed))
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    with pytest.raises(InstanceFailedError):
        await script.call(lambda c: c.instances.wait_until_running(12, progress=reporter))
    assert reporter.bar.bar_style == "danger"
    assert "Parquet file is corrupt" in reporter.text


@pytest.mark.anyio
async def test_a_finished_wait_ends_the_bar_green(mode: str) -> None:
    script = Script(
        mode,
        instance_routes(progress("starting", "loading_data", 3), progress("running", "ready", 5)),
    )
    reporter = WidgetProgress(display=Shown(), clock=lambda: 0.0)
    await script.call(lambda c: c.instances.wait_until_running(12, progress=reporter))
    assert (reporter.bar.value, reporter.bar.max) == (5, 5)
    assert reporter.bar.bar_style == "success"
    assert reporter.text.startswith("Instance 12 ready in ")


# -- the live clock ----------------------------------------------------------------


def progress_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "graph-olap-progress"}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait (with a deadline) for a condition another thread makes true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0.0 s"), (4.06, "4.1 s"), (59.94, "59.9 s"), (60, "1 min 00 s"),
     (125.7, "2 min 05 s"), (3725, "1 h 02 min")],
)  # fmt: skip
def test_format_elapsed(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


def test_the_clock_runs_while_the_server_reports_nothing_new() -> None:
    now = [100.0]
    reporter = WidgetProgress(display=Shown(), clock=lambda: now[0], tick=0.01)
    seen = threading.Event()
    reporter.update(event("loading_data", 2, 5, 1.0))
    reporter.label.observe(
        lambda change: seen.set() if change["new"].endswith("· 5.0 s") else None, "value"
    )
    assert reporter.ticking
    now[0] = 104.0  # four seconds pass without an update
    assert seen.wait(60), reporter.text
    assert reporter.text == "Instance 12 · starting · loading_data · 2/5 steps · 5.0 s"
    assert (reporter.bar.value, reporter.bar.max) == (2, 5)  # a tick moves only the clock

    assert reporter._ticker is not None
    thread = reporter._ticker.thread
    reporter.close(success=True)
    assert not thread.is_alive() and not reporter.ticking
    assert reporter.text == "Instance 12 ready in 5.0 s"


def test_the_clock_stops_on_failure_and_never_overwrites_the_end_state() -> None:
    before = progress_threads()
    for _ in range(30):  # ticks as fast as possible race with each close
        reporter = WidgetProgress(display=Shown(), clock=time.monotonic, tick=0.0001)
        reporter.update(event("loading_data", 2, 5, 1.0))
        reporter.update(event("loading_data", 3, 5, 1.5))
        reporter.close(success=False, error="disk full")
        assert reporter.bar.bar_style == "danger"
        assert reporter.text.startswith("Instance 12 stopped after ")
        assert reporter.text.endswith(": disk full")
    assert progress_threads() <= before


def test_text_progress_clock_rewrites_the_line_and_stops() -> None:
    now = [10.0]
    stream = io.StringIO()
    reporter = TextProgress(stream, clock=lambda: now[0], tick=0.01)
    before = progress_threads()
    reporter.update(event("loading_data", 3, 5, 2.0))
    now[0] = 13.0
    wait_until(lambda: "(5.0 s)" in stream.getvalue(), "the text clock")
    assert "\rInstance 12: loading_data 3/5 steps (5.0 s)" in stream.getvalue()
    reporter.close(success=True)
    assert progress_threads() <= before and not reporter.ticking
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    now[0] = 20.0  # the clock moves on, the closed line does not
    assert stream.getvalue() == text


def test_no_clock_when_asked() -> None:
    reporter = TextProgress(io.StringIO(), tick=None)
    before = progress_threads()
    reporter.update(event("loading_data", 1, 5))
    assert not reporter.ticking and progress_threads() <= before
    reporter.close(success=True)


def test_a_failing_tick_ends_the_ticker_not_the_program() -> None:
    calls: list[int] = []

    def tick() -> None:
        calls.append(1)
        raise RuntimeError("display gone")

    ticker = Ticker(tick, 0.001)
    ticker.start()
    ticker.thread.join(60)
    assert not ticker.thread.is_alive() and calls == [1]
    ticker.stop()  # harmless after the thread ended


@pytest.mark.anyio
async def test_a_real_wait_leaves_no_clock_thread(mode: str) -> None:
    script = Script(
        mode,
        instance_routes(progress("starting", "loading_data", 3), progress("running", "ready", 5)),
    )
    reporter = WidgetProgress(display=Shown())
    before = progress_threads()
    await script.call(lambda c: c.instances.wait_until_running(12, progress=reporter))
    assert reporter.bar.bar_style == "success" and not reporter.ticking
    assert progress_threads() <= before


def test_a_dropped_display_ends_its_clock_thread() -> None:
    import gc

    reporter = WidgetProgress(display=Shown(), tick=0.001)
    reporter.update(event("loading_data", 1, 5))  # never closed
    assert reporter._ticker is not None
    thread = reporter._ticker.thread
    del reporter
    gc.collect()
    thread.join(60)
    assert not thread.is_alive()


class ZMQInteractiveShell:
    """Named like the shell of a Jupyter kernel."""


class TerminalInteractiveShell:
    """Named like the shell of the IPython terminal."""


def test_outside_a_kernel_progress_true_keeps_the_text_line() -> None:
    assert not in_jupyter_kernel()
    assert isinstance(make_reporter(progress=True), TextProgress)


def test_the_ipython_terminal_keeps_the_text_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IPython, "get_ipython", TerminalInteractiveShell)
    assert isinstance(make_reporter(progress=True), TextProgress)


def test_in_a_kernel_progress_true_gives_the_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    assert in_jupyter_kernel()
    assert isinstance(make_reporter(progress=True), WidgetProgress)


def test_in_a_kernel_without_ipywidgets_progress_true_gives_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    assert isinstance(make_reporter(progress=True), TextProgress)
    with pytest.raises(ImportError, match=r"graph-olap\[notebook\]"):
        WidgetProgress()


def test_an_explicit_reporter_is_kept_in_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    text = TextProgress(io.StringIO())
    assert make_reporter(progress=text) is text
    assert make_reporter(progress=False) is None


def test_by_default_waits_show_nothing_outside_a_kernel() -> None:
    assert make_reporter(progress=None) is None


def test_by_default_a_kernel_gets_a_bar_for_long_waits_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(IPython, "get_ipython", ZMQInteractiveShell)
    reporter = make_reporter(progress=None)
    assert isinstance(reporter, DeferredProgress) and reporter.delay == AUTO_DELAY_SECONDS
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    assert make_reporter(progress=None) is None


class Recorder:
    """A display that records what it is told."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []
        self.closed: list[bool] = []

    def update(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def close(self, *, success: bool) -> None:
        self.closed.append(success)


def _event(elapsed: float, phase: str = "loading_data") -> ProgressEvent:
    return ProgressEvent("Instance 12", "starting", phase, 1, 5, elapsed)


def test_a_quick_wait_shows_nothing_and_leaves_no_thread() -> None:
    made: list[Recorder] = []
    deferred = DeferredProgress(lambda: made.append(Recorder()) or made[-1], delay=30.0)
    deferred.update(_event(0.1))
    deferred.update(_event(0.4, "ready"))
    deferred.close(success=True)
    assert made == [] and deferred.shown is None
    assert not [t for t in threading.enumerate() if t.name == "graph-olap-progress-delay"]
    deferred.update(_event(50.0))  # late updates after close are ignored
    assert made == []


def test_a_wait_past_the_delay_hands_over_every_later_event() -> None:
    shown = Recorder()
    deferred = DeferredProgress(lambda: shown, delay=1.0)
    deferred.update(_event(1.5))
    deferred.update(_event(2.5, "ready"))
    deferred.close(success=False)
    assert [e.phase for e in shown.events] == ["loading_data", "ready"]
    assert shown.closed == [False]


class FakeTimers:
    """A :data:`~graph_olap.progress.Schedule` the test runs by hand: it records each
    timer, and fires one only when the test says so."""

    def __init__(self) -> None:
        self.armed: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, seconds: float, action: Callable[[], None]) -> Callable[[], None]:
        self.armed.append((seconds, action))

        def cancel() -> None:
            self.cancelled += 1

        return cancel

    def fire(self) -> None:
        (_, action), *_ = self.armed
        action()


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def deferred(clock: Clock, timers: FakeTimers) -> tuple[DeferredProgress, list[Recorder]]:
    """A DeferredProgress with the default delay, a test clock and test timers."""
    made: list[Recorder] = []

    def make() -> Recorder:
        made.append(Recorder())
        return made[-1]

    return DeferredProgress(make, clock=clock, schedule=timers), made


def test_before_the_default_delay_nothing_shows_and_the_timer_is_cancelled() -> None:
    clock, timers = Clock(), FakeTimers()
    quiet, made = deferred(clock, timers)
    assert quiet.delay == AUTO_DELAY_SECONDS == auto_delay()
    quiet.update(_event(0.1))
    [(seconds, _)] = timers.armed  # the timer ends the delay counted from the wait's start
    assert seconds == pytest.approx(AUTO_DELAY_SECONDS - 0.1)
    clock.now += AUTO_DELAY_SECONDS - 0.2  # the wait ends just before the delay
    quiet.update(_event(AUTO_DELAY_SECONDS - 0.1, "ready"))
    quiet.close(success=True)
    assert made == [] and quiet.shown is None and timers.cancelled == 1
    assert len(timers.armed) == 1  # one timer per wait, not one per update


def test_when_the_delay_ends_the_timer_shows_the_last_event_with_the_time_so_far() -> None:
    """The server reports nothing new for a while: the timer shows the bar anyway, with
    the time elapsed since the wait began; later events go to the bar."""
    clock, timers = Clock(), FakeTimers()
    quiet, made = deferred(clock, timers)
    quiet.update(_event(0.0))
    assert made == []
    clock.now += AUTO_DELAY_SECONDS + 0.2
    timers.fire()
    [bar] = made
    [first] = bar.events
    assert first.phase == "loading_data"
    assert first.elapsed == pytest.approx(AUTO_DELAY_SECONDS + 0.2)
    quiet.update(_event(AUTO_DELAY_SECONDS + 0.5, "ready"))
    quiet.close(success=True)
    assert [e.phase for e in bar.events] == ["loading_data", "ready"]
    assert bar.closed == [True] and timers.cancelled == 1 and len(made) == 1


def test_a_wait_that_lasted_the_delay_ends_with_its_bar_even_if_the_timer_ran_late() -> None:
    """A busy machine has not run the timer yet when the wait ends: close shows the bar."""
    clock, timers = Clock(), FakeTimers()
    quiet, made = deferred(clock, timers)
    quiet.update(_event(0.3))
    clock.now += AUTO_DELAY_SECONDS  # 1.3 s into the wait, the timer has not run
    quiet.close(success=False)
    [bar] = made
    assert [e.elapsed for e in bar.events] == [pytest.approx(AUTO_DELAY_SECONDS + 0.3)]
    assert bar.closed == [False] and timers.cancelled == 1
    timers.fire()  # a timer that runs after all, too late, changes nothing
    assert len(made) == 1 and len(bar.events) == 1


def test_set_auto_delay_changes_the_default_of_later_waits_only() -> None:
    clock, timers = Clock(), FakeTimers()
    before, _ = deferred(clock, timers)
    previous = set_auto_delay(0)
    try:
        assert previous == AUTO_DELAY_SECONDS and auto_delay() == 0.0
        every, made = deferred(clock, timers)
        every.update(_event(0.0))  # a bar at once
        assert len(made) == 1 and timers.armed == []
        assert before.delay == AUTO_DELAY_SECONDS
        assert DeferredProgress(Recorder, delay=5.0).delay == 5.0
    finally:
        set_auto_delay(previous)
    assert auto_delay() == AUTO_DELAY_SECONDS


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan"), "1", True, None])
def test_set_auto_delay_refuses_what_is_not_a_delay(bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"set_auto_delay\(0\).*progress=False"):
        set_auto_delay(bad)
    assert auto_delay() == AUTO_DELAY_SECONDS


def delay_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "graph-olap-progress-delay"}


def test_the_thread_timer_runs_its_action_once_and_cancel_leaves_no_thread() -> None:
    before = delay_threads()
    ran = threading.Event()
    cancel = thread_timer(0.0, ran.set)
    assert ran.wait(60), "the timer never ran"  # a deadline against hangs only
    cancel()  # joins the finished thread
    assert delay_threads() <= before

    late: list[int] = []
    cancel = thread_timer(3600.0, lambda: late.append(1))
    cancel()  # long before it is due
    assert delay_threads() <= before and late == []
