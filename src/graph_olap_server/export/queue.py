"""Queueing exports: a snapshot row with one export job per definition, retries, files.

These functions work in the caller's session and never commit; the exporter thread
picks a ``pending`` snapshot up once the caller has committed (and woken it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.export.plan import build_plan
from graph_olap_server.export.progress import new_progress

__all__ = [
    "changed_rows",
    "queue_snapshot",
    "remove_snapshot_files",
    "requeue_snapshot",
    "snapshot_folder",
]


def changed_rows(session: Session, statement: Any) -> int:
    """Run an UPDATE/DELETE; answers how many rows it changed."""
    result = cast("CursorResult[Any]", session.execute(statement))
    return int(result.rowcount)


def snapshot_folder(snapshot_dir: Path, snapshot_id: int) -> Path:
    """``<data_dir>/snapshots/<id>``: complete only when it holds ``manifest.json``."""
    return snapshot_dir / str(snapshot_id)


def remove_snapshot_files(snapshot_dir: Path, snapshot_id: int) -> None:
    """Delete a snapshot's folder (nothing happens when it does not exist)."""
    shutil.rmtree(snapshot_folder(snapshot_dir, snapshot_id), ignore_errors=True)


def queue_snapshot(
    session: Session,
    *,
    version: db.MappingVersion,
    name: str,
    owner: str,
    description: str | None = None,
    ttl: str | None = None,
    inactivity_timeout: str | None = None,
) -> db.Snapshot:
    """Add a ``pending`` snapshot of ``version`` and its export jobs (flushed, not
    committed). Raises ValueError naming a definition that cannot be exported."""
    plan = build_plan(version.node_definitions, version.edge_definitions)
    snapshot = db.Snapshot(
        mapping_id=version.mapping_id,
        mapping_version=version.version,
        name=name,
        description=description,
        owner_username=owner,
        status="pending",
        progress=new_progress(plan.steps()),
        node_counts={},
        edge_counts={},
        ttl=ttl,
        inactivity_timeout=inactivity_timeout,
    )
    session.add(snapshot)
    session.flush()
    session.add_all(
        db.ExportJob(
            snapshot_id=snapshot.id, entity_type=d.kind, entity_name=d.name, status="pending"
        )
        for d in plan.definitions
    )
    session.flush()
    return snapshot


def requeue_snapshot(session: Session, snapshot: db.Snapshot) -> None:
    """Put ``snapshot`` back in the queue: status ``pending``, every export job
    ``pending`` (attempts kept), progress reset."""
    steps = [(s["name"], s["kind"]) for s in (snapshot.progress or {}).get("steps", [])]
    snapshot.status = "pending"
    snapshot.error_message = None
    snapshot.size_bytes = None
    snapshot.node_counts = {}
    snapshot.edge_counts = {}
    snapshot.progress = new_progress(steps)
    session.execute(
        update(db.ExportJob)
        .where(db.ExportJob.snapshot_id == snapshot.id)
        .values(status="pending", error_message=None, row_count=None, updated_at=db.utcnow())
    )
