"""Following one execution: fetching its state, long-polling until it ends, and what a
finished one gives. Operation generators over a ``send`` function, so the managers'
``_start`` and an :class:`~graph_olap.instance.handle.ExecutionHandle` share them.

The wrapper holds ``GET /algo/executions/{id}?wait_ms=...`` until the execution ends or
the window closes; :func:`follow` runs those long polls through the SDK's one waiting
loop (:func:`graph_olap._core.waiter.wait_for`). The contract is
docs/design-algorithms.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from graph_olap import exceptions as exc
from graph_olap._core.ops import BinaryAnswer, Call, Now, Op
from graph_olap._core.waiter import Observation, ProgressCallback, Stop, Subject, wait_for
from graph_olap.instance._guard import unwrap
from graph_olap.instance.arrow import ARROW_STREAM, check_backend, read_arrow_stream
from graph_olap.instance.result import QueryResult
from graph_olap.models.algorithm import AlgorithmExecution
from graph_olap.progress import ProgressReporter

__all__ = [
    "LONG_POLL_MS",
    "PROGRESS_WINDOW_MS",
    "Send",
    "cancel_on_interrupt",
    "cancel_started",
    "fetch",
    "follow",
    "is_start",
    "outcome",
    "parse",
    "unsuccessful",
]

Send = Callable[[Call], Op[Any]]
"""How an operation reaches the instance: the connection's guarded send."""

LONG_POLL_MS = 30000
"""The longest window of one long poll (the wrapper's maximum)."""
PROGRESS_WINDOW_MS = 5000
"""The longest long poll while progress is shown: the wrapper answers as soon as the
progress moves (``seen``), and at least this often so the elapsed time moves too."""


def parse(body: Any) -> AlgorithmExecution:
    """An execution record from the wrapper's answer.

    Example:
        >>> parse({"data": {"id": "ex-1", "algorithm": "wcc", "status": "queued"}}).status
        'queued'
    """
    return AlgorithmExecution.model_validate(unwrap(body))


def path_of(execution_id: str, tail: str = "") -> str:
    """The wrapper's path of one execution (``/result`` with ``tail``).

    Example:
        >>> path_of("ex-1", "/result")
        '/algo/executions/ex-1/result'
    """
    return f"/algo/executions/{quote(execution_id, safe='')}{tail}"


def _label(execution: AlgorithmExecution) -> str:
    return f"{execution.algorithm} execution {execution.id}"


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
    """The error for an execution that failed or was cancelled, else None.

    Example:
        >>> unsuccessful(record) is None   # queued, running or completed
        True
    """
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


def fetch(
    send: Send,
    http_timeout: float,
    execution_id: str,
    wait_ms: int = 0,
    seen: str | None = None,
) -> Op[AlgorithmExecution]:
    """``GET`` one execution, held by the wrapper up to ``wait_ms`` (its HTTP wait is
    that much longer than ``http_timeout``), or until progress moves past ``seen``.

    Example:
        >>> record = yield from fetch(conn._send, 30.0, "ex-1", wait_ms=30000)
    """
    params: dict[str, Any] | None = None
    if wait_ms:
        params = {"wait_ms": wait_ms} if seen is None else {"wait_ms": wait_ms, "seen": seen}
    call = Call("GET", path_of(execution_id), params=params, timeout=http_timeout + wait_ms / 1000)
    return parse((yield from send(call)))


def follow(
    get: Callable[[int, str | None], Op[AlgorithmExecution]],
    execution: AlgorithmExecution,
    timeout: float,
    on_progress: ProgressCallback | None,
    reporter: ProgressReporter | None,
    *,
    known: bool,
    seen_state: Callable[[AlgorithmExecution], None],
    stop: Stop | None = None,
) -> Op[AlgorithmExecution]:
    """Long-poll (``get(wait_ms, seen)``) until ``execution`` ends; return its last state.

    ``known``: its state is fresh (the start's answer) and is the first observation.
    ``seen_state`` gets every state fetched (the handle keeps the latest), so a failure
    raised here leaves the handle showing it. ``stop``: what an interrupt does to the
    execution (its cancel); without it, an interrupt leaves it running.

    Example:
        >>> last = yield from follow(get, record, 600.0, None, None, known=False,
        ...                          seen_state=lambda r: None)
    """
    watching = on_progress is not None or reporter is not None
    deadline: list[float] = []
    first = [execution] if known else []
    seen: list[str | None] = [None]

    def poll() -> Op[tuple[AlgorithmExecution, Observation]]:
        now: float = yield Now()
        if not deadline:
            deadline.append(now + timeout)
        if first:
            latest = first.pop()
        else:
            window = PROGRESS_WINDOW_MS if watching else LONG_POLL_MS
            wait_ms = int(max(0.0, min(window / 1000, deadline[0] - now)) * 1000)
            latest = yield from get(wait_ms, seen[0])
        seen_state(latest)
        if watching and latest.progress is not None:
            seen[0] = latest.progress.token  # the server answers when progress moves
        error = unsuccessful(latest)
        if error is not None:
            raise error
        return latest, _observe(latest)

    return (
        yield from wait_for(
            poll,
            subject=_subject(execution),
            ready=lambda seen: seen.status == "completed",
            failed=lambda seen: False,  # poll raises the execution's own error
            timeout=timeout,
            poll_interval=LONG_POLL_MS / 1000,
            on_progress=on_progress,
            reporter=reporter,
            long_poll=True,
            stop=stop,
        )
    )


