"""``Job`` (``graph_olap.Job``): one handle on a snapshot export, an instance start, an
algorithm execution or a bulk delete, that a new kernel can find again by its id.

A job's id encodes its kind and resource: ``export-<snapshot id>``, ``start-<instance
id>``, ``algorithm-<instance id>-<execution id>``, ``bulk_delete-<id>``. Get one from
``client.jobs.get(job_id)`` (or from a Snapshot, Instance or ExecutionHandle),
``client.jobs.list()`` or ``client.admin.bulk_delete(..., wait=False)``. Its methods run
sync or async like the client's (``await job`` waits for it on the async client); the wait
is the SDK's one waiting loop with its progress bar.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Generator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import STOP_TIMEOUT, OnInterrupt, check_on_interrupt
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method
from graph_olap._core.waiter import Observation, ProgressCallback, Stop, Subject, wait_for
from graph_olap.display import job_card  # noqa: F401  (registers the Job card)
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.instance.polling import parse
from graph_olap.models.instance import Instance
from graph_olap.models.job import JobRecord
from graph_olap.models.ops import BulkDeleteResult
from graph_olap.models.snapshot import Snapshot
from graph_olap.progress import make_reporter
from graph_olap.resources._instance_records import wrapper_url

if TYPE_CHECKING:
    from graph_olap.http import AsyncHTTPClient, HTTPClient
    from graph_olap.progress import ProgressReporter

__all__ = ["DEFAULT_TIMEOUT", "Job", "JobProgress"]

DEFAULT_TIMEOUT = 3600.0
"""Seconds ``Job.wait`` lasts unless told otherwise."""
_FAILURES: dict[str, type[exc.GraphOLAPError]] = {
    "export": exc.SnapshotFailedError,
    "start": exc.InstanceFailedError,
    "algorithm": exc.AlgorithmFailedError,
}


@dataclasses.dataclass(frozen=True)
class JobProgress:
    """How far a job is: ``fraction`` of its steps done (0..1, ``None`` while unknown),
    its phase and a one-line message."""

    fraction: float | None
    phase: str | None
    message: str


class Job(Resource[M]):
    """A job: status, progress, wait, cancel, result; awaitable on the async client.

    Example:
        >>> job = client.jobs.get("export-12")      # from any kernel
        >>> job.status, job.progress.fraction
        ('running', 0.4)
        >>> snapshot = job.wait(progress=True)     # the progress bar, then the Snapshot
    """

    def __init__(self, runner: HTTPClient | AsyncHTTPClient, record: JobRecord) -> None:
        super().__init__(runner)
        self.record = record
        """What the platform last said about the job."""

    @builtins.property
    def id(self) -> str:
        """``export-12``, ``start-34``, ``algorithm-7-ex-4f3a9c1b`` or ``bulk_delete-5``."""
        return self.record.id

    @builtins.property
    def kind(self) -> str:
        """``export``, ``start``, ``algorithm`` or ``bulk_delete``."""
        return self.record.kind

    @builtins.property
    def status(self) -> str:
        """``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``."""
        return self.record.status

    @builtins.property
    def detail(self) -> str:
        """The resource's own status (``creating``, ``waiting_for_snapshot``...)."""
        return self.record.detail

    @builtins.property
    def progress(self) -> JobProgress:
        """The fraction done, the phase and the platform's message."""
        r = self.record
        return JobProgress(r.progress, r.phase, r.message)

    @builtins.property
    def is_active(self) -> bool:
        """Whether it is still queued or running."""
        return self.record.is_active

    def __repr__(self) -> str:
        return f"<Job {self.record.line()}>"

    def _repr_html_(self) -> str:
        """The job's card in notebooks."""
        return self.record._repr_html_()

    def __await__(self) -> Generator[Any, None, Any]:
        """``await job`` is ``await job.wait()`` (async client only)."""
        if not self._is_async:
            raise TypeError("await works on the async client's jobs; call job.wait() here.")
        return self.wait().__await__()  # type: ignore[no-any-return]

    # -- the calls ---------------------------------------------------------------------

    def _get(self) -> Op[JobRecord]:
        body = yield Call("GET", f"/api/jobs/{quote(self.id, safe='')}")
        self.record = JobRecord.model_validate(body["data"])
        return self.record

    @api_method
    def refresh(self) -> Op[Job[M]]:
        """Fetch the job's current state; return this handle.

        Example:
            >>> job.refresh().status
            'succeeded'
        """
        yield from self._get()
        return self

    @api_method
    def cancel(self) -> Op[Job[M]]:
        """Stop it: the export is cancelled, the starting instance terminated, the
        execution cancelled, the bulk delete stopped before its next item. A job that
        has ended is left as it is. Returns this handle, updated.

        Raises:
            ForbiddenError: It is someone else's (only its owner or an admin may).

        Example:
            >>> client.jobs.get("export-12").cancel().status
            'cancelled'
        """
        body = yield Call("POST", f"/api/jobs/{quote(self.id, safe='')}/cancel")
        self.record = JobRecord.model_validate(body["data"])
        return self

    @api_method
    def wait(
        self,
        timeout: float | None = None,
        *,
        progress: bool | ProgressReporter | None = None,
        on_progress: ProgressCallback | None = None,
        poll_interval: float = 2.0,
        on_interrupt: OnInterrupt = "keep",
    ) -> Op[Any]:
        """Wait until it ends; return its result (see :meth:`result`).

        Args:
            timeout: Seconds to wait (default one hour); the job goes on after.
            progress: ``None`` (default): a bar in Jupyter once the wait lasts over a
                second; ``True``: always (a text line outside Jupyter); ``False``: never;
                or a ``ProgressReporter``.
            on_progress: Called as ``on_progress(phase, completed_steps, total_steps)``.
            poll_interval: Longest pause between two polls, in seconds.
            on_interrupt: What Ctrl-C does: ``"keep"`` (default) leaves the job running,
                ``"cancel"`` cancels it.

        Raises:
            SnapshotFailedError / InstanceFailedError / AlgorithmFailedError: It failed.
            AlgorithmCancelledError / JobFailedError: It was cancelled (or a bulk delete
                failed).
            TimeoutError: Still running after ``timeout``.

        Example:
            >>> snapshot = client.jobs.get("export-12").wait(timeout=600, progress=True)
        """
        limit = DEFAULT_TIMEOUT if timeout is None else timeout
        choice = check_on_interrupt(on_interrupt)
        reporter = make_reporter(progress=progress)
        stop: Stop | None = self._stop if choice == "cancel" else None

        def fetch() -> Op[tuple[None, Observation]]:
            record = yield from self._get()
            if record.status == "cancelled":
                raise self._unsuccessful()
            seen = Observation(
                status=record.status,
                phase=record.phase or record.status,
                completed=record.completed,
                total=record.total,
                error_message=record.error_message,
            )
            return None, seen

        yield from wait_for(
            fetch,
            subject=self._subject(),
            ready=lambda seen: seen.status == "succeeded",
            failed=lambda seen: seen.status == "failed",
            timeout=limit,
            poll_interval=poll_interval,
            on_progress=on_progress,
            reporter=reporter,
            stop=stop,
        )
        return (yield from self._result("polars"))

    @api_method
    def result(self, backend: str = "polars") -> Op[Any]:
        """What the job made: the Snapshot (export), the Instance (start), the
        algorithm's result as ``ExecutionHandle.result`` gives it (a DataFrame, a value,
        or the handle for ``mutate``), or the ``BulkDeleteResult``.

        Raises:
            InvalidStateError: It has not ended yet (wait for it first).
            The kind's failure error: it failed or was cancelled.

        Example:
            >>> client.jobs.get("bulk_delete-5").result().deleted_count
            3
        """
        yield from self._get()
        return (yield from self._result(backend))

    # -- helpers -------------------------------------------------------------------------

    def _subject(self) -> Subject:
        again = f"client.jobs.get({self.id!r})"
        return Subject(
            kind="Job",
            id=self.id,
            title=f"Job {self.id}",
            activity="running",
            wait_again=f"{again}.wait()",
            give_up=f"cancel it with {again}.cancel()",
            failure=_FAILURES.get(self.kind, exc.JobFailedError),
        )

    def _stop(self) -> Op[tuple[str, bool]]:
        try:
            yield Call("POST", f"/api/jobs/{quote(self.id, safe='')}/cancel", timeout=STOP_TIMEOUT)
        except exc.GraphOLAPError as err:
            return (
                f"Stopped waiting for job {self.id}, but could not cancel it ({err.message}); "
                f"it may keep running: client.jobs.get({self.id!r}).cancel() stops it.",
                False,
            )
        return f"Cancelled job {self.id} on the platform.", True

    def _unsuccessful(self) -> exc.GraphOLAPError:
        r = self.record
        details = {"job_id": r.id, "status": r.status, "error_message": r.error_message}
        reason = (r.error_message or "the platform gave no reason").rstrip(".")
        if r.kind == "algorithm" and r.status == "cancelled":
            return exc.AlgorithmCancelledError(
                f"Job {r.id} was cancelled: {reason}.", details=details
            )
        failure = _FAILURES.get(r.kind, exc.JobFailedError)
        return failure(f"Job {r.id} ended {r.status}: {reason}.", details=details)

    def _result(self, backend: str) -> Op[Any]:
        r = self.record
        if r.is_active:
            raise exc.InvalidStateError(
                f"Job {r.id} is {r.status}; wait for it first (client.jobs.get({r.id!r}).wait()).",
                details={"job_id": r.id, "status": r.status},
            )
        if r.status != "succeeded":
            raise self._unsuccessful()
        if r.kind == "export":
            body = yield Call("GET", f"/api/snapshots/{r.snapshot_id}")
            return Snapshot.model_validate(body["data"])
        if r.kind == "start":
            body = yield Call("GET", f"/api/instances/{r.instance_id}")
            return Instance.model_validate(body["data"])
        if r.kind == "bulk_delete":
            return BulkDeleteResult.model_validate(r.result or {})
        return (yield from self._algorithm_result(backend))

    def _algorithm_result(self, backend: str) -> Op[Any]:
        """The execution's result, fetched from its instance by absolute URL with this
        client's credentials (the wrapper checks them with the platform)."""
        r = self.record
        body = yield Call("GET", f"/api/instances/{r.instance_id}")
        instance = Instance.model_validate(body["data"])
        url = wrapper_url(instance, in_cluster=self._runner.config.in_cluster_mode)
        if not url:
            raise exc.InstanceGoneError(
                f"Job {r.id}'s instance {r.instance_id} is {instance.status}; its result is gone.",
                details={"job_id": r.id, "instance_id": r.instance_id},
            )

        def send(call: Call) -> Op[Any]:
            return (yield dataclasses.replace(call, path=f"{url}{call.path}"))

        record = parse((yield from send(Call("GET", f"/algo/executions/{r.execution_id}"))))
        handle = ExecutionHandle[M](self._runner, send, record)
        return (yield from ExecutionHandle.result.op(handle, backend))
