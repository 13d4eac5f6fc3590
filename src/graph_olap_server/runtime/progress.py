"""Instance progress: one continuous view from snapshot export to a loaded graph.

The stored document (``instances.progress``) is ``{"phase", "started_at", "steps",
"current_step", "export_steps"}``: ``steps`` are the wrapper's loading steps as its
``GET /progress`` reported them; ``export_steps`` is true for instances made with
``from-mapping``, whose progress starts with the export of their snapshot.

The public shape is the snapshot one (``{"id", "status", "phase", "started_at", "steps",
"current_step", "progress_percent", "estimated_remaining_seconds", "error_message"}``);
each step carries ``"stage": "export" | "load"``. While the instance waits for its
snapshot the phase is the snapshot's (``queued``, ``exporting``) and the loading steps
are listed as pending, predicted from the snapshot's definitions, so the percentage only
grows.
"""

from __future__ import annotations

from typing import Any

from graph_olap_server import db
from graph_olap_server.export.progress import new_step, public_progress

__all__ = ["instance_progress", "predicted_load_steps"]

_LOAD_PHASE = {"starting": "pod_scheduled", "running": "ready", "failed": "failed"}


def predicted_load_steps(snapshot: db.Snapshot | None) -> list[dict[str, Any]]:
    """``schema`` then one step per node label and relationship type, all pending."""
    steps = [new_step("schema", "schema")]
    for step in ((snapshot.progress or {}).get("steps") or []) if snapshot else []:
        if step.get("kind") in ("node", "edge"):
            steps.append(new_step(step["name"], step["kind"]))
    return steps


def _staged(steps: list[dict[str, Any]], stage: str) -> list[dict[str, Any]]:
    return [{**s, "stage": stage} for s in steps]


def instance_progress(instance: db.Instance, snapshot: db.Snapshot | None) -> dict[str, Any]:
    """The public progress of ``instance`` (``snapshot``: the one it is made from)."""
    stored = dict(instance.progress or {})
    export = (snapshot.progress or {}) if snapshot is not None else {}
    steps: list[dict[str, Any]] = []
    if stored.get("export_steps") and snapshot is not None:
        steps += _staged(list(export.get("steps") or []), "export")
    load = list(stored.get("steps") or []) or predicted_load_steps(snapshot)
    steps += _staged(load, "load")
    if instance.status == "waiting_for_snapshot":
        phase = str(export.get("phase") or "queued")
        current = export.get("current_step")
    else:
        phase = str(stored.get("phase") or _LOAD_PHASE.get(instance.status, instance.status))
        if phase == "waiting_for_snapshot":  # promoted, not launched yet
            phase = "pod_scheduled"
        if instance.status in ("stopping", "terminated"):
            phase = instance.status
        elif instance.status == "running":
            phase = "ready"
            steps = [{**s, "status": "completed"} if s.get("stage") == "load" else s for s in steps]
        elif instance.status == "failed":
            phase = "failed"
        current = stored.get("current_step")
    document = {
        "phase": phase,
        "started_at": instance.created_at,
        "steps": steps,
        "current_step": current,
    }
    return public_progress(instance.id, instance.status, document, instance.error_message)
