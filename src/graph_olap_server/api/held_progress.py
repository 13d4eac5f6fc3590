"""Progress answers held until something changes (a long poll).

``GET /api/snapshots/{id}/progress`` and ``GET /api/instances/{id}/progress`` take
``wait_ms`` and ``seen`` (the ``token`` of the progress the caller last saw). With both,
the answer waits until the progress differs from ``seen`` or ``wait_ms`` passes, so a
waiting client learns of each step, and of the instance being ready, within
:data:`RECHECK_SECONDS` instead of at its next poll. The progress is read again from
the database (in a worker thread: the event loop never blocks), so a change made by
another replica of the control plane is seen too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

__all__ = ["MAX_WAIT_MS", "RECHECK_SECONDS", "held_progress"]

MAX_WAIT_MS = 30_000
"""The longest an answer is held."""
RECHECK_SECONDS = 0.05
"""How often a held answer reads the progress again."""


async def held_progress(
    read: Callable[[], dict[str, Any]], wait_ms: int, seen: str | None
) -> dict[str, Any]:
    """``read()`` (a public progress document with its ``token``), again every
    :data:`RECHECK_SECONDS` while its token is ``seen``, for at most ``wait_ms``.

    Example:
        >>> document = await held_progress(read, wait_ms=10_000, seen="3f2a...")
    """
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        document = await run_in_threadpool(read)
        left = deadline - time.monotonic()
        if seen is None or document.get("token") != seen or left <= 0:
            return document
        await asyncio.sleep(min(RECHECK_SECONDS, left))
