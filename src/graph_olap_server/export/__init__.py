"""Snapshot export: mapping definitions → Parquet files, checks and ``manifest.json``.

* :func:`queue_snapshot` adds a ``pending`` snapshot with one export job per definition;
* :class:`Exporter` runs worker threads that export queued snapshots with DuckDB;
* :func:`public_progress` is the progress shape of snapshots (and instances).

The layout is ``<data_dir>/snapshots/<id>/{nodes,edges}/<Name>.parquet`` plus
``manifest.json``, written last (see ``docs/design-instances.md``).
"""

from __future__ import annotations

from graph_olap_server.export.exporter import MANIFEST, Exporter
from graph_olap_server.export.plan import ExportPlan, build_plan
from graph_olap_server.export.progress import new_progress, public_progress, set_step
from graph_olap_server.export.queue import (
    queue_snapshot,
    remove_snapshot_files,
    requeue_snapshot,
    snapshot_folder,
)

__all__ = [
    "MANIFEST",
    "ExportPlan",
    "Exporter",
    "build_plan",
    "new_progress",
    "public_progress",
    "queue_snapshot",
    "remove_snapshot_files",
    "requeue_snapshot",
    "set_step",
    "snapshot_folder",
]
