"""The local instance runtime: one wrapper process per instance on this machine.

A wrapper is started through a tiny launcher process that starts it in a session of its
own and exits, so the wrapper is not a child of the control plane: it survives a restart
of the control plane (which then adopts it) and Ctrl+C in the control plane's terminal.

Command line (secrets only in the environment, ``GRAPH_OLAP_WRAPPER_TOKEN``)::

    python -m graph_olap_server.wrapper --instance-id N --snapshot DIR --port P
        --data-dir <data_dir>/instances/N --engine E --threads C --control-plane URL

Its output goes to ``<data_dir>/instances/N/wrapper.log``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from graph_olap_server import db
from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runtime.base import (
    InstanceAddresses,
    InstanceRuntime,
    InstanceRuntimeError,
)
from graph_olap_server.runtime.wrapper_client import WrapperClient
from graph_olap_server.settings import Settings
from graph_olap_server.storage import is_object_uri, snapshot_store  # helper K3

__all__ = ["LOG_NAME", "TOKEN_ENV", "LocalProcessRuntime", "default_engine"]

log = logging.getLogger("graph_olap_server")

TOKEN_ENV = "GRAPH_OLAP_WRAPPER_TOKEN"
SECRET_ENV = frozenset(
    {"GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_API_KEY", "GRAPH_OLAP_DATABASE_URL"}
)
"""The control plane's secrets: a wrapper needs none of them, so it does not inherit them."""
LOG_NAME = "wrapper.log"
FALLBACK_ENGINE = "ryugraph"
ADOPT_WAIT = 10.0
"""Seconds a restarted control plane waits for a live wrapper's ``/health``."""

# argv: log file, then the wrapper's command; prints the wrapper's pid
_LAUNCHER = """\
import os, subprocess, sys
log = open(sys.argv[1], "ab")
extra = ({"creationflags": 0x00000208} if os.name == "nt" else {"start_new_session": True})
proc = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, close_fds=True, **extra)
print(proc.pid, flush=True)
proc.returncode = 0  # not ours to wait for: the wrapper outlives this launcher
"""


def default_engine(settings: Settings) -> str:
    """The configured engine, else the wrapper's ``DEFAULT_ENGINE``, else ryugraph."""
    if settings.wrapper_engine:
        return settings.wrapper_engine
    try:
        if importlib.util.find_spec("graph_olap_server.wrapper") is None:
            return FALLBACK_ENGINE
        if importlib.util.find_spec("graph_olap_server.wrapper.engine") is not None:
            module = importlib.import_module("graph_olap_server.wrapper.engine")
            return str(getattr(module, "DEFAULT_ENGINE", FALLBACK_ENGINE))
    except Exception:  # a broken wrapper package must not stop the control plane
        log.warning("cannot read the wrapper's default engine; using %s", FALLBACK_ENGINE)
    return FALLBACK_ENGINE


@dataclasses.dataclass
class _Process:
    pid: int
    port: int
    token: str


