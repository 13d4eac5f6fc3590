"""``ExecutionHandle``: a live handle on one algorithm execution.

The platform's data about an execution is the record,
:class:`~graph_olap.models.algorithm.AlgorithmExecution` (pure data: what the wrapper
sent). A handle holds the latest record (:attr:`ExecutionHandle.record`) and the
connection's transport, and can :meth:`~ExecutionHandle.wait` for the execution,
fetch its :meth:`~ExecutionHandle.result`, :meth:`~ExecutionHandle.cancel` it or
:meth:`~ExecutionHandle.refresh` the record; on the async client these return
awaitables. The record's fields read through the handle too (``run.status``,
``run.summary``), as they did when the two were one class.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graph_olap._core.interrupt import OnInterrupt, check_on_interrupt
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method
from graph_olap._core.waiter import ProgressCallback
from graph_olap.instance._requests import check_timeout
from graph_olap.instance.arrow import check_backend
from graph_olap.instance.polling import (
    Send,
    cancel_on_interrupt,
    fetch,
    follow,
    outcome,
    parse,
    path_of,
)
from graph_olap.lineage import Lineage, remember
from graph_olap.models.algorithm import (
    AlgorithmExecution,
    AlgorithmProgress,
    AlgorithmSummary,
    ExecutionError,
)
from graph_olap.progress import ProgressReporter, make_reporter
from graph_olap.statuses import ExecutionStatus

if TYPE_CHECKING:
    from graph_olap.http import AsyncHTTPClient, HTTPClient

__all__ = ["DEFAULT_TIMEOUT", "ExecutionHandle"]

DEFAULT_TIMEOUT = 3600.0
"""Seconds a wait for an execution lasts unless told otherwise."""


def _instance_of(send: Send) -> int | None:
    """The instance id of the connection behind ``send`` (a connection's or a manager's
    bound ``_send``), or None for another sender."""
    owner = getattr(send, "__self__", None)
    conn = (
        vars(owner).get("_conn", owner)
        if owner is not None and hasattr(owner, "__dict__")
        else owner
    )
    found = (
        vars(conn).get("instance_id") if conn is not None and hasattr(conn, "__dict__") else None
    )
    return found if isinstance(found, int) and not isinstance(found, bool) else None


class ExecutionHandle(Resource[M]):
    """A running or finished algorithm execution, and the calls that follow it.

    ``conn.algo.<algorithm>(wait=False)``, ``mode="mutate"`` runs and
    ``conn.algo.execution(id)`` give one. The platform's data is :attr:`record`; its
    fields also read as attributes of the handle (``run.status``, ``run.summary``).

    Example:
        >>> run = conn.algo.louvain(wait=False)
        >>> run.status
        'running'
        >>> run.wait(timeout=600)          # the same handle, completed
        >>> df = run.result()              # the community of each node
        >>> run.record.duration_ms         # the execution record
    """

    def __init__(
        self, runner: HTTPClient | AsyncHTTPClient, send: Send, record: AlgorithmExecution
    ) -> None:
        super().__init__(runner)
        self._send = send
        self.record = record
        """The execution's latest state, as the platform sent it."""
        self.instance_id: int | None = _instance_of(send)
        """The instance it runs on (from the connection that made the handle)."""
        self.lineage: Lineage | None = None
        """Where it came from: the instance, snapshot, mapping version, engine, algorithm,
        parameters and options, and timings (``lineage.rerun(client)`` runs it again)."""

    # -- the record's most read fields, typed ------------------------------------------

    @builtins.property
    def id(self) -> str:
        """The execution's id (``ex-...``)."""
        return self.record.id

    @builtins.property
    def job_id(self) -> str | None:
        """Its job id, ``algorithm-<instance id>-<execution id>``: from a new kernel,
        ``client.jobs.get(job_id)`` finds it again (``None`` if the instance is unknown).

        Example:
            >>> run = conn.algo.louvain(wait=False)
            >>> client.jobs.get(run.job_id).wait()
        """
        if self.instance_id is None:
            return None
        return f"algorithm-{self.instance_id}-{self.id}"

    @builtins.property
    def algorithm(self) -> str:
        """The algorithm's name."""
        return self.record.algorithm

    @builtins.property
    def kind(self) -> str:
        """``"native"`` or ``"networkx"``."""
        return self.record.kind

    @builtins.property
    def mode(self) -> str:
        """``"stream"`` or ``"mutate"``."""
        return self.record.mode

    @builtins.property
    def status(self) -> ExecutionStatus:
        """``queued``, ``running``, ``completed``, ``failed`` or ``cancelled``."""
        return self.record.status

    @builtins.property
    def phase(self) -> str | None:
        """``queued``, ``projecting``, ``computing``, ``writing`` or ``done``."""
        return self.record.phase

    @builtins.property
    def progress(self) -> AlgorithmProgress | None:
        """The running phase's steps."""
        return self.record.progress

    @builtins.property
    def summary(self) -> AlgorithmSummary:
        """The figures of a finished execution (``nodes_written``, ``modularity``...)."""
        return self.record.summary

    @builtins.property
    def error(self) -> ExecutionError | None:
        """Why it failed."""
        return self.record.error

    @builtins.property
    def duration_ms(self) -> float | None:
        """How long it ran, once finished."""
        return self.record.duration_ms

    @builtins.property
    def started_at(self) -> datetime | None:
        """When it started."""
        return self.record.started_at

    @builtins.property
    def is_finished(self) -> bool:
        """Whether it ended (completed, failed or cancelled)."""
        return self.record.is_finished

    @builtins.property
    def succeeded(self) -> bool:
        """Whether it completed."""
        return self.record.succeeded

    if not TYPE_CHECKING:  # every other field of the record, for code written before

        def __getattr__(self, name: str) -> Any:
            if not name.startswith("_") and name in AlgorithmExecution.model_fields:
                return getattr(self.record, name)
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}; the "
                "execution's data is its .record (an AlgorithmExecution)."
            )

    def __getitem__(self, key: str) -> Any:
        return self.record[key]

    def __repr__(self) -> str:
        return repr(self.record)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """The record's card in notebooks."""
        return self.record._repr_html_()

    # -- the calls ---------------------------------------------------------------------

    @api_method
    def wait(
        self,
        timeout: float | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        show_progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "keep",
    ) -> Op[ExecutionHandle[M]]:
        """Wait until it ends; return this handle, its record completed (awaitable on the
        async client).

        Args:
            timeout: Seconds to wait (default one hour).
            on_progress: Called as ``on_progress(phase, completed_steps, total_steps)``.
            show_progress: ``None`` (default): a bar in Jupyter once the wait lasts over a
                second, nothing elsewhere; ``True``: always (a bar in Jupyter, a text line
                elsewhere); ``False``: never; or a ``ProgressReporter``.
            on_interrupt: What Ctrl-C (or a kernel interrupt) does to the execution:
                ``"keep"`` (default) leaves it running, ``"cancel"`` cancels it.

        Raises:
            AlgorithmFailedError: The algorithm failed (the library's message).
            AlgorithmCancelledError: It was cancelled.
            TimeoutError: Still running after ``timeout``; it keeps running.
            Interrupted: The user interrupted; the message says whether it was cancelled.

        Example:
            >>> run = conn.algo.pagerank(wait=False)
            >>> run.wait(timeout=60).summary.iterations
            31
        """
        limit = check_timeout(timeout, DEFAULT_TIMEOUT)
        choice = check_on_interrupt(on_interrupt)
        reporter = make_reporter(progress=show_progress)
        return (
            yield from self._follow(limit, on_progress, reporter, known=False, on_interrupt=choice)
        )

    @api_method
    def result(self, backend: str = "polars") -> Op[Any]:
        """Its result: a DataFrame for a ``stream`` table, the Python value for a value
        result, and this handle (with ``summary.nodes_written``) for ``mutate``.

        Raises:
            InvalidStateError: It has not finished yet (call :meth:`wait` first).
            AlgorithmFailedError / AlgorithmCancelledError: It did not complete.
            ResultExpiredError: The wrapper no longer keeps it; run the algorithm again.

        Example:
            >>> df = conn.algo.execution("ex-4f3a9c1b").result(backend="pandas")
        """
        check_backend(backend)
        self.record = yield from self._get()
        result = yield from self._outcome(backend)
        if self.lineage is None or result is self:
            return result
        return remember(result, self.lineage.model_copy(update={"backend": backend}))

    @api_method
    def cancel(self) -> Op[ExecutionHandle[M]]:
        """Cancel it (a no-op once it has ended); return this handle, updated. A
        cancelled execution writes nothing and frees the instance's lock.

        Example:
            >>> conn.algo.execution("ex-4f3a9c1b").cancel().status
            'cancelled'
        """
        self.record = parse((yield from self._send(Call("DELETE", path_of(self.id)))))
        return self

    @api_method
    def refresh(self) -> Op[ExecutionHandle[M]]:
        """Fetch its current state into :attr:`record`; return this handle.

        Example:
            >>> run.refresh().progress
            AlgorithmProgress(phase='computing', completed_steps=0, total_steps=1, ...)
        """
        self.record = yield from self._get()
        return self

    # -- shared with the managers' ``_start`` --------------------------------------------

    def _get(self, wait_ms: int = 0, seen: str | None = None) -> Op[AlgorithmExecution]:
        return fetch(self._send, self._runner.config.timeout, self.id, wait_ms, seen)

    def _keep(self, record: AlgorithmExecution) -> None:
        self.record = record

    def _follow(
        self,
        timeout: float,
        on_progress: ProgressCallback | None,
        reporter: ProgressReporter | None,
        *,
        known: bool,
        on_interrupt: OnInterrupt | None = None,
    ) -> Op[ExecutionHandle[M]]:
        """Long-poll until it ends, keeping each state seen; return this handle.

        An interrupt cancels the execution (``on_interrupt="cancel"``; the default when
        ``known``: the wait of the run just started) or leaves it running (``"keep"``).
        """
        cancel = (on_interrupt or ("cancel" if known else "keep")) == "cancel"
        record = self.record
        yield from follow(
            self._get,
            record,
            timeout,
            on_progress,
            reporter,
            known=known,
            seen_state=self._keep,
            stop=(lambda: cancel_on_interrupt(self._send, record.id, record.algorithm))
            if cancel
            else None,
        )
        return self

    def _outcome(self, backend: str) -> Op[Any]:
        """What the finished run gives: this handle for ``mutate``, else its result."""
        if self.record.mode == "mutate" and self.record.status == "completed":
            return self
        return (yield from outcome(self._send, self.record, backend))
