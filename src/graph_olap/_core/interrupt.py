"""Ctrl-C (a kernel interrupt, or an async task's cancellation) during an SDK call.

An interrupt reaches the operation generator that was waiting (the runners throw it in),
so the generator can stop the work on the platform before giving control back:
:func:`stop_on_interrupt` runs ``work`` and, on an interrupt, the ``stop`` operation (a
query's cancel, an execution's cancel, an instance's terminate), then raises
:class:`Interrupted` whose message says in one line what was stopped, or what keeps
running and how to stop it. An async task's ``CancelledError`` does the same, logs that
line and stays a ``CancelledError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Literal, TypeVar, cast

from graph_olap import exceptions as exc
from graph_olap._core.ops import Op

__all__ = [
    "INTERRUPTS",
    "STOP_TIMEOUT",
    "Interrupted",
    "OnInterrupt",
    "check_on_interrupt",
    "interrupted",
    "stop_on_interrupt",
]

T = TypeVar("T")
log = logging.getLogger("graph_olap")

OnInterrupt = Literal["cancel", "keep"]
"""What an interrupted wait does with the work it waits for: stop it, or leave it running."""
INTERRUPTS = (KeyboardInterrupt, asyncio.CancelledError)
STOP_TIMEOUT = 5.0
"""Seconds one call that stops work after an interrupt may take."""


class Interrupted(KeyboardInterrupt):
    """The user interrupted an SDK call (Ctrl-C, the notebook's stop button).

    A ``KeyboardInterrupt``, so code that catches that keeps working. ``str()`` is one line
    saying what happened to the work on the platform; ``stopped`` says whether it was
    stopped (False: it keeps running, and the message says how to stop it).

    Example:
        >>> try:
        ...     conn.query("MATCH (a), (b), (c) RETURN count(*)")
        ... except Interrupted as err:
        ...     print(err)
        Stopped query 3f2a9c1b on instance 12 (the platform interrupted it).
    """

    def __init__(self, message: str, *, stopped: bool) -> None:
        super().__init__(message)
        self.message = message
        self.stopped = stopped

    def __str__(self) -> str:
        return self.message


def check_on_interrupt(value: str) -> OnInterrupt:
    """``value`` if it is ``"cancel"`` or ``"keep"``; a ValidationError otherwise.

    Example:
        >>> check_on_interrupt("keep")
        'keep'
    """
    if value in ("cancel", "keep"):
        return cast("OnInterrupt", value)
    raise exc.ValidationError(
        f"on_interrupt must be 'cancel' (stop the work when the wait is interrupted) or "
        f"'keep' (leave it running), got {value!r}.",
        details={"field": "on_interrupt"},
    )


def interrupted(err: BaseException, message: str, *, stopped: bool) -> BaseException:
    """What to raise once an interrupt was dealt with: :class:`Interrupted` for a
    ``KeyboardInterrupt``; for an async ``CancelledError``, ``err`` itself after logging
    ``message`` (a cancelled task must end with ``CancelledError``).

    Example:
        >>> raise interrupted(err, "Stopped query 3f2a on instance 12.", stopped=True) from err
    """
    if isinstance(err, asyncio.CancelledError):
        log.warning("%s", message)
        return err
    return Interrupted(message, stopped=stopped)


def stop_on_interrupt(work: Op[T], stop: Callable[[], Op[tuple[str, bool]]]) -> Op[T]:
    """Run ``work``; if it is interrupted, run ``stop`` (which answers the one-line
    message and whether the work was stopped; it must not raise for a failed stop but
    say so in the message) and raise
    :class:`Interrupted` (or the ``CancelledError``) with that message.

    An interrupt already handled deeper (an :class:`Interrupted`) passes through.

    Example:
        >>> rows = yield from stop_on_interrupt(send_query(), stop=lambda: cancel_query(qid))
    """
    try:
        return (yield from work)
    except INTERRUPTS as err:
        if isinstance(err, Interrupted):
            raise
        message, stopped = yield from stop()
        raise interrupted(err, message, stopped=stopped) from err