class LocalProcessRuntime(InstanceRuntime):
    """Wrapper processes on 127.0.0.1, tracked by instance id.

    Only processes this runtime started or adopted (after checking their ``/health``) are
    ever signalled: a row's ``pid`` alone is never trusted to kill a process.
    """

    description = "local processes"
    starts_during_export = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._procs: dict[int, _Process] = {}
        self._stopped: dict[int, int | None] = {}  # instance id -> pid it had
        self._engine: str | None = None
        self._client = WrapperClient()

    # -- helpers -------------------------------------------------------------------------

    def folder(self, instance_id: int) -> Path:
        """``<data_dir>/instances/<id>``: the wrapper's data dir and log."""
        return self.settings.instance_dir / str(instance_id)

    @property
    def engine(self) -> str:
        if self._engine is None:
            self._engine = default_engine(self.settings)
        return self._engine

    def addresses(self, instance_id: int, port: int) -> InstanceAddresses:
        """``http://127.0.0.1:{port}`` from outside; from inside the cluster, the
        ``in_cluster_url_template`` setting (the same URL by default).

        Example:
            >>> LocalProcessRuntime(settings).addresses(7, 41234).external
            'http://127.0.0.1:41234'
        """
        return InstanceAddresses(
            external=f"http://127.0.0.1:{port}",
            in_cluster=self.settings.in_cluster_url(instance_id, port),
        )

    def control_plane_url(self) -> str:
        return (self.settings.control_plane_url or "http://127.0.0.1:8000").rstrip("/")

    def command(
        self, instance: db.Instance, snapshot_path: Path, port: int, cpu_cores: int
    ) -> list[str]:
        """The wrapper's command line (no secrets)."""
        base = list(self.settings.wrapper_command) or [
            sys.executable,
            "-m",
            "graph_olap_server.wrapper",
        ]
        return [
            *base,
            "--instance-id", str(instance.id),
            "--snapshot", self._snapshot_location(instance, snapshot_path),
            "--port", str(port),
            "--data-dir", str(self.folder(instance.id)),
            "--engine", self.engine,
            "--threads", str(cpu_cores),
            "--control-plane", self.control_plane_url(),
        ]  # fmt: skip

    def _snapshot_location(self, instance: db.Instance, snapshot_path: Path) -> str:
        """The folder, or with object storage the URL the wrapper downloads (helper K3)."""
        if instance.snapshot_id is None:
            return str(snapshot_path)
        uri = snapshot_store(self.settings).uri(instance.snapshot_id)
        return uri if is_object_uri(uri) else str(snapshot_path)

    @staticmethod
    def _pid_alive(pid: int) -> bool:
        return process_alive(pid)

    # -- the interface -------------------------------------------------------------------

    def start(
        self,
        instance: db.Instance,
        snapshot_path: Path,
        port: int,
        cpu_cores: int,
        *,
        await_snapshot: bool = False,
    ) -> int:
        if not instance.wrapper_token:
            raise InstanceRuntimeError(f"instance {instance.id} has no wrapper token")
        folder = self.folder(instance.id)
        folder.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
        env[TOKEN_ENV] = instance.wrapper_token
        cmd = self.command(instance, snapshot_path, port, cpu_cores)
        if await_snapshot:
            cmd.append("--await-snapshot")
        try:
            launched = subprocess.run(
                [sys.executable, "-W", "ignore", "-c", _LAUNCHER, str(folder / LOG_NAME), *cmd],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise InstanceRuntimeError(f"the wrapper process could not be launched: {err}") from err
        output = launched.stdout.strip()
        if launched.returncode != 0 or not output.isdigit():
            detail = (launched.stderr.strip().splitlines() or ["no output"])[-1]
            raise InstanceRuntimeError(
                f"the wrapper process could not be launched ({cmd[0]}): {detail}"
            )
        pid = int(output)
        with self._lock:
            self._procs[instance.id] = _Process(pid, port, instance.wrapper_token)
            self._stopped.pop(instance.id, None)
        log.info("instance %s: wrapper started, pid %s, port %s", instance.id, pid, port)
        return pid

    def stop(self, instance: db.Instance) -> None:
        with self._lock:
            proc = self._procs.pop(instance.id, None)
            self._stopped[instance.id] = proc.pid if proc else instance.pid
        if proc is None or not self._pid_alive(proc.pid):
            return
        self._signal(proc.pid, signal.SIGTERM)
        if self._wait_gone(proc.pid, self.settings.instance_stop_timeout):
            return
        log.warning("instance %s: pid %s ignored SIGTERM; killing it", instance.id, proc.pid)
        self._signal(proc.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        if not self._wait_gone(proc.pid, 5.0):
            raise InstanceRuntimeError(
                f"the process of instance {instance.id} (pid {proc.pid}) does not stop; "
                "end it by hand"
            )

    @staticmethod
    def _signal(pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._pid_alive(pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def alive(self, instance: db.Instance) -> bool:
        with self._lock:
            proc = self._procs.get(instance.id)
        pid = proc.pid if proc is not None else instance.pid
        return bool(pid) and self._pid_alive(int(pid or 0))

    def set_cpu(self, instance: db.Instance, cores: int) -> None:
        with self._lock:
            proc = self._procs.get(instance.id)
        if proc is None:
            raise InstanceRuntimeError(
                f"instance {instance.id} has no process managed by this platform; "
                "start a new instance"
            )
        try:
            self._client.set_threads(self.wrapper_url(instance.id, proc.port), proc.token, cores)
        except RuntimeError as err:
            raise InstanceRuntimeError(f"instance {instance.id}: {err}") from err
        _pin(proc.pid, cores)

    def adopt(self, instance: db.Instance) -> bool:
        """Keep the wrapper when its ``/health`` names this instance (waiting up to
        ``ADOPT_WAIT`` s for a wrapper still starting its server). A live process that
        is not adopted is killed only when its command line shows it is this instance's
        wrapper (Linux); a pid alone is never trusted."""
        if not instance.pid or not instance.port:
            return False
        deadline = time.monotonic() + ADOPT_WAIT
        while self._pid_alive(instance.pid):
            health = self._client.health(self.wrapper_url(instance.id, instance.port))
            if health is not None and str(health.get("instance_id")) == str(instance.id):
                with self._lock:
                    self._procs[instance.id] = _Process(
                        instance.pid, instance.port, instance.wrapper_token or ""
                    )
                    self._stopped.pop(instance.id, None)
                log.info("instance %s: adopted its wrapper (pid %s)", instance.id, instance.pid)
                return True
            if time.monotonic() >= deadline:
                if _is_wrapper_of(instance.pid, instance.id):
                    log.warning(
                        "instance %s: its wrapper (pid %s) does not answer; killing it",
                        instance.id,
                        instance.pid,
                    )
                    self._signal(instance.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                break
            time.sleep(0.1)
        return False

    def remove_files(self, instance: db.Instance, *, keep_log: bool = False) -> None:
        folder = self.folder(instance.id)
        if not keep_log:
            shutil.rmtree(folder, ignore_errors=True)
            return
        if folder.is_dir():
            for child in folder.iterdir():
                if child.name == LOG_NAME:
                    continue
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)

    def log_tail(self, instance: db.Instance, lines: int = 15) -> str:
        path = self.folder(instance.id) / LOG_NAME
        try:
            with path.open("rb") as f:
                f.seek(max(0, path.stat().st_size - 16_000))
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def was_stopped(self, instance: db.Instance) -> bool:
        with self._lock:
            return instance.id in self._stopped and self._stopped[instance.id] == instance.pid

    def stop_strays(self, instance: db.Instance) -> int:
        """Linux: SIGKILL the processes whose command line is a launch of this instance
        into its own folder (``--instance-id N`` and ``--data-dir <data_dir>/instances/N``)
        and that this runtime does not manage."""
        with self._lock:
            managed = self._procs.get(instance.id)
        strays = [
            pid
            for pid in _launches_of(instance.id, self.folder(instance.id))
            if managed is None or pid != managed.pid
        ]
        for pid in strays:
            log.warning("instance %s: killing stray wrapper process %s", instance.id, pid)
            self._signal(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        return len(strays)

    def managed(self) -> dict[int, int]:
        """``{instance_id: pid}`` of the processes this runtime manages."""
        with self._lock:
            return {i: p.pid for i, p in self._procs.items()}

    def close(self) -> None:
        self._client.close()


def _is_wrapper_of(pid: int, instance_id: int) -> bool:
    """Linux: the command line of ``pid`` is a wrapper's for ``instance_id``."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    flag = b"--instance-id"
    return flag in args and args[args.index(flag) + 1 : args.index(flag) + 2] == [
        str(instance_id).encode()
    ]


def _launches_of(instance_id: int, folder: Path) -> list[int]:
    """Linux: pids whose command line has ``--instance-id <id>`` and ``--data-dir
    <folder>`` (a wrapper of this instance on this platform, or its launcher)."""
    wanted = {b"--instance-id": str(instance_id).encode(), b"--data-dir": str(folder).encode()}
    found = []
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        values = {a: args[i + 1] for i, a in enumerate(args[:-1]) if a in wanted}
        if values == wanted and process_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _pin(pid: int, cores: int) -> None:
    """Linux: every thread of ``pid`` may run on the first ``cores`` cores only."""
    setaffinity = getattr(os, "sched_setaffinity", None)
    if setaffinity is None or cores > (os.cpu_count() or 1):
        return
    allowed = set(range(cores))
    tasks = Path(f"/proc/{pid}/task")
    tids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    for tid in tids:
        with contextlib.suppress(OSError):  # threads come and go
            setaffinity(tid, allowed)
