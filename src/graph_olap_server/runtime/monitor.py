"""The instance monitor: the thread that moves instances through their start-up.

Each pass (every ``settings.instance_poll_interval`` s, or at once when woken):

1. ``waiting_for_snapshot`` → ``starting`` once the snapshot is ready (``failed`` when the
   snapshot failed or is gone). Where the runtime can (``starts_during_export``: local
   processes), the wrapper is launched while the snapshot is still exported, so its
   start-up (interpreter, engine, server) overlaps the export; it reads nothing until the
   monitor tells it the snapshot is ready (``POST /internal/snapshot/ready``);
2. ``starting`` without a process → launch its wrapper on a free port;
3. ``starting`` with a process → copy the wrapper's ``GET /progress`` into
   ``instances.progress``; ``running`` (with ``instance_url``, the runtime's external
   address; the in-cluster one is computed when answering) when ``GET /ready`` answers
   200; ``failed`` when the wrapper reports failure, its process exits (the message ends
   with the last lines of ``wrapper.log``) or it is not ready within
   ``settings.instance_start_timeout`` s.

A ``running`` instance whose process no longer exists (killed, crashed, out of memory) is
marked ``failed`` by the reconciliation job, and at once by
:meth:`InstanceMonitor.fail_if_process_gone` when someone reads it
(``GET /api/instances/{id}``, which the SDK asks when it loses an instance), so a client
that lost its query learns the instance is gone instead of "running". Its lock and
results died with it; it is not restarted (the graph may hold writes the snapshot has not).

Every write is conditional on the status the monitor saw, so a terminate in between wins.
:meth:`InstanceMonitor.adopt_after_restart` runs once before the thread starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from graph_olap_server import db
from graph_olap_server.export import MANIFEST, snapshot_folder
from graph_olap_server.export.queue import changed_rows
from graph_olap_server.instance_lifecycle import ENDED_STATUSES, stop_instance
from graph_olap_server.runtime.base import InstanceRuntimeError
from graph_olap_server.runtime.wrapper_client import WrapperClient
from graph_olap_server.storage import StorageError, snapshot_store

if TYPE_CHECKING:
    from graph_olap_server.db import Database
    from graph_olap_server.runtime.base import InstanceRuntime
    from graph_olap_server.settings import Settings

__all__ = ["PROCESS_GONE", "RESTART_GONE", "InstanceMonitor", "free_port"]

log = logging.getLogger("graph_olap_server")

TELL_EVERY = 0.02
"""Seconds between two attempts to tell a wrapper still starting up to load."""
RESTART_GONE = "The platform restarted and the instance's process was gone"
PROCESS_GONE = "The instance's process stopped unexpectedly"


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class InstanceMonitor:
    """Start-up supervisor of a platform's instances (one daemon thread)."""

    def __init__(self, settings: Settings, database: Database, runtime: InstanceRuntime) -> None:
        self.settings = settings
        self.db = database
        self.runtime = runtime
        self.interval = settings.instance_poll_interval
        self._client = WrapperClient()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._telling: set[int] = set()  # instances whose wrapper is being told to load

    def start(self) -> None:
        if self._thread is not None:
            return
        self.adopt_after_restart()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="graph-olap-instances", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._client.close()

    def wake(self) -> None:
        """Something changed (an instance was created, a snapshot is ready): look now."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self.tick()
            except Exception:  # the database may be briefly unavailable: keep watching
                log.exception("instance monitor: a pass failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    # -- one pass ------------------------------------------------------------------------

    def tick(self) -> None:
        """One pass over the instances that are starting up."""
        with self.db.session() as session:
            rows = session.execute(
                select(db.Instance, db.Snapshot)
                .outerjoin(db.Snapshot, db.Snapshot.id == db.Instance.snapshot_id)
                .where(db.Instance.status.in_(("waiting_for_snapshot", "starting")))
                .order_by(db.Instance.id)
            ).all()
        for instance, snapshot in rows:
            if self._stopping:
                return
            if instance.pid is not None and self.runtime.was_stopped(instance):
                continue
            if instance.status == "waiting_for_snapshot":
                self._promote(instance, snapshot)
            elif instance.pid is None:
                self._launch(instance, snapshot)
            else:
                self._poll(instance)

    def fail_if_process_gone(self, instance: db.Instance) -> bool:
        """Mark a ``running`` instance ``failed`` when its process no longer exists (and
        nobody stopped it on purpose); answers whether it did. The write is conditional on
        the instance still being ``running`` with that pid, so a terminate in between wins.

        Example:
            >>> platform.monitor.fail_if_process_gone(instance)
            False
        """
        if instance.status != "running" or not instance.pid:
            return False
        if self.runtime.alive(instance) or self.runtime.was_stopped(instance):
            return False
        tail = self.runtime.log_tail(instance, lines=5)
        message = (  # worded as the reconciliation job words it
            f"{PROCESS_GONE} (pid {instance.pid}); start a new instance."
            + (f" Last lines of its log:\n{tail}" if tail else "")
        )
        progress = {**(instance.progress or {}), "phase": "failed", "current_step": None}
        with self.db.transaction() as session:
            changed = changed_rows(
                session,
                update(db.Instance)
                .where(
                    db.Instance.id == instance.id,
                    db.Instance.status == "running",
                    db.Instance.pid == instance.pid,
                )
                .values(
                    status="failed", instance_url=None, error_message=message, progress=progress
                ),
            )
            if changed == 1:
                session.add(
                    db.AuditEntry(
                        username="system",
                        action="instance.process_gone",
                        resource_type="instance",
                        resource_id=instance.id,
                        details={"pid": instance.pid},
                    )
                )
        if changed != 1:
            return False
        self.runtime.remove_files(instance, keep_log=True)
        log.warning("instance %s failed: its process (pid %s) is gone", instance.id, instance.pid)
        return True

    def _set(self, instance: db.Instance, expected: str, **values: Any) -> bool:
        """Write ``values`` if the instance is still ``expected``; answers whether it was."""
        with self.db.transaction() as session:
            changed = changed_rows(
                session,
                update(db.Instance)
                .where(db.Instance.id == instance.id, db.Instance.status == expected)
                .values(**values),
            )
        return changed == 1

    def _fail(self, instance: db.Instance, expected: str, message: str) -> None:
        """Stop the process and free its files (keeping the log), then record ``failed``:
        whoever sees the status sees the cleanup done."""
        try:
            self.runtime.stop(instance)
        except InstanceRuntimeError:
            log.exception("instance %s: stopping the failed process", instance.id)
        self.runtime.remove_files(instance, keep_log=True)
        progress = {**(instance.progress or {}), "phase": "failed", "current_step": None}
        if self._set(instance, expected, status="failed", error_message=message, progress=progress):
            log.warning("instance %s failed: %s", instance.id, message)

    def _promote(self, instance: db.Instance, snapshot: db.Snapshot | None) -> None:
        if snapshot is None:
            self._fail(
                instance,
                "waiting_for_snapshot",
                "The snapshot this instance was waiting for was deleted. Create the instance "
                "again (client.instances.create_from_mapping(...)).",
            )
        elif snapshot.status == "failed":
            self._fail(
                instance,
                "waiting_for_snapshot",
                f"Snapshot {snapshot.id} failed, so the instance cannot start: "
                f"{snapshot.error_message} Fix the mapping, then create the instance again.",
            )
        elif snapshot.status == "ready":
            if instance.pid is not None:  # launched during the export: it loads now
                self._release(instance, snapshot)
                return
            self._set(instance, "waiting_for_snapshot", status="starting")
            self._launch(instance, snapshot)
        elif instance.pid is None and self.runtime.starts_during_export:
            self._launch(instance, snapshot, early=True)

    def _missing_files(self, instance: db.Instance) -> str:
        where = snapshot_store(self.settings).uri(instance.snapshot_id or 0).split("?")[0]
        return (
            f"The files of snapshot {instance.snapshot_id} are missing or incomplete "
            f"(no {MANIFEST} in {where}). Retry the snapshot or create a new one."
        )

    def _release(self, instance: db.Instance, snapshot: db.Snapshot) -> None:
        """The export of an instance launched during it is done: ``starting`` (its
        start-up timeout counts from now), and its wrapper is told to load."""
        folder = snapshot_folder(self.settings.snapshot_dir, instance.snapshot_id or 0)
        if not self._stored(folder, snapshot):
            self._fail(instance, "waiting_for_snapshot", self._missing_files(instance))
            return
        progress = {
            **(instance.progress or {}),
            "phase": "pod_scheduled",
            "launched_at": db.utcnow().isoformat(),
        }
        if self._set(instance, "waiting_for_snapshot", status="starting", progress=progress):
            self._tell_snapshot_ready(instance)

    def _tell_snapshot_ready(self, instance: db.Instance) -> None:
        """Tell the wrapper to load. One still starting up is told as soon as it
        answers: a thread asks every 20 ms while its process lives (at most for the
        start-up timeout), rather than waiting for the next pass."""
        with self._lock:
            if instance.id in self._telling:
                return
            self._telling.add(instance.id)
        thread = threading.Thread(
            target=self._tell, args=(instance,), name="graph-olap-release", daemon=True
        )
        thread.start()

    def _tell(self, instance: db.Instance) -> None:
        base = self.runtime.wrapper_url(instance.id, instance.port or 0)
        deadline = time.monotonic() + self.settings.instance_start_timeout
        try:
            while not self._stopping and time.monotonic() < deadline:
                if self._client.snapshot_ready(base, instance.wrapper_token or ""):
                    log.info("instance %s: its wrapper loads the snapshot now", instance.id)
                    return
                if not self.runtime.alive(instance):
                    return  # the next pass reports the exit
                time.sleep(TELL_EVERY)
        finally:
            with self._lock:
                self._telling.discard(instance.id)

    def _stored(self, folder: Path, snapshot: db.Snapshot) -> bool:
        """Whether the snapshot's files are whole: its local manifest, else (a control
        plane that lost its disk, with object storage) the store's."""
        if (folder / MANIFEST).exists():
            return True
        try:
            return snapshot_store(self.settings).is_complete(snapshot.id)
        except StorageError:
            return False

    def _launch(
        self, instance: db.Instance, snapshot: db.Snapshot | None, *, early: bool = False
    ) -> None:
        """Start the wrapper of a ``starting`` instance; ``early``: of one still
        ``waiting_for_snapshot``, which starts up during the export and waits to be told
        the snapshot is ready (:meth:`_release`) before it reads it."""
        settings = self.settings
        folder = snapshot_folder(settings.snapshot_dir, instance.snapshot_id or 0)
        expected = "waiting_for_snapshot" if early else "starting"
        ready = snapshot is not None and snapshot.status == "ready"
        if not early and not (ready and snapshot and self._stored(folder, snapshot)):
            self._fail(instance, "starting", self._missing_files(instance))
            return
        instance.wrapper_token = secrets.token_urlsafe(32)
        self.runtime.stop_strays(instance)  # a launch whose pid a killed predecessor lost
        port = free_port()
        try:
            pid = self.runtime.start(
                instance, folder, port, instance.cpu_cores or 1, await_snapshot=early
            )
        except InstanceRuntimeError as err:
            self._fail(instance, expected, f"The instance could not be started: {err}")
            return
        values: dict[str, Any] = {
            "pid": pid,
            "port": port,
            "wrapper_token": instance.wrapper_token,
            "error_message": None,
        }
        if not early:  # an early launch shows the export's progress until released
            values["progress"] = {
                **(instance.progress or {}),
                "phase": "pod_scheduled",
                "launched_at": db.utcnow().isoformat(),
            }
        if not self._set(instance, expected, **values):  # terminated while launched
            self.runtime.stop(instance)
            self.runtime.remove_files(instance)
        elif early:
            log.info("instance %s: wrapper started during the export", instance.id)

    def _poll(self, instance: db.Instance) -> None:
        settings = self.settings
        port, token = instance.port or 0, instance.wrapper_token or ""
        base = self.runtime.wrapper_url(instance.id, port)  # pods: their service
        report = self._client.progress(base, token) if port else None
        if report is not None:
            progress = {
                **(instance.progress or {}),
                "phase": report.get("phase") or "pod_scheduled",
                "steps": list(report.get("steps") or []),
                "current_step": report.get("current_step"),
            }
            if report.get("phase") == "waiting_for_snapshot":  # not told yet: tell it
                self._tell_snapshot_ready(instance)
            if report.get("phase") == "failed":
                error = report.get("error_message") or "the wrapper reported a failure"
                instance.progress = progress
                self._fail(instance, "starting", f"The instance failed to load: {error}")
                return
            if progress != instance.progress:
                self._set(instance, "starting", progress=progress)
                instance.progress = progress
        if port and self._client.ready(base):
            done = {**(instance.progress or {}), "phase": "ready", "current_step": None}
            if self._set(
                instance,
                "starting",
                status="running",
                instance_url=self.runtime.addresses(instance.id, port).external,
                progress=done,
                last_activity_at=db.utcnow(),
            ):
                log.info("instance %s is running on port %s", instance.id, port)
            return
        if not self.runtime.alive(instance):
            tail = self.runtime.log_tail(instance)
            self._fail(
                instance,
                "starting",
                "The instance's process exited while starting."
                + (f" Last lines of its log:\n{tail}" if tail else ""),
            )
            return
        launched = (instance.progress or {}).get("launched_at")
        if launched:
            began = dt.datetime.fromisoformat(launched)
            waited = (db.utcnow() - began).total_seconds()
            if waited > settings.instance_start_timeout:
                self._fail(
                    instance,
                    "starting",
                    f"The instance did not become ready within "
                    f"{settings.instance_start_timeout:g} s. Try again, or use a smaller "
                    "mapping.",
                )

    # -- restart and shutdown ------------------------------------------------------------

    def terminate_all(self, reason: str) -> int:
        """Terminate every instance that is not ended (``settings.stop_instances_on_exit``)."""
        with self.db.session() as session:
            ids = session.scalars(
                select(db.Instance.id).where(db.Instance.status.not_in(ENDED_STATUSES))
            ).all()
        for instance_id in ids:
            try:
                with self.db.transaction() as session:
                    instance = session.get(db.Instance, instance_id)
                    if instance is not None and instance.status not in ENDED_STATUSES:
                        stop_instance(self.runtime, instance, reason=reason)
            except InstanceRuntimeError:
                log.exception("instance %s could not be stopped at exit", instance_id)
        return len(ids)

    def adopt_after_restart(self) -> dict[str, int]:
        """Keep the live wrappers of ``starting``/``running`` instances; fail the others;
        finish the terminations a stop interrupted. A wrapper started during an export
        that is gone is started again when its turn comes (``waiting_for_snapshot``)."""
        counts = {"adopted": 0, "failed": 0, "terminated": 0}
        with self.db.transaction() as session:
            rows = session.scalars(
                select(db.Instance).where(
                    db.Instance.status.in_(
                        ("waiting_for_snapshot", "starting", "running", "stopping")
                    ),
                    db.Instance.pid.is_not(None),
                )
            ).all()
            for instance in rows:
                adopted = self.runtime.adopt(instance)
                if instance.status == "waiting_for_snapshot":
                    if adopted:
                        counts["adopted"] += 1
                    else:  # nothing was loaded: start it again
                        instance.pid = instance.port = None
                        self.runtime.remove_files(instance)
                elif instance.status == "stopping":
                    stop_instance(self.runtime, instance, reason="restart")
                    counts["terminated"] += 1
                elif adopted:
                    counts["adopted"] += 1
                else:
                    instance.status = "failed"
                    instance.error_message = (
                        f"{RESTART_GONE} (pid {instance.pid}). Start a new instance."
                    )
                    instance.instance_url = None
                    self.runtime.remove_files(instance, keep_log=True)
                    counts["failed"] += 1
        if any(counts.values()):
            log.info("instances after restart: %s", counts)
        return counts
