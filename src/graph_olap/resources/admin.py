"""``client.admin``: privileged operations (admin role)."""

from __future__ import annotations

from typing import Any, cast

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_text
from graph_olap.models.job import JobRecord
from graph_olap.models.ops import BulkDeleteResult
from graph_olap.resources.job_handle import Job

__all__ = ["AdminResource"]

MAX_BULK_DELETE = 100


class AdminResource(Resource[M]):
    """Admin-only operations: bulk deletion with safety checks.

    Example:
        >>> preview = client.admin.bulk_delete(
        ...     "mapping", {"name_prefix": "E2ETest-"}, reason="cleanup", dry_run=True)
        >>> result = client.admin.bulk_delete(
        ...     "mapping", {"name_prefix": "E2ETest-"}, reason="cleanup",
        ...     expected_count=preview.matched_count)
        >>> result.deleted_count == preview.matched_count
        True
    """

    @api_method
    def bulk_delete(
        self,
        resource_type: str,
        filters: dict[str, Any],
        reason: str,
        expected_count: int | None = None,
        dry_run: bool = False,  # noqa: FBT001, FBT002 (positional in the design)
        *,
        wait: bool = True,
    ) -> Op[BulkDeleteResult]:
        """Delete up to 100 resources that match filters; every deletion is audited.

        Safety: at least one filter; at most 100 matches; when ``expected_count`` is given
        it must equal the number matched or nothing is deleted; ``dry_run=True`` only
        reports what would be deleted. Resources that others depend on are reported in
        ``failed_ids`` with the reason in ``errors``, the rest are deleted.

        Args:
            resource_type: ``instance``, ``snapshot`` or ``mapping``.
            filters: Any of ``name_prefix``, ``created_by``, ``older_than_hours``,
                ``status``.
            reason: Why (1-500 characters, kept in the audit log).
            expected_count: Number you expect to delete (from a dry run).
            dry_run: Report the matches without deleting.
            wait: ``True`` (default): delete, then answer what was deleted. ``False``:
                answer at once with the bulk delete's :class:`~graph_olap.Job`
                (``bulk_delete-<id>``): its progress, ``wait()``, ``cancel()`` (stops
                before the next item) and ``result()`` (this method's usual answer).
                The annotation keeps the design's dict answer; with ``wait=False`` the
                value is a Job.

        Raises:
            ForbiddenError: You are not an admin.
            ValidationError: No filter, more than 100 matches, or a count mismatch.

        Example:
            >>> client.admin.bulk_delete(
            ...     "instance", {"created_by": "e2e-test-user"}, "test-cleanup", dry_run=True
            ... ).matched_ids
            [12, 15]
        """
        body = {
            "resource_type": require_text(resource_type, "resource_type"),
            "filters": filters,
            "reason": require_text(reason, "reason"),
            "expected_count": expected_count,
            "dry_run": dry_run,
        }
        if not wait:
            if dry_run:
                raise exc.ValidationError(
                    "A dry run deletes nothing and answers at once: leave out wait=False.",
                    details={"field": "wait"},
                )
            started = yield Call("POST", "/api/admin/resources/bulk/jobs", json=body)
            job = Job[M](self._runner, JobRecord.model_validate(started["data"]))
            return cast(BulkDeleteResult, job)  # wait=False: the Job (see Args)
        result = yield Call("DELETE", "/api/admin/resources/bulk", json=body)
        return BulkDeleteResult.model_validate(result["data"])
