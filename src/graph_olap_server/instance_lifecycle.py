"""Hooks the routes and background jobs use on instances: is a process alive, end one.

Every termination (the terminate route, the lifecycle job, admin bulk delete) goes
through :func:`stop_instance`, so they all stop the process and free its files the
same way.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from graph_olap_server import db

if TYPE_CHECKING:
    from graph_olap_server.runtime.base import InstanceRuntime

__all__ = [
    "ENDED_STATUSES",
    "LIVE_PROCESS_STATUSES",
    "process_alive",
    "stop_instance",
]

log = logging.getLogger("graph_olap_server")

ENDED_STATUSES = ("terminated", "failed")
"""Instance statuses that hold no resources (not counted against the limits)."""

LIVE_PROCESS_STATUSES = ("starting", "running")
"""Instance statuses in which the instance's process must exist."""


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Linux: the process has exited but nobody has collected it yet (state Z or X)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])


def _windows_process_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    query_limited_information, inherit = 0x1000, 0
    handle = kernel32.OpenProcess(query_limited_information, inherit, pid)
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def stop_instance(runtime: InstanceRuntime, instance: db.Instance, *, reason: str = "") -> None:
    """End ``instance`` (in the caller's session; the caller commits).

    Status ``stopping``, stop its process (SIGTERM, SIGKILL after
    ``settings.instance_stop_timeout`` s), remove ``<data_dir>/instances/<id>/``, status
    ``terminated``. A terminated instance is left as it is. ``reason`` says why (e.g.
    "expired"), for the logs; the caller writes the audit entry.
    """
    if instance.status == "terminated":
        return
    instance.status = "stopping"
    runtime.stop(instance)
    runtime.remove_files(instance)
    instance.status = "terminated"
    instance.instance_url = None
    log.info("instance %s terminated%s", instance.id, f" ({reason})" if reason else "")
