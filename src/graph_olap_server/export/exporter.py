"""The exporter: worker threads that turn ``pending`` snapshots into Parquet files.

A worker claims the oldest ``pending`` snapshot (a conditional UPDATE to ``creating``, so
two workers never take the same one), then for each definition in order: exports it
(DuckDB ``COPY`` of the definition's SQL with every column CAST to its declared type),
checks the file, records the row count. ``manifest.json`` is written last and the
snapshot store publishes the folder (in object storage: uploaded, the manifest last); the
snapshot becomes ``ready`` with its counts and size, or ``failed`` with a message naming
the definition and the cause (its files are then removed through the store: nothing
loads a partial graph).
See :mod:`graph_olap_server.export.run` for one export.

Restart-safe: :meth:`Exporter.start` puts snapshots left ``creating`` by a dead process
back in the queue (their jobs ``pending`` again) before the workers start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from graph_olap_server import db
from graph_olap_server.export.queue import changed_rows, requeue_snapshot
from graph_olap_server.export.run import MANIFEST, Run, SnapshotExport

if TYPE_CHECKING:
    from graph_olap_server.db import Database
    from graph_olap_server.settings import Settings
    from graph_olap_server.warehouse import WarehouseAdapter

__all__ = ["MANIFEST", "Exporter"]

log = logging.getLogger("graph_olap_server")


class Exporter:
    """Export worker threads of one platform.

    ``on_snapshot_ready`` is called after each finished export (the instance monitor's
    ``wake``: instances waiting for that snapshot start).

    Example:
        >>> exporter = Exporter(settings, database, warehouse, on_snapshot_ready=monitor.wake)
        >>> exporter.start()
        >>> # ... a route commits a pending snapshot, then:
        >>> exporter.wake()
    """

    def __init__(
        self,
        settings: Settings,
        database: Database,
        warehouse: WarehouseAdapter,
        *,
        on_snapshot_ready: Callable[[], None],
        workers: int = 2,
        poll_interval: float = 1.0,
    ) -> None:
        self.settings = settings
        self.db = database
        self.warehouse = warehouse
        self._on_snapshot_ready = on_snapshot_ready
        self.workers = max(1, workers)
        self.poll_interval = poll_interval
        self._wake = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._active: dict[int, Run] = {}

    # -- thread management ---------------------------------------------------------------

    def start(self) -> None:
        """Re-queue exports a dead process left ``creating``; start the workers."""
        if self._threads:
            return
        self.requeue_interrupted()
        self._stopping = False
        for n in range(self.workers):
            thread = threading.Thread(target=self._loop, name=f"graph-olap-export-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers; an export in progress is cancelled (re-queued at next start)."""
        self._stopping = True
        with self._lock:
            runs = list(self._active.values())
        for run in runs:
            self._cancel_run(run)
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def wake(self) -> None:
        """A snapshot was queued: let an idle worker look now."""
        with self._wake:
            self._wake.notify()

    def cancel(self, snapshot_id: int) -> None:
        """Stop exporting ``snapshot_id`` (deleted or failed elsewhere) at the next step."""
        with self._lock:
            run = self._active.get(snapshot_id)
        if run is not None:
            self._cancel_run(run)

    def is_exporting(self, snapshot_id: int) -> bool:
        with self._lock:
            return snapshot_id in self._active

    @staticmethod
    def _cancel_run(run: Run) -> None:
        """Mark ``run`` cancelled and interrupt its check query, if one is running."""
        run.cancelled = True
        if run.checker is not None:
            try:
                run.checker.interrupt()
            except Exception:  # the connection may be closing: cancelling is best effort
                log.debug("interrupting export of snapshot %s failed", run.snapshot_id)

    def requeue_interrupted(self) -> int:
        """Snapshots ``creating`` with no worker here go back to ``pending``."""
        with self.db.transaction() as session:
            rows = session.scalars(
                select(db.Snapshot).where(db.Snapshot.status == "creating")
            ).all()
            rows = [s for s in rows if not self.is_exporting(s.id)]
            for snapshot in rows:
                log.info("re-queueing the interrupted export of snapshot %s", snapshot.id)
                requeue_snapshot(session, snapshot)
        return len(rows)

    def _loop(self) -> None:
        while not self._stopping:
            try:
                run = self._claim()
            except Exception:  # database unavailable: try again later
                log.exception("exporter: claiming a snapshot failed")
                run = None
            if run is None:
                with self._wake:
                    if not self._stopping:
                        self._wake.wait(self.poll_interval)
                continue
            try:
                SnapshotExport(self.settings, self.db, self.warehouse, run).execute()
                self._on_snapshot_ready()  # instances waiting for this snapshot
            except Exception:
                log.exception("exporter: snapshot %s failed unexpectedly", run.snapshot_id)
            finally:
                with self._lock:
                    self._active.pop(run.snapshot_id, None)

    # -- claiming and recording ----------------------------------------------------------

    def _claim(self) -> Run | None:
        with self.db.session() as session:
            candidates = session.scalars(
                select(db.Snapshot.id)
                .where(db.Snapshot.status == "pending")
                .order_by(db.Snapshot.id)
                .limit(20)
            ).all()
        for snapshot_id in candidates:
            with self._lock:
                if snapshot_id in self._active:
                    continue
                run = Run(snapshot_id)
                self._active[snapshot_id] = run
            with self.db.transaction() as session:
                claimed = changed_rows(
                    session,
                    update(db.Snapshot)
                    .where(db.Snapshot.id == snapshot_id, db.Snapshot.status == "pending")
                    .values(status="creating", error_message=None),
                )
            if claimed == 1:
                return run
            with self._lock:
                self._active.pop(snapshot_id, None)
        return None
