"""``client.snapshots``: the exported data behind instances.

Snapshots are usually created for you by ``client.instances.create_from_mapping``. This
resource inspects them and, where the platform allows explicit snapshots (the local
platform does), creates, waits for, retries and deletes them.
"""

from __future__ import annotations

from graph_olap._core.interrupt import OnInterrupt
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import (
    M,
    Resource,
    api_method,
    drop_none,
    paged,
    require_id,
    require_text,
)
from graph_olap._core.waiter import ProgressCallback
from graph_olap.models.snapshot import Snapshot, SnapshotProgress
from graph_olap.pagination import PaginatedList
from graph_olap.progress import ProgressReporter
from graph_olap.resources._waits import WaitOptions, wait_snapshot

__all__ = ["SnapshotResource"]


class SnapshotResource(Resource[M]):
    """Inspect, create and wait for snapshots.

    Example:
        >>> snap = client.snapshots.create_and_wait(1, "nightly", progress=True)
        >>> snap.node_counts
        {'Customer': 200, 'Account': 350}
    """

    @api_method
    def list(
        self,
        mapping_id: int | None = None,
        mapping_version: int | None = None,
        owner: str | None = None,
        status: str | None = None,
        search: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> Op[PaginatedList[Snapshot]]:
        """List snapshots with optional filters (same paging as ``mappings.list``).

        Example:
            >>> client.snapshots.list(status="ready").total
            3
        """
        params = {
            "mapping_id": mapping_id,
            "mapping_version": mapping_version,
            "owner": owner,
            "status": status,
            "search": search,
            "created_after": created_after,
            "created_before": created_before,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "offset": offset,
            "limit": limit,
        }
        return (yield from paged("/api/snapshots", params, Snapshot.model_validate, self.list))

    @api_method
    def get(self, snapshot_id: int) -> Op[Snapshot]:
        """Get a snapshot by id.

        Example:
            >>> client.snapshots.get(1).status
            'ready'
        """
        body = yield Call("GET", f"/api/snapshots/{require_id(snapshot_id, 'snapshot_id')}")
        return Snapshot.model_validate(body["data"])

    @api_method
    def create(
        self,
        mapping_id: int,
        name: str,
        description: str | None = None,
        version: int | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Snapshot]:
        """Start exporting a mapping version; returns at once with status ``pending``.

        Args:
            mapping_id: Source mapping.
            name: Display name.
            description: Optional description.
            version: Mapping version to export (default: the current one).
            ttl: Time-to-live (ISO 8601 duration, e.g. ``"P7D"``).
            inactivity_timeout: ISO 8601 duration.

        Raises:
            ForbiddenError: The platform disables explicit snapshots (``SNAPSHOTS_DISABLED``);
                use ``client.instances.create_from_mapping(...)``.

        Example:
            >>> snap = client.snapshots.create(1, "nightly")
            >>> snap.status
            'pending'
        """
        body = {
            "mapping_id": require_id(mapping_id, "mapping_id"),
            "name": require_text(name, "name"),
            "description": description,
            "version": None if version is None else require_id(version, "version"),
            "ttl": ttl,
            "inactivity_timeout": inactivity_timeout,
        }
        result = yield Call("POST", "/api/snapshots", json=drop_none(body))
        return Snapshot.model_validate(result["data"])

    @api_method
    def update(
        self, snapshot_id: int, name: str | None = None, description: str | None = None
    ) -> Op[Snapshot]:
        """Rename a snapshot or change its description.

        Example:
            >>> client.snapshots.update(7, name="before the fix").name
            'before the fix'
        """
        sid = require_id(snapshot_id, "snapshot_id")
        body = drop_none({"name": name, "description": description})
        result = yield Call("PUT", f"/api/snapshots/{sid}", json=body)
        return Snapshot.model_validate(result["data"])

    @api_method
    def delete(self, snapshot_id: int) -> Op[None]:
        """Delete a snapshot and its files.

        Raises:
            DependencyError: Instances still use it; terminate them first.
            PermissionDeniedError: You are neither the owner nor an admin.

        Example:
            >>> client.snapshots.delete(7)
        """
        yield Call("DELETE", f"/api/snapshots/{require_id(snapshot_id, 'snapshot_id')}")

    @api_method
    def set_lifecycle(
        self,
        snapshot_id: int,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Snapshot]:
        """Set a snapshot's TTL and inactivity timeout (ISO 8601 durations).

        Example:
            >>> client.snapshots.set_lifecycle(7, ttl="P3D").ttl
            'P3D'
        """
        sid = require_id(snapshot_id, "snapshot_id")
        body = drop_none({"ttl": ttl, "inactivity_timeout": inactivity_timeout})
        result = yield Call("PUT", f"/api/snapshots/{sid}/lifecycle", json=body)
        return Snapshot.model_validate(result["data"])

    @api_method
    def get_progress(self, snapshot_id: int) -> Op[SnapshotProgress]:
        """The export's phase and per-definition steps.

        Example:
            >>> p = client.snapshots.get_progress(7)
            >>> p.phase, p.completed_steps, p.total_steps
            ('exporting', 2, 5)
        """
        sid = require_id(snapshot_id, "snapshot_id")
        body = yield Call("GET", f"/api/snapshots/{sid}/progress")
        return SnapshotProgress.model_validate(body["data"])

    @api_method
    def retry(self, snapshot_id: int) -> Op[Snapshot]:
        """Export a failed snapshot again (status back to ``pending``).

        Raises:
            InvalidStateError: The snapshot is not ``failed``.

        Example:
            >>> client.snapshots.retry(7).status
            'pending'
        """
        sid = require_id(snapshot_id, "snapshot_id")
        result = yield Call("POST", f"/api/snapshots/{sid}/retry")
        return Snapshot.model_validate(result["data"])

    @api_method
    def wait_until_ready(
        self,
        snapshot_id: int,
        timeout: float = 600,
        poll_interval: float = 5,
        *,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "keep",
    ) -> Op[Snapshot]:
        """Wait until a snapshot is ``ready`` and return it.

        Polling starts at 0.2 s and slows down to ``poll_interval``.

        Args:
            timeout: Seconds to wait before giving up (the export goes on).
            poll_interval: Longest pause between two polls, in seconds.
            on_progress: ``callback(phase, completed_steps, total_steps)``, called when
                the progress changes.
            progress: ``None`` (default): a bar in Jupyter once the wait lasts over a
                second, nothing elsewhere; ``True``: always (a bar in Jupyter, a text line
                elsewhere); ``False``: never; or a ``ProgressReporter``.
            on_interrupt: What Ctrl-C (a kernel interrupt) does to the export: ``"keep"``
                (default here: it goes on) or ``"cancel"`` (it is cancelled, see
                :meth:`cancel`). ``create_and_wait`` defaults to ``"cancel"``.

        Raises:
            SnapshotFailedError: The export failed (the server's message, the id).
            TimeoutError: Still not ready after ``timeout`` seconds.

        Example:
            >>> client.snapshots.wait_until_ready(7, timeout=120).status
            'ready'
        """
        sid = require_id(snapshot_id, "snapshot_id")
        options = WaitOptions.of(
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            progress=progress,
            on_interrupt=on_interrupt,
        )
        return (yield from wait_snapshot(sid, options))

    @api_method
    def cancel(self, snapshot_id: int) -> Op[Snapshot]:
        """Cancel the export of a ``pending`` or ``creating`` snapshot: it ends ``failed``
        ("cancelled by ..."), its files are removed, and instances waiting for it fail.

        Raises:
            InvalidStateError: The snapshot is not being exported (it is ready or failed).

        Example:
            >>> client.snapshots.cancel(7).status
            'failed'
        """
        sid = require_id(snapshot_id, "snapshot_id")
        body = yield Call("POST", f"/api/snapshots/{sid}/cancel")
        return Snapshot.model_validate(body["data"])

    @api_method
    def create_and_wait(
        self,
        mapping_id: int,
        name: str,
        *,
        description: str | None = None,
        version: int | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
        timeout: float = 600,
        poll_interval: float = 5,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "cancel",
    ) -> Op[Snapshot]:
        """:meth:`create` then :meth:`wait_until_ready` (same arguments; Ctrl-C cancels
        the export it started unless ``on_interrupt="keep"``).

        Example:
            >>> def show(phase, completed, total):
            ...     print(f"{phase}: {completed}/{total}")
            >>> snap = client.snapshots.create_and_wait(1, "nightly", on_progress=show)
            exporting: 1/5
            ...
        """
        options = WaitOptions.of(
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            progress=progress,
            on_interrupt=on_interrupt,
        )
        snap = yield from type(self).create.op(
            self,
            mapping_id,
            name,
            description=description,
            version=version,
            ttl=ttl,
            inactivity_timeout=inactivity_timeout,
        )
        return (yield from wait_snapshot(snap.id, options))
