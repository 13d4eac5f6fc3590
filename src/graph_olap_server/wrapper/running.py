"""The queries running on one wrapper, by the id the SDK gave each, so that one can be
interrupted (``POST /query/{id}/cancel``, sent by an SDK whose user pressed Ctrl-C).

A query registers its id for its whole run (:meth:`RunningQueries.running`); the engine
binds the connection it borrows to that id (:class:`InterruptibleEngine`), and
:meth:`RunningQueries.interrupt` calls the engine's own ``Connection.interrupt()`` on it:
Kùzu and Ryugraph stop the query at their next check (well under a second) and the
query's call raises, which gives back its connection and releases the write lock.

An engine forgets an interrupt that arrives before its query starts executing (the
connection is borrowed, the query not yet sent), so a cancelled query is interrupted
again every :data:`REPEAT_SECONDS` until its call returns (by a short-lived thread).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from graph_olap_server.wrapper.engine import EmbeddedEngine

log = logging.getLogger("graph_olap_server.wrapper")

__all__ = [
    "EARLY_CANCELS",
    "STOP_WAIT",
    "InterruptibleEngine",
    "QueryIdInUse",
    "RunningQueries",
    "RunningQuery",
]

REPEAT_SECONDS = 0.02
"""How often a cancelled query that still runs is interrupted again."""
REPEAT_FOR = 30.0
"""Seconds after which a query that ignores its interrupts is left alone (logged)."""
STOP_WAIT = 3.0
"""Seconds a cancel waits for its query to stop before answering (the SDK waits 5 s)."""
EARLY_CANCELS = 1000
"""How many cancels of not-yet-arrived queries are remembered (oldest forgotten first)."""


class QueryIdInUse(ValueError):
    """Another running query already has this id."""


@dataclasses.dataclass
class RunningQuery:
    """One query in progress: who sent it, since when, and the connection it runs on."""

    query_id: str
    username: str
    started: float
    connection: Any = None
    cancelled: bool = False
    done: threading.Event = dataclasses.field(default_factory=threading.Event)


class RunningQueries:
    """The registry of running queries (thread-safe; one per wrapper).

    Example:
        >>> queries = RunningQueries()
        >>> with queries.running("3f2a", "alice"):
        ...     ...  # engine.query(...) on this thread binds its connection
        >>> queries.interrupt("3f2a")  # from another request's thread
        False
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queries: dict[str, RunningQuery] = {}
        self._local = threading.local()
        self._early: dict[str, float] = {}  # ids cancelled before their query arrived

    @contextmanager
    def running(self, query_id: str | None, username: str) -> Iterator[RunningQuery | None]:
        """Register ``query_id`` (if given) while the block runs on this thread."""
        if query_id is None:
            yield None
            return
        entry = RunningQuery(query_id, username, time.time())
        with self._lock:
            if query_id in self._queries:
                raise QueryIdInUse(f"a query with id {query_id!r} is already running")
            self._queries[query_id] = entry
            entry.cancelled = self._early.pop(query_id, None) is not None
        self._local.entry = entry
        try:
            yield entry
        finally:
            self._local.entry = None
            with self._lock:
                self._queries.pop(query_id, None)
            entry.done.set()

    def bind(self, connection: Any) -> None:
        """The engine borrowed ``connection`` on this thread: tie it to the thread's query
        (and interrupt it at once if that query was cancelled before it started)."""
        entry: RunningQuery | None = getattr(self._local, "entry", None)
        if entry is None:
            return
        with self._lock:
            entry.connection = connection
            cancelled = entry.cancelled
        if cancelled:
            connection.interrupt()

    def unbind(self, connection: Any) -> None:
        """The engine gives ``connection`` back: no query of this thread runs on it."""
        entry: RunningQuery | None = getattr(self._local, "entry", None)
        if entry is None:
            return
        with self._lock:
            if entry.connection is connection:
                entry.connection = None

    def get(self, query_id: str) -> RunningQuery | None:
        """The running query with this id, or None."""
        with self._lock:
            return self._queries.get(query_id)

    def interrupt(self, query_id: str) -> bool:
        """Interrupt the query and wait (up to :data:`STOP_WAIT` seconds) until it has
        stopped: True if it was running, False if no query with this id runs (it
        finished, or never started)."""
        with self._lock:
            entry = self._queries.get(query_id)
            if entry is None:
                # the cancel may overtake its query: remember it a while (bounded)
                self._early[query_id] = time.time()
                while len(self._early) > EARLY_CANCELS:
                    self._early.pop(next(iter(self._early)))
                return False
            first = not entry.cancelled
            entry.cancelled = True
        if first:
            threading.Thread(
                target=self._keep_interrupting, args=(entry,), daemon=True, name="interrupt"
            ).start()
        # answer once the query's call has returned (its connection and lock given back),
        # so that "stopped" means stopped: a caller that looks next sees nothing running
        if not entry.done.wait(STOP_WAIT):
            log.warning("query %s still runs %.0f s after its cancel", query_id, STOP_WAIT)
        return True

    def _keep_interrupting(self, entry: RunningQuery) -> None:
        """Interrupt ``entry``'s connection until its query's call returns."""
        deadline = time.monotonic() + REPEAT_FOR
        while time.monotonic() < deadline:
            with self._lock:  # the connection cannot be given back (to another query) meanwhile
                if entry.connection is not None:
                    entry.connection.interrupt()
            if entry.done.wait(REPEAT_SECONDS):
                return
        log.warning("query %s still runs %.0f s after its cancel", entry.query_id, REPEAT_FOR)

    def active(self) -> list[RunningQuery]:
        """The queries running now, oldest first."""
        with self._lock:
            return sorted(self._queries.values(), key=lambda q: q.started)


class InterruptibleEngine(EmbeddedEngine):
    """:class:`EmbeddedEngine` whose queries can be interrupted by id through
    :attr:`running`.

    Example:
        >>> engine = InterruptibleEngine("kuzu")
        >>> engine.running.interrupt("3f2a")
        False
    """

    def __init__(self, module: str, **options: Any) -> None:
        super().__init__(module, **options)
        self.running = RunningQueries()

    def _borrow(self, threads: int | None = None) -> Any:
        conn = super()._borrow(threads)
        self.running.bind(conn)
        return conn

    def _give_back(self, conn: Any) -> None:
        self.running.unbind(conn)
        super()._give_back(conn)
