"""``client.jobs``: list your jobs and find one again by id, from any kernel."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, drop_none
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.models.instance import Instance
from graph_olap.models.job import JobList, JobRecord, UnansweredWrapper
from graph_olap.models.snapshot import Snapshot
from graph_olap.resources.job_handle import Job

__all__ = ["JobResource", "Jobs", "job_id_of"]

KINDS = ("export", "start", "algorithm", "bulk_delete")


class Jobs(list[Job[Any]]):
    """The jobs found, newest first (a ``list`` of :class:`~graph_olap.Job`);
    ``partial`` is true when a running instance's wrapper did not answer, so its
    algorithm executions are missing (``unanswered`` says which and why)."""

    def __init__(self, jobs: list[Job[Any]], answer: JobList) -> None:
        super().__init__(jobs)
        self.partial = answer.partial
        self.unanswered: list[UnansweredWrapper] = list(answer.unanswered)
        self._answer = answer

    def _repr_html_(self) -> str:
        return self._answer._repr_html_()


def job_id_of(job: Any) -> str:
    """The job id of ``job``: a job id itself, a :class:`Job`, a Snapshot (its export),
    an Instance (its start) or an ExecutionHandle (its execution).

    Example:
        >>> job_id_of(client.snapshots.get(12))
        'export-12'
    """
    if isinstance(job, str) and job.strip():
        return job.strip()
    if isinstance(job, Job):
        return job.id
    if isinstance(job, Snapshot):
        return f"export-{job.id}"
    if isinstance(job, Instance):
        return f"start-{job.id}"
    if isinstance(job, ExecutionHandle) and job.job_id is not None:
        return job.job_id
    raise exc.ValidationError(
        f"A job is named by its id (such as 'export-12'), a Snapshot, an Instance or an "
        f"ExecutionHandle; got {job!r}. List yours with client.jobs.list().",
        details={"field": "job_id"},
    )


class JobResource(Resource[M]):
    """Jobs: snapshot exports, instance starts, algorithm executions and bulk deletes,
    one handle type (:class:`~graph_olap.Job`) for all four.

    Example:
        >>> for job in client.jobs.list():            # queued and running ones
        ...     print(job.id, job.status, job.progress.fraction)
        >>> client.jobs.get("export-12").wait()        # from a new kernel: bar, then Snapshot
    """

    @api_method
    def list(
        self,
        *,
        active: bool = True,
        kind: str | None = None,
        all_users: bool = False,
        limit: int = 50,
    ) -> Op[Jobs]:
        """Your jobs, newest first.

        Args:
            active: Only the queued and running ones (default); ``False`` for all.
            kind: ``export``, ``start``, ``algorithm`` or ``bulk_delete``.
            all_users: Everyone's jobs (ops and admins only).
            limit: At most this many of each kind (1-100).

        Raises:
            ForbiddenError: ``all_users`` without the ops or admin role.

        Example:
            >>> [job.id for job in client.jobs.list(kind="export")]
            ['export-12']
        """
        if kind is not None and kind not in KINDS:
            raise exc.ValidationError(
                f"kind must be one of {', '.join(KINDS)}, got {kind!r}.",
                details={"field": "kind"},
            )
        params = drop_none(
            {
                "active": str(bool(active)).lower(),
                "kind": kind,
                "all_users": str(bool(all_users)).lower(),
                "limit": limit,
            }
        )
        body = yield Call("GET", "/api/jobs", params=params)
        answer = JobList.model_validate(body["data"])
        return Jobs([Job[M](self._runner, record) for record in answer.jobs], answer)

    @api_method
    def get(self, job: str | Job[Any] | Snapshot | Instance | ExecutionHandle[Any]) -> Op[Job[M]]:
        """A job by id (``export-12``, ``start-34``, ``algorithm-7-ex-4f3a9c1b``,
        ``bulk_delete-5``), or the job of a Snapshot, Instance or ExecutionHandle.

        Raises:
            JobNotFoundError: No such job, or it is not yours.

        Example:
            >>> job = client.jobs.get("export-12")
            >>> job.wait()                                  # the Snapshot, once ready
        """
        job_id = job_id_of(job)
        body = yield Call("GET", f"/api/jobs/{quote(job_id, safe='')}")
        return Job[M](self._runner, JobRecord.model_validate(body["data"]))
