"""Starting algorithm runs on an instance (written once for ``conn.algo`` and
``conn.networkx``).

:class:`ExecutionOps` is the base of both managers. A run is one ``POST /algo/{name}``
(or ``/networkx/{name}``) asking the wrapper to hold the answer up to 2 s, so a fast
algorithm comes back finished in one round trip; a slower one is followed with long
polls by its :class:`~graph_olap.instance.handle.ExecutionHandle` (see
:mod:`graph_olap.instance.polling`). The result is then fetched as an Arrow stream (a
table) or JSON (a value). The contract is docs/design-algorithms.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource
from graph_olap.instance._requests import check_timeout, request_body
from graph_olap.instance.arrow import check_backend
from graph_olap.instance.handle import DEFAULT_TIMEOUT, ExecutionHandle
from graph_olap.instance.polling import LONG_POLL_MS, PROGRESS_WINDOW_MS, parse, unsuccessful
from graph_olap.models.algorithm import AlgorithmExecution
from graph_olap.progress import make_reporter

if TYPE_CHECKING:
    from graph_olap.http import AsyncHTTPClient, HTTPClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "FIRST_WAIT_MS",
    "LONG_POLL_MS",
    "PROGRESS_WINDOW_MS",
    "Connection",
    "ExecutionOps",
    "unsuccessful",
]

FIRST_WAIT_MS = 2000
"""How long the starting request lets the wrapper hold its answer."""
PROGRESS_POLL_MS = 1000
"""How long the starting request is held while progress is shown (the bar appears soon)."""


class Connection(Protocol):
    """What the managers use of their :class:`~graph_olap.InstanceConnection` (typed
    structurally, so this module does not import the connection, which imports it)."""

    _runner: HTTPClient | AsyncHTTPClient
    instance_id: int

    def _send(self, call: Call, cypher: str | None = None) -> Op[Any]: ...


class ExecutionOps(Resource[M]):
    """What ``conn.algo`` and ``conn.networkx`` share: starting a run, waiting for it,
    fetching its result, and handles on executions."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn._runner)
        self._conn = conn

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of instance {self._conn.instance_id}>"

    def _send(self, call: Call) -> Op[Any]:
        return self._conn._send(call)

    def _handle(self, record: AlgorithmExecution) -> ExecutionHandle[M]:
        """A handle on the execution ``record`` describes."""
        return ExecutionHandle[M](self._runner, self._send, record)

    def _start(
        self, path: str, parameters: Mapping[str, Any], options: Mapping[str, Any]
    ) -> Op[Any]:
        """Start a run (``options``: every option, as ``split_options`` gives them); with
        ``wait``, wait for it and return its outcome, else its handle at once."""
        body = request_body(parameters, options)
        wait = options["wait"]
        limit = check_timeout(options["timeout"], DEFAULT_TIMEOUT)
        if wait and body["mode"] == "stream":
            check_backend(options["backend"])  # a missing pandas is said before the run
        reporter = make_reporter(progress=options["show_progress"]) if wait else None
        first = PROGRESS_POLL_MS if options["on_progress"] or reporter else FIRST_WAIT_MS
        wait_ms = min(first, int(limit * 1000)) if wait else 0
        body = {**body, "wait_ms": wait_ms}
        call = Call(
            "POST",
            path,
            json=body,
            idempotent=False,
            timeout=self._runner.config.timeout + wait_ms / 1000,
        )
        handle = self._handle(parse((yield from self._send(call))))
        if not wait:
            return handle
        yield from handle._follow(limit, options["on_progress"], reporter, known=True)
        return (yield from handle._outcome(options["backend"]))