def cancel_on_interrupt(send: Send, execution_id: str, label: str) -> Op[tuple[str, bool]]:
    """Cancel the execution after the user interrupted its wait; the one line that says
    so, and whether it is stopped (a failed cancel says what to do instead of raising).

    Example:
        >>> message, stopped = yield from cancel_on_interrupt(conn._send, "ex-1", "pagerank")
    """
    what = f"{label} execution {execution_id}"
    try:
        record = parse((yield from send(Call("DELETE", path_of(execution_id), timeout=5.0))))
    except exc.GraphOLAPError as err:
        return (
            f"Stopped waiting for {what}, but could not cancel it ({err.message}); it may "
            f"still be running: cancel it with conn.algo.execution({execution_id!r}).cancel().",
            False,
        )
    if record.status == "completed":
        return f"Stopped waiting for {what}: it had already completed.", True
    return (
        f"Stopped {what} (the platform cancelled it; it wrote nothing and the instance's "
        "lock is free).",
        True,
    )


def is_start(call: Call) -> bool:
    """Whether ``call`` starts an execution (``POST /algo/{name}``, ``/networkx/{name}``).

    Example:
        >>> is_start(Call("POST", "/algo/pagerank", json={}))
        True
    """
    head = call.path.split("/")[1:2]
    return call.method == "POST" and head in (["algo"], ["networkx"]) and call.path.count("/") == 2


def cancel_started(send: Send, call: Call, username: str | None) -> Op[tuple[str, bool]]:
    """Cancel the execution that ``call`` started, after the user interrupted the start
    (its answer, with the execution's id, never arrived): the newest unfinished execution
    of that algorithm with the same parameters, options and user.

    Example:
        >>> message, stopped = yield from cancel_started(conn._send, start_call, "alice")
    """
    name = call.path.rsplit("/", 1)[-1]
    sent = call.json if isinstance(call.json, dict) else {}
    same = ("parameters", "mode", "property", "node_labels", "relationship_types")
    try:
        body = yield from send(Call("GET", "/algo/executions", params={"limit": 50}, timeout=5.0))
        data = unwrap(body)
        items = data.get("executions", []) if isinstance(data, dict) else data
        for record in (parse(item) for item in items):  # newest first
            if record.algorithm != name or record.is_finished:
                continue
            if username is not None and record.username not in (None, username):
                continue
            mine = record.model_dump()
            if all(sent.get(k) in (None, mine.get(k)) for k in same):
                return (yield from cancel_on_interrupt(send, record.id, name))
    except exc.GraphOLAPError as err:
        return (
            f"Stopped starting {name}, but could not find its execution to cancel it "
            f"({err.message}): see conn.algo.executions() and cancel it there.",
            False,
        )
    return f"Stopped starting {name}: the platform had not started it, or it had ended.", True


def outcome(send: Send, execution: AlgorithmExecution, backend: str) -> Op[Any]:
    """What a finished stream run gives: a DataFrame or a value.

    Raises:
        AlgorithmFailedError / AlgorithmCancelledError: It did not complete.
        InvalidStateError: It has not finished yet.

    Example:
        >>> df = yield from outcome(conn._send, completed_record, "polars")
    """
    error = unsuccessful(execution)
    if error is not None:
        raise error
    if not execution.is_finished:
        raise exc.InvalidStateError(
            f"{_label(execution)} is still {execution.status!r}; wait for it with "
            f"conn.algo.execution({execution.id!r}).wait(), then fetch the result.",
            details={"execution_id": execution.id, "status": execution.status},
        )
    if execution.result_kind != "value":
        check_backend(backend)
    call = Call("GET", path_of(execution.id, "/result"), accept=ARROW_STREAM, binary=True)
    answer: BinaryAnswer = yield from send(call)
    if not answer.is_json:
        return read_arrow_stream(answer.content, backend)
    data = unwrap(json.loads(answer.content))
    if isinstance(data, dict) and "value" in data and "columns" not in data:
        return data["value"]
    result = QueryResult.from_api(data)
    return result.to_polars() if backend == "polars" else result.to_pandas()
