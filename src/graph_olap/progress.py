"""Progress display for the waiting methods (``*_and_wait(..., progress=True)``).

A waiter feeds a :class:`ProgressReporter` one :class:`ProgressEvent` each time the
resource's status, phase or step count changes, and closes it when the wait ends. The
built-in :class:`TextProgress` keeps one updating line of plain text. In a Jupyter kernel
with ipywidgets installed, ``progress=True`` shows a bar instead
(:class:`graph_olap.progress_widget.WidgetProgress`, see docs/notebook-progress.md). Any
object with the same two methods can be passed as ``progress=MyDisplay()``.

Example:
    >>> client.instances.create_from_mapping_and_wait(1, "demo", progress=True)
    Instance 12: loading_data 3/5 steps (4.1 s)
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Protocol, TextIO, runtime_checkable

from graph_olap import exceptions as exc

__all__ = ["ProgressEvent", "ProgressReporter", "TextProgress", "make_reporter"]


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
        return f"{self.resource}: {self.phase}{steps} ({self.elapsed:.1f} s)"


@runtime_checkable
class ProgressReporter(Protocol):
    """Receives a waiter's progress. Implement both methods to plug in a display."""

    def update(self, event: ProgressEvent) -> None:
        """Show ``event`` (called only when something changed)."""

    def close(self, *, success: bool) -> None:
        """The wait ended: ``success`` is False after a failure, timeout or interrupt."""


class TextProgress:
    """One updating line of plain text (carriage returns), then a newline at the end.

    Example:
        >>> reporter = TextProgress()
        >>> client.snapshots.create_and_wait(1, "s", progress=reporter)
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._width = 0
        self._shown = False

    def update(self, event: ProgressEvent) -> None:
        """Overwrite the line with ``event``."""
        text = event.line()
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self._write(f"\r{text}{pad}")
        self._shown = True

    def close(self, *, success: bool) -> None:
        """End the line (with a note when the wait did not succeed)."""
        if self._shown:
            self._write("\n" if success else " - stopped\n")
        self._shown = False

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(text)
        stream.flush()


def make_reporter(*, progress: bool | ProgressReporter | None) -> ProgressReporter | None:
    """The reporter for a ``progress=`` argument: ``True`` gives the default display.

    The default is a :class:`~graph_olap.progress_widget.WidgetProgress` bar in a Jupyter
    kernel when ipywidgets is installed, else :class:`TextProgress`.

    Example:
        >>> make_reporter(progress=False) is None
        True
    """
    if progress is None or progress is False:
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


def _default_reporter() -> ProgressReporter:
    """A widget in a Jupyter kernel with ipywidgets installed, else one line of text."""
    from graph_olap import progress_widget

    if progress_widget.in_jupyter_kernel():
        try:
            return progress_widget.WidgetProgress()
        except ImportError:
            pass
    return TextProgress()
