"""Hooks the background jobs use on instances: is its process alive, terminate it.

:func:`terminate_instance` only marks the row ``terminated`` for now; the issue that adds
the instance runtime makes it stop the instance's process first. Keep every termination
(lifecycle job, deletes) going through it so that change lands in one place.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from graph_olap_server import db

if TYPE_CHECKING:
    from graph_olap_server.context import Platform

__all__ = ["ENDED_STATUSES", "LIVE_PROCESS_STATUSES", "process_alive", "terminate_instance"]

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
    return True


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


def terminate_instance(platform: Platform, instance: db.Instance, *, reason: str = "") -> None:
    """End ``instance`` (in the caller's session; the caller commits).

    Now: sets the status to ``terminated``. Later: also stops the instance's process.
    ``reason`` says why (e.g. "expired"), for the caller's audit entry.
    """
    del platform, reason  # used once instances run real processes
    instance.status = "terminated"
