"""Running algorithms on an instance: the request, the wait, the result (written once).

:class:`ExecutionOps` is the base of ``conn.algo`` and ``conn.networkx``. A run is one
``POST /algo/{name}`` (or ``/networkx/{name}``) asking the wrapper to hold the answer up
to 2 s, so a fast algorithm comes back finished in one round trip; a slower one is
followed with long polls (``GET /algo/executions/{id}?wait_ms=...``: the wrapper holds
each until the execution ends or the window closes), through the SDK's one waiting loop
(:func:`graph_olap._core.waiter.wait_for`). The result is then fetched as an Arrow
stream (a table) or JSON (a value). The contract is docs/design-algorithms.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from graph_olap import exceptions as exc
from graph_olap._core.ops import BinaryAnswer, Call, Now, Op
from graph_olap._core.resource import M, Resource, api_method
from graph_olap._core.waiter import Observation, ProgressCallback, Subject, wait_for
from graph_olap.instance._guard import unwrap
from graph_olap.instance._requests import check_timeout
from graph_olap.instance.arrow import ARROW_STREAM, check_backend, read_arrow_stream
from graph_olap.instance.result import QueryResult
from graph_olap.models.algorithm import AlgorithmExecution
from graph_olap.progress import ProgressReporter, make_reporter

if TYPE_CHECKING:
    from graph_olap.instance.connection import InstanceConnection

__all__ = ["DEFAULT_TIMEOUT", "FIRST_WAIT_MS", "LONG_POLL_MS", "ExecutionOps", "unsuccessful"]

DEFAULT_TIMEOUT = 3600.0
"""Seconds a run with ``wait=True`` waits unless told otherwise."""
FIRST_WAIT_MS = 2000
"""How long the starting request lets the wrapper hold its answer."""
LONG_POLL_MS = 30000
"""The longest window of one long poll (the wrapper's maximum)."""
PROGRESS_POLL_MS = 1000
"""How long the starting request is held while progress is shown (the bar appears soon)."""
PROGRESS_WINDOW_MS = 5000
"""The longest long poll while progress is shown: the wrapper answers as soon as the
progress moves (``seen``), and at least this often so the elapsed time moves too."""


def _observe(execution: AlgorithmExecution) -> Observation:
    progress = execution.progress
    phase = (progress.phase if progress else "") or execution.phase or execution.status
    return Observation(
        status=execution.status,
        phase=phase,
        completed=progress.completed_steps if progress else 0,
        total=progress.total_steps if progress else 0,
        error_message=execution.error.message if execution.error else None,
    )


def _label(execution: AlgorithmExecution) -> str:
    return f"{execution.algorithm} execution {execution.id}"


def _subject(execution: AlgorithmExecution) -> Subject:
    handle = f"conn.algo.execution({execution.id!r})"
    return Subject(
        kind="Execution",
        id=execution.id,
        title=_label(execution),
        activity="running",
        wait_again=f"{handle}.wait()",
        give_up=f"cancel it with {handle}.cancel()",
        failure=exc.AlgorithmFailedError,
    )


def unsuccessful(execution: AlgorithmExecution) -> exc.GraphOLAPError | None:
    """The error for an execution that failed or was cancelled, else None."""
    details = {
        "execution_id": execution.id,
        "algorithm": execution.algorithm,
        "status": execution.status,
        "phase": execution.phase,
    }
    if execution.status == "failed":
        error = execution.error
        reason = (error.message if error else "") or "the wrapper gave no reason"
        phase = execution.progress.phase if execution.progress else execution.phase
        where = f" in phase {phase}" if phase and phase not in ("failed", "done") else ""
        return exc.AlgorithmFailedError(
            f"{_label(execution)} failed{where}: {reason.rstrip('.')}. The instance's lock is "
            "free; fix the parameters or the selection and run it again.",
            code=error.code if error else None,
            details={**details, "error_message": reason},
        )
    if execution.status == "cancelled":
        return exc.AlgorithmCancelledError(
            f"{_label(execution)} was cancelled before it finished; it wrote nothing. Run "
            "it again to get a result.",
            details=details,
        )
    return None


class ExecutionOps(Resource[M]):
    """What ``conn.algo`` and ``conn.networkx`` share: starting a run, waiting for it,
    fetching its result; and the calls behind an :class:`AlgorithmExecution` handle."""

    def __init__(self, conn: InstanceConnection[M]) -> None:
        super().__init__(conn._runner)
        self._conn: InstanceConnection[M] = conn

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of instance {self._conn.instance_id}>"

    def _send(self, call: Call) -> Op[Any]:
        return self._conn._send(call)

    def _held(self, wait_ms: int, **call: Any) -> Call:
        """A call the wrapper may hold ``wait_ms``: its HTTP wait is that much longer."""
        return Call(timeout=self._runner.config.timeout + wait_ms / 1000, **call)

    def _bind(self, data: Any) -> AlgorithmExecution:
        return AlgorithmExecution.model_validate(unwrap(data))._bind(self)

    def _start(
        self,
        path: str,
        body: dict[str, Any],
        *,
        wait: bool,
        timeout: float | None,
        on_progress: ProgressCallback | None,
        show_progress: bool | ProgressReporter | None,
        backend: str,
    ) -> Op[Any]:
        """Start a run; with ``wait``, wait for it and return its outcome."""
        limit = check_timeout(timeout, DEFAULT_TIMEOUT)
        if wait and body["mode"] == "stream":
            check_backend(backend)  # a missing pandas is said before the run, not after
        reporter = make_reporter(progress=show_progress) if wait else None
        first = PROGRESS_POLL_MS if on_progress or reporter else FIRST_WAIT_MS
        wait_ms = min(first, int(limit * 1000)) if wait else 0
        body = {**body, "wait_ms": wait_ms}
        call = self._held(wait_ms, method="POST", path=path, json=body, idempotent=False)
        execution = self._bind((yield from self._send(call)))
        if not wait:
            return execution
        yield from self._wait(execution, limit, on_progress, reporter, known=True)
        return (yield from self._outcome(execution, backend))

    def _get(
        self, execution_id: str, wait_ms: int = 0, seen: str | None = None
    ) -> Op[AlgorithmExecution]:
        path = f"/algo/executions/{quote(execution_id, safe='')}"
        params: dict[str, Any] | None = None
        if wait_ms:
            params = {"wait_ms": wait_ms} if seen is None else {"wait_ms": wait_ms, "seen": seen}
        call = self._held(wait_ms, method="GET", path=path, params=params)
        return self._bind((yield from self._send(call)))

    def _wait(
        self,
        execution: AlgorithmExecution,
        timeout: float,
        on_progress: ProgressCallback | None,
        reporter: ProgressReporter | None,
        *,
        known: bool,
    ) -> Op[AlgorithmExecution]:
        """Long-poll until ``execution`` ends; update it in place and return it.

        ``known``: its state is fresh (the start's answer) and is the first observation.
        """
        watching = on_progress is not None or reporter is not None
        deadline: list[float] = []
        first = [execution] if known else []
        seen: list[str | None] = [None]

        def fetch() -> Op[tuple[AlgorithmExecution, Observation]]:
            now: float = yield Now()
            if not deadline:
                deadline.append(now + timeout)
            if first:
                latest = first.pop()
            else:
                window = PROGRESS_WINDOW_MS if watching else LONG_POLL_MS
                wait_ms = int(max(0.0, min(window / 1000, deadline[0] - now)) * 1000)
                latest = yield from self._get(execution.id, wait_ms, seen[0])
            if watching and latest.progress is not None:
                seen[0] = latest.progress.token  # the server answers when progress moves
            error = unsuccessful(latest)
            if error is not None:
                execution._update(latest)
                raise error
            return latest, _observe(latest)

        latest = yield from wait_for(
            fetch,
            subject=_subject(execution),
            ready=lambda seen: seen.status == "completed",
            failed=lambda seen: False,  # fetch raises the execution's own error
            timeout=timeout,
            poll_interval=LONG_POLL_MS / 1000,
            on_progress=on_progress,
            reporter=reporter,
            long_poll=True,
        )
        return execution._update(latest)

    def _outcome(self, execution: AlgorithmExecution, backend: str) -> Op[Any]:
        """What a finished run gives: a DataFrame, a value, or (mutate) the execution."""
        error = unsuccessful(execution)
        if error is not None:
            raise error
        if not execution.is_finished:
            raise exc.InvalidStateError(
                f"{_label(execution)} is still {execution.status!r}; wait for it with "
                f"conn.algo.execution({execution.id!r}).wait(), then fetch the result.",
                details={"execution_id": execution.id, "status": execution.status},
            )
        if execution.mode == "mutate":
            return execution
        if execution.result_kind != "value":
            check_backend(backend)
        path = f"/algo/executions/{quote(execution.id, safe='')}/result"
        answer: BinaryAnswer = yield from self._send(
            Call("GET", path, accept=ARROW_STREAM, binary=True)
        )
        if not answer.is_json:
            return read_arrow_stream(answer.content, backend)
        data = unwrap(json.loads(answer.content))
        if isinstance(data, dict) and "value" in data and "columns" not in data:
            return data["value"]
        result = QueryResult.from_api(data)
        return result.to_polars() if backend == "polars" else result.to_pandas()

    # -- the calls behind an AlgorithmExecution's methods ----------------------------

    @api_method
    def _wait_execution(
        self,
        execution: AlgorithmExecution,
        timeout: float | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        show_progress: bool | ProgressReporter | None = None,
    ) -> Op[AlgorithmExecution]:
        limit = check_timeout(timeout, DEFAULT_TIMEOUT)
        reporter = make_reporter(progress=show_progress)
        return (yield from self._wait(execution, limit, on_progress, reporter, known=False))

    @api_method
    def _execution_result(self, execution: AlgorithmExecution, backend: str = "polars") -> Op[Any]:
        check_backend(backend)
        execution._update((yield from self._get(execution.id)))
        return (yield from self._outcome(execution, backend))

    @api_method
    def _cancel_execution(self, execution: AlgorithmExecution) -> Op[AlgorithmExecution]:
        path = f"/algo/executions/{quote(execution.id, safe='')}"
        return execution._update(self._bind((yield from self._send(Call("DELETE", path)))))

    @api_method
    def _refresh_execution(self, execution: AlgorithmExecution) -> Op[AlgorithmExecution]:
        return execution._update((yield from self._get(execution.id)))
