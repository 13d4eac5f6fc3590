"""Progress documents: the ``progress`` JSON of snapshots and instances, and the public
progress shape both answer (``GET /api/snapshots/{id}/progress`` and the instance one).

A stored document is ``{"phase", "started_at", "steps": [step...], "current_step"}``; a
step is ``{"name", "kind", "status", "row_count", "duration_ms", "error"}``. Documents are
replaced, never mutated in place (the JSON column does not track mutations).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

__all__ = ["new_progress", "new_step", "progress_token", "public_progress", "set_step"]

TERMINAL_PHASES = ("ready", "failed")


def new_step(name: str, kind: str) -> dict[str, Any]:
    """A pending step."""
    return {
        "name": name,
        "kind": kind,
        "status": "pending",
        "row_count": None,
        "duration_ms": None,
        "error": None,
    }


def new_progress(steps: Iterable[tuple[str, str]], phase: str = "queued") -> dict[str, Any]:
    """A document with every step pending."""
    return {
        "phase": phase,
        "started_at": None,
        "steps": [new_step(name, kind) for name, kind in steps],
        "current_step": None,
    }


def set_step(progress: dict[str, Any], name: str, **changes: Any) -> dict[str, Any]:
    """A copy of ``progress`` with step ``name`` changed (``status="running"`` makes it
    the current step)."""
    out = copy.deepcopy(progress)
    for step in out.get("steps", []):
        if step["name"] == name:
            step.update(changes)
    if changes.get("status") == "running":
        out["current_step"] = name
    elif out.get("current_step") == name:
        out["current_step"] = None
    return out


def _parse(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def public_progress(
    ident: int,
    status: str,
    progress: dict[str, Any],
    error_message: str | None,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """``{"id", "status", "phase", "started_at", "steps", "current_step",
    "progress_percent", "estimated_remaining_seconds", "error_message", "token"}``.

    ``progress_percent`` is completed steps over all steps (100 once ready). The estimate
    assumes the remaining steps take as long as the completed ones did on average.
    """
    steps = list(progress.get("steps") or [])
    phase = str(progress.get("phase") or "queued")
    done = sum(1 for s in steps if s.get("status") == "completed")
    percent = int(100 * done / len(steps)) if steps else (100 if phase == "ready" else 0)
    started = _parse(progress.get("started_at"))
    estimate: int | None = None
    if started is not None and 0 < done < len(steps) and phase not in TERMINAL_PHASES:
        elapsed = ((now or dt.datetime.now(dt.timezone.utc)) - started).total_seconds()
        estimate = max(0, round(elapsed / done * (len(steps) - done)))
    return {
        "id": ident,
        "status": status,
        "phase": phase,
        "started_at": started,
        "steps": steps,
        "current_step": progress.get("current_step"),
        "progress_percent": percent,
        "estimated_remaining_seconds": estimate,
        "error_message": error_message,
        "token": progress_token(status, phase, progress.get("current_step"), steps, error_message),
    }


def progress_token(
    status: str,
    phase: str,
    current_step: Any,
    steps: list[dict[str, Any]],
    error_message: str | None,
) -> str:
    """Opaque: changes whenever the status, phase, current step, a step's status or
    the error changes (not with the time estimate), so a reader can ask to be answered
    only when it does (``?seen=<token>&wait_ms=...``).

    Example:
        >>> progress_token("creating", "exporting", "node:A", [], None) == progress_token(
        ...     "creating", "exporting", "node:A", [], None)
        True
    """
    state = [status, phase, current_step, error_message]
    state += [(s.get("name"), s.get("status")) for s in steps]
    return hashlib.blake2b(json.dumps(state, default=str).encode(), digest_size=8).hexdigest()
