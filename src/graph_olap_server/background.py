"""The local platform in the background: ``graph-olap start`` and ``graph-olap stop``.

``start`` runs ``graph-olap server`` as a detached process (its own session, so closing the
terminal or restarting a notebook kernel does not stop it), its output in
``<data folder>/server.log`` and its process id in ``<data folder>/server.pid``. A lock
file makes concurrent starts (two notebooks connecting at once) start one server: the
second finds the first answering and reuses it. ``stop`` ends the process the pid file
names. The SDK's ``notebook.connect()`` runs ``start`` when nothing answers at the local
platform's URL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from graph_olap_server.instance_lifecycle import process_alive

__all__ = ["Running", "health_of", "start_background", "stop_background"]

PID_FILE = "server.pid"
LOG_FILE = "server.log"
LOCK_FILE = "server.lock"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


@dataclasses.dataclass(frozen=True)
class Running:
    """A platform started in the background: where it answers and what it keeps where."""

    url: str
    data_dir: Path
    pid: int | None  # None: answering, but not started by ``start`` in this data folder
    log: Path
    started: bool  # False: it was already running and is reused
    stop_command: str = "graph-olap stop"

    def line(self) -> str:
        """The one line that says what runs where and how to stop it."""
        if self.pid is None:
            return (
                f"Using the Graph OLAP platform already answering at {self.url} (not started "
                f"by graph-olap start in {self.data_dir}: stop it where it was started)."
            )
        verb = "Started" if self.started else "Using"
        return (
            f"{verb} the Graph OLAP local platform at {self.url} in the background "
            f"(data folder {self.data_dir}, log {LOG_FILE} there); stop it with: "
            f"{self.stop_command}"
        )

    def as_json(self) -> str:
        return json.dumps(
            {
                "url": self.url,
                "data_dir": str(self.data_dir),
                "pid": self.pid,
                "log": str(self.log),
                "started": self.started,
                "line": self.line(),
            }
        )


def health_of(url: str, timeout: float = 2.0) -> str:
    """``"platform"`` if a Graph OLAP platform answers ``GET /health`` at ``url``,
    ``"other"`` if something else answers, ``"nothing"`` if nothing does."""
    try:
        with _DIRECT.open(f"{url}/health", timeout=timeout) as answer:
            body = answer.read(4096)
    except urllib.error.HTTPError:
        return "other"
    except (OSError, ValueError):
        return "nothing"
    try:
        data = json.loads(body)
    except ValueError:
        return "other"
    is_ours = isinstance(data, dict) and data.get("status") == "healthy" and "checked_at" in data
    return "platform" if is_ours else "other"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (blocking), held by this process only."""
    with open(path, "a+b") as handle:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_pid(data_dir: Path) -> dict[str, object] | None:
    try:
        found = json.loads((data_dir / PID_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` detached: its own session, no terminal, output to ``log``."""
    with open(log, "ab") as out:
        if sys.platform == "win32":  # pragma: no cover - Windows
            flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                creationflags=flags,
            )
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_background(
    *,
    host: str,
    port: int,
    data_dir: Path,
    server_args: list[str],
    stop_command: str = "graph-olap stop",
    timeout: float = 120.0,
) -> Running:
    """Start ``graph-olap server`` detached unless a platform already answers; wait until
    ``/health`` answers.

    Raises:
        RuntimeError: the server exited or did not answer within ``timeout``; the message
            holds the end of its log and the log's path.
    """
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    url = f"http://{reachable}:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / LOG_FILE
    with _locked(data_dir / LOCK_FILE):
        state = health_of(url)
        if state == "platform":
            known = _read_pid(data_dir) or {}
            pid = known.get("pid") if known.get("url") == url else None
            pid = pid if isinstance(pid, int) else None
            return Running(url, data_dir, pid, log, started=False, stop_command=stop_command)
        if state == "other":
            raise RuntimeError(
                f"Something that is not a Graph OLAP platform answers at {url}. Stop it, or "
                "start the platform on another port: graph-olap start --port 8001 "
                "(and set GRAPH_OLAP_PORT=8001 for the SDK)."
            )
        command = [sys.executable, "-m", "graph_olap_server.cli", "server"]
        command += ["--host", host, "--port", str(port), "--log-level", "warning", *server_args]
        process = _spawn(command, log)
        record = {"pid": process.pid, "url": url, "log": str(log)}
        (data_dir / PID_FILE).write_text(json.dumps(record), encoding="utf-8")  # stop works now
        deadline = time.monotonic() + timeout
        while health_of(url, timeout=1.0) != "platform":
            if process.poll() is not None:
                (data_dir / PID_FILE).unlink(missing_ok=True)
                raise RuntimeError(
                    f"The local platform exited (code {process.returncode}) before answering "
                    f"at {url}. The end of its log ({log}):\n{_tail(log)}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"The local platform did not answer at {url} within {timeout:g} s; it "
                    f"keeps starting in the background (pid {process.pid}): see its log "
                    f"{log}, or stop it with: {stop_command}"
                )
            time.sleep(0.1)
        return Running(url, data_dir, process.pid, log, started=True, stop_command=stop_command)


def _is_our_server(pid: int) -> bool:
    """Whether ``pid`` is alive and (where the OS tells) a graph_olap_server process, so a
    reused pid is never killed."""
    if not process_alive(pid):
        return False
    try:
        return b"graph_olap_server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # no /proc (macOS, Windows) or not readable: trust the pid file
        return True


def stop_background(data_dir: Path, *, timeout: float = 30.0) -> str:
    """Stop the platform ``start`` left in ``data_dir``; say what was done.

    Raises:
        RuntimeError: the process did not end within ``timeout`` seconds.
    """
    known = _read_pid(data_dir)
    pid = known.get("pid") if known else None
    if not isinstance(pid, int):
        return f"No local platform started by graph-olap start in {data_dir} (no {PID_FILE})."
    where = known.get("url") if known else None
    if not _is_our_server(pid):
        (data_dir / PID_FILE).unlink(missing_ok=True)
        return f"The local platform (pid {pid}) was not running; removed its stale {PID_FILE}."
    with contextlib.suppress(ProcessLookupError):  # it may end on its own meanwhile
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"The local platform (pid {pid}) did not stop within {timeout:g} s. "
                f"Stop it with: kill -9 {pid}"
            )
        time.sleep(0.05)
    (data_dir / PID_FILE).unlink(missing_ok=True)
    return f"Stopped the local platform at {where} (pid {pid})."
