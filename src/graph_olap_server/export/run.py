"""The export of one claimed snapshot: each definition written and checked in order,
then ``manifest.json``, then the snapshot store publishes the folder (object storage:
uploaded, the manifest last); the snapshot ends ``ready`` or ``failed``.

Every write to the snapshot row is conditional on it still being ``creating``: when it
was deleted or failed elsewhere (export_reconciliation), the export stops at its next
step (:class:`Cancelled`) and removes its files (through the store).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from graph_olap_server import db
from graph_olap_server.export.checks import (
    ExportFailure,
    FileChecker,
    diagnose_cast,
    failure_text,
)
from graph_olap_server.export.plan import EdgePlan, ExportPlan, NodePlan, _Definition, build_plan
from graph_olap_server.export.progress import new_progress, set_step
from graph_olap_server.export.queue import changed_rows
from graph_olap_server.storage import SnapshotStore, StorageError, snapshot_store
from graph_olap_server.warehouse import SqlValidationError, WarehouseError

if TYPE_CHECKING:
    from graph_olap_server.db import Database
    from graph_olap_server.settings import Settings
    from graph_olap_server.warehouse import WarehouseAdapter

__all__ = ["MANIFEST", "Cancelled", "Run", "SnapshotExport"]

log = logging.getLogger("graph_olap_server")

MANIFEST = "manifest.json"


class Cancelled(Exception):
    """The snapshot was deleted or failed elsewhere while it was exported."""


@dataclasses.dataclass
class Run:
    """A snapshot claimed by a worker; ``cancelled`` is set from other threads."""

    snapshot_id: int
    cancelled: bool = False
    checker: FileChecker | None = None


def _storage_failure(err: StorageError) -> str:
    return (
        f"Storing the snapshot failed: {err}. Check GRAPH_OLAP_SNAPSHOT_STORAGE and the "
        "storage credentials, then retry the snapshot (client.snapshots.retry)."
    )


def _ms(began: float) -> int:
    return int((time.perf_counter() - began) * 1000)


class SnapshotExport:
    """Exports the snapshot of ``run`` (claimed: status ``creating``)."""

    def __init__(
        self, settings: Settings, database: Database, warehouse: WarehouseAdapter, run: Run
    ):
        self.settings = settings
        self.db = database
        self.warehouse = warehouse
        self.run = run
        self.store: SnapshotStore = snapshot_store(settings)

    def _discard(self, snapshot_id: int) -> None:
        """Remove the snapshot's files (staged and stored); a storage error is logged."""
        try:
            self.store.remove(snapshot_id)
        except StorageError as err:
            log.error("snapshot %s: its files could not be removed: %s", snapshot_id, err)

    def _save(self, run: Run, progress: dict[str, Any], **values: Any) -> None:
        """Store the progress (and other columns) while the snapshot is still ours;
        touch its unfinished jobs so export_reconciliation sees the progress."""
        if run.cancelled:
            raise Cancelled
        now = db.utcnow()
        with self.db.transaction() as session:
            changed = changed_rows(
                session,
                update(db.Snapshot)
                .where(db.Snapshot.id == run.snapshot_id, db.Snapshot.status == "creating")
                .values(progress=progress, updated_at=now, **values),
            )
            if changed != 1:
                raise Cancelled
            session.execute(
                update(db.ExportJob)
                .where(
                    db.ExportJob.snapshot_id == run.snapshot_id,
                    db.ExportJob.status.in_(("pending", "claimed")),
                )
                .values(updated_at=now)
            )

    def _job(self, run: Run, definition: _Definition, **values: Any) -> None:
        with self.db.transaction() as session:
            job = session.scalars(
                select(db.ExportJob)
                .where(
                    db.ExportJob.snapshot_id == run.snapshot_id,
                    db.ExportJob.entity_type == definition.kind,
                    db.ExportJob.entity_name == definition.name,
                )
                .order_by(db.ExportJob.id.desc())
            ).first()
            if job is None:  # queued before this definition existed: record it now
                job = db.ExportJob(
                    snapshot_id=run.snapshot_id,
                    entity_type=definition.kind,
                    entity_name=definition.name,
                    attempts=0,
                )
                session.add(job)
            if values.get("status") == "claimed":
                job.attempts = (job.attempts or 0) + 1
            for key, value in values.items():
                setattr(job, key, value)

    def execute(self) -> None:
        """Export, check, write the manifest; record ready or failed."""
        run = self.run
        folder = self.store.staging(run.snapshot_id)
        with self.db.session() as session:
            snapshot = session.get(db.Snapshot, run.snapshot_id)
            version = session.scalars(
                select(db.MappingVersion).where(
                    db.MappingVersion.mapping_id == (snapshot.mapping_id if snapshot else -1),
                    db.MappingVersion.version == (snapshot.mapping_version if snapshot else -1),
                )
            ).first()
        if snapshot is None:
            return
        try:
            self.store.remove(run.snapshot_id)  # what an interrupted export left
        except StorageError as err:
            self._fail(run, None, _storage_failure(err), snapshot.progress or {})
            return
        if version is None:
            self._fail(
                run,
                None,
                f"Version {snapshot.mapping_version} of mapping {snapshot.mapping_id} no "
                "longer exists, so there is nothing to export. Create a snapshot of an "
                "existing version.",
                snapshot.progress or {},
            )
            return
        try:
            plan = build_plan(version.node_definitions, version.edge_definitions)
        except ValueError as err:
            self._fail(run, None, str(err), snapshot.progress or {})
            return
        folder.mkdir(parents=True, exist_ok=True)
        progress = new_progress(plan.steps(), phase="exporting")
        progress["started_at"] = db.utcnow().isoformat()
        run.checker = FileChecker(folder)
        try:
            self._save(run, progress, path=str(folder))
            self._run_plan(run, plan, snapshot, folder, progress)
        except Cancelled:
            log.info("export of snapshot %s cancelled", run.snapshot_id)
            self._discard(run.snapshot_id)
        finally:
            run.checker.close()

    def _run_plan(
        self,
        run: Run,
        plan: ExportPlan,
        snapshot: db.Snapshot,
        folder: Path,
        progress: dict[str, Any],
    ) -> None:
        counts: dict[str, int] = {}
        nodes: dict[str, tuple[NodePlan, Path]] = {}
        for definition in plan.definitions:
            path = folder / definition.file
            for step in (definition.step, definition.check_step):
                began = time.perf_counter()
                progress = set_step(progress, step, status="running")
                self._save(run, progress)
                if step == definition.step:
                    self._job(run, definition, status="claimed")
                try:
                    if step == definition.step:
                        counts[step] = self._write(run, definition, path, folder)
                        self._job(run, definition, status="completed", row_count=counts[step])
                    else:
                        self._check(run, definition, path, nodes)
                except ExportFailure as err:
                    if run.cancelled:
                        raise Cancelled from err
                    progress = set_step(
                        progress, step, status="failed", duration_ms=_ms(began), error=str(err)
                    )
                    self._discard(run.snapshot_id)  # before anyone sees "failed"
                    self._fail(run, definition, str(err), progress)
                    return
                row_count = counts.get(step) if step == definition.step else None
                progress = set_step(
                    progress,
                    step,
                    status="completed",
                    duration_ms=_ms(began),
                    row_count=row_count,
                )
            if isinstance(definition, NodePlan):
                nodes[definition.name] = (definition, path)
        manifest = plan.manifest(
            mapping_id=snapshot.mapping_id,
            mapping_version=snapshot.mapping_version,
            snapshot_id=snapshot.id,
            counts=counts,
        )
        tmp = folder / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        size_bytes = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        try:
            self.store.publish(run.snapshot_id, folder)
        except StorageError as err:
            if run.cancelled:
                raise Cancelled from err
            self._discard(run.snapshot_id)  # before anyone sees "failed"
            self._fail(run, None, _storage_failure(err), progress)
            return
        progress = {**progress, "phase": "ready", "current_step": None}
        self._save(
            run,
            progress,
            status="ready",
            error_message=None,
            node_counts={n.name: counts[n.step] for n in plan.nodes},
            edge_counts={e.name: counts[e.step] for e in plan.edges},
            size_bytes=size_bytes,
        )
        log.info("snapshot %s is ready (%s)", run.snapshot_id, self.store.uri(run.snapshot_id))

    def _write(self, run: Run, definition: _Definition, path: Path, folder: Path) -> int:
        warehouse = self.warehouse
        try:
            source = warehouse.to_duckdb_sql(definition.sql)
            return warehouse.export_parquet(definition.select_sql(source), path, dialect="duckdb")
        except SqlValidationError as err:
            reason = str(err).rstrip(".")  # a sentence: "... Did you mean x?" keeps its "?"
            reason += "" if reason.endswith(("?", "!")) else "."
            raise ExportFailure(
                f"{definition.where}: the SQL is no longer valid on the warehouse: {reason} "
                "Fix the mapping (a new version) and create a new snapshot."
            ) from err
        except WarehouseError as err:
            if run.cancelled:
                raise Cancelled from err
            text = str(err).removeprefix(f"export to {path} failed: ")
            assert run.checker is not None
            cast = diagnose_cast(warehouse, run.checker, definition, source, folder, text)
            cause = cast or f"the export failed: {text}"
            raise ExportFailure(f"{definition.where}: {cause}") from err

    def _check(
        self,
        run: Run,
        definition: _Definition,
        path: Path,
        nodes: dict[str, tuple[NodePlan, Path]],
    ) -> None:
        assert run.checker is not None
        try:
            if isinstance(definition, NodePlan):
                run.checker.check_node(definition, path)
            elif isinstance(definition, EdgePlan):
                run.checker.check_edge(definition, path, nodes)
        except ExportFailure:
            raise
        except Exception as err:
            if run.cancelled:
                raise Cancelled from err
            raise ExportFailure(
                f"{definition.where}: checking the exported file failed: {failure_text(err)}"
            ) from err

    def _fail(
        self,
        run: Run,
        definition: _Definition | None,
        message: str,
        progress: dict[str, Any],
    ) -> None:
        """The snapshot ends ``failed``: its unfinished jobs too, the failing one with the
        message, the others saying why they did not run."""
        progress = {**progress, "phase": "failed", "current_step": None}
        try:
            self._save(run, progress, status="failed", error_message=message)
        except Cancelled:
            return
        culprit = (definition.kind, definition.name) if definition else None
        with self.db.transaction() as session:
            jobs = session.scalars(
                select(db.ExportJob).where(db.ExportJob.snapshot_id == run.snapshot_id)
            ).all()
            for job in jobs:
                if (job.entity_type, job.entity_name) == culprit:
                    job.status, job.error_message = "failed", message
                elif job.status in ("pending", "claimed"):
                    job.status = "failed"
                    job.error_message = f"Not exported: the snapshot failed. {message}"
        log.info("snapshot %s failed: %s", run.snapshot_id, message)
