"""A Jupyter progress bar for the waiting methods (``*_and_wait(..., progress=True)``).

In a Jupyter kernel, ``progress=True`` shows a :class:`WidgetProgress` (when ipywidgets is
installed: ``pip install "graph-olap[notebook]"``): a bar and one line of text, updated in
place, with a clock that runs once a second between the server's updates, that ends green
(``Instance 12 ready in 4.2 s``) or red with the error's message.
Elsewhere ``progress=True`` keeps the plain :class:`~graph_olap.progress.TextProgress`.

ipywidgets and IPython are imported only when a :class:`WidgetProgress` is created, so the
SDK's core works without them.

Example:
    >>> from graph_olap.progress_widget import WidgetProgress
    >>> client.instances.create_from_mapping_and_wait(1, "demo", progress=WidgetProgress())
"""

from __future__ import annotations

import html
import sys
import time
from collections.abc import Callable
from typing import Any

from graph_olap._jupyter import in_jupyter_kernel
from graph_olap._progress_base import TICK_SECONDS, ProgressEvent, _Clocked, format_elapsed

__all__ = ["WidgetProgress", "in_jupyter_kernel"]

Display = Callable[[Any], object]
"""Shows a widget once, like :func:`IPython.display.display`."""


def _default_display(widget: Any) -> object:
    from IPython import display as ipython_display

    show: Display = ipython_display.display  # untyped in IPython
    return show(widget)


class WidgetProgress(_Clocked):
    """A progress bar and a line of text in a notebook, updated in place.

    The bar's length is the phase's planned steps; while the server has not planned them
    (``total`` 0) the bar is full and blue, as "working". The text names the resource, its
    status, phase and steps, and the elapsed time, which a small clock thread refreshes
    every ``tick`` seconds even while the server reports nothing new. On :meth:`close`
    the clock stops and the bar ends full and green with ``<resource> ready in
    <seconds> s``, or red with the error's message (the exception being raised, or
    ``error``).

    The widgets are made and shown (once) on the first :meth:`update`; after
    :meth:`close`, the next :meth:`update` starts a new bar, so one reporter can serve
    several waits.

    Args:
        display: Shows the widget; :func:`IPython.display.display` when not given.
        clock: Seconds of a monotonic clock, for the time since the last update.
        tick: Seconds between clock refreshes; ``None`` for none.

    Raises:
        ImportError: ipywidgets is not installed.

    Example:
        >>> reporter = WidgetProgress()
        >>> client.snapshots.create_and_wait(1, "s", progress=reporter)
        >>> reporter.text
        'Snapshot 7 ready in 12.3 s'
    """

    def __init__(
        self,
        *,
        display: Display | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float | None = TICK_SECONDS,
    ) -> None:
        try:
            import ipywidgets
        except ImportError as err:
            raise ImportError(
                'WidgetProgress needs ipywidgets: pip install "graph-olap[notebook]"'
            ) from err
        super().__init__(clock, tick)
        self._widgets: Any = ipywidgets
        self._display = display or _default_display
        self._open = False
        self.bar: Any = None
        """The ``IntProgress`` bar (``None`` before the first update)."""
        self.label: Any = None
        """The ``HTML`` text next to the bar."""
        self.widget: Any = None
        """The box holding both, as displayed."""

    def update(self, event: ProgressEvent) -> None:
        """Show ``event``: the first one displays the widget, later ones change it."""
        with self._lock:
            if not self._open:
                self._start()
            self._seen(event)
            if event.total > 0:
                self.bar.max = event.total
                self.bar.value = min(event.completed, event.total)
            else:
                self.bar.max = 1
                self.bar.value = 1
            self.bar.bar_style = "info"
            self._show(event)
        self._start_ticking()

    def close(self, *, success: bool, error: BaseException | str | None = None) -> None:
        """End the bar: green when ``success``, else red with the error's message.

        Args:
            success: Whether the wait ended with the resource ready.
            error: Why it failed; by default the exception being raised, if any.
        """
        if error is None and not success:
            error = sys.exc_info()[1]
        try:
            with self._lock:
                if self._open:
                    self._end(success=success, error=error)
        finally:
            self._stop_ticking()

    @property
    def text(self) -> str:
        """The label's text without its markup."""
        if self.label is None:
            return ""
        return html.unescape(self.label.value.replace("<b>", "").replace("</b>", ""))

    def _end(self, *, success: bool, error: BaseException | str | None) -> None:
        self._open = False
        resource = self._last.resource if self._last else "Wait"
        elapsed = format_elapsed(self._elapsed())
        self.bar.max = max(self.bar.max, 1)
        self.bar.value = self.bar.max
        if success:
            self.bar.bar_style = "success"
            self._say(f"<b>{_esc(resource)}</b> ready in {elapsed}")
            return
        self.bar.bar_style = "danger"
        message = _message(error)
        if message.startswith(resource):  # the SDK's wait errors name the resource first
            rest = message[len(resource) :]
            self._say(f"<b>{_esc(resource)}</b>{_esc(rest)} ({elapsed})")
        else:
            self._say(f"<b>{_esc(resource)}</b> stopped after {elapsed}: {_esc(message)}")

    def _on_tick(self) -> None:
        with self._lock:
            event = self._now_event()
            if self._open and event is not None:
                self._show(event)

    def _show(self, event: ProgressEvent) -> None:
        steps = f" · {event.completed}/{event.total} steps" if event.total else ""
        self._say(
            f"<b>{_esc(event.resource)}</b> · {_esc(event.status)} · "
            f"{_esc(event.phase)}{steps} · {format_elapsed(event.elapsed)}"
        )

    def _start(self) -> None:
        w = self._widgets
        self.bar = w.IntProgress(
            value=0, min=0, max=1, bar_style="info", layout=w.Layout(width="40%")
        )
        self.label = w.HTML(value="")
        self.widget = w.HBox([self.bar, self.label])
        self._last = None
        self._open = True
        self._display(self.widget)

    def _say(self, markup: str) -> None:
        self.label.value = markup


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _message(error: BaseException | str | None) -> str:
    if error is None:
        return "the wait did not finish"
    if isinstance(error, str):
        return error
    return str(error) or type(error).__name__
