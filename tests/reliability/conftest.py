"""Fixtures of the reliability suites: a platform of their own, a fault proxy, helpers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from ..e2e.defs import FLORENTINE_FAMILY, FLORENTINE_MARRIAGE
from ..e2e.server_helpers import wait_for
from .proxy import FaultProxy

TINY_NODES = [FLORENTINE_FAMILY]
TINY_EDGES = [FLORENTINE_MARRIAGE]
"""The tiny graph every reliability test loads (15 families, 20 marriages)."""

TALLY: Counter[str] = Counter()
"""Figures of the run, shown at the end: requests the platforms answered, requests through
the fault proxy, faults it injected, processes killed."""


def count_requests(url: str) -> None:
    """Add the requests a platform answered (its own metrics) to the tally."""
    text = httpx.get(f"{url}/metrics", headers={"X-Username": "ops"}, trust_env=False).text
    TALLY["platform requests answered"] += int(
        sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("graph_olap_http_requests_total{")
        )
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY:
        figures = ", ".join(f"{name}: {count}" for name, count in sorted(TALLY.items()))
        terminalreporter.write_line(f"reliability figures: {figures}")


def fast_settings(data_dir: Path, **overrides: Any) -> Settings:
    """A platform that notices things fast and leaves no wrapper behind."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "job_trigger_min_interval": 0.0,
        "run_scheduler": False,
        "instance_poll_interval": 0.05,
        "instance_stop_timeout": 2.0,
        "stop_instances_on_exit": True,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A control plane of the reliability suites' own (its instances are processes)."""
    with ServerThread(fast_settings(tmp_path_factory.mktemp("reliability"))) as server:
        yield server
        count_requests(server.url)


@pytest.fixture
def proxy(platform: ServerThread) -> Iterator[FaultProxy]:
    with FaultProxy(platform.port) as running:
        yield running
    TALLY["requests through the fault proxy"] += len(running.seen)
    TALLY["HTTP faults injected"] += sum(s.action != "forward" for s in running.seen)


def db_rows(data_dir: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of the platform's metadata database, read behind its back (pids, counts)."""
    with sqlite3.connect(data_dir / "metadata.db") as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(sql, args).fetchall()]


def tiny_mapping(client: GraphOLAPClient, name: str) -> int:
    mapping = client.mappings.create(
        name, "reliability", node_definitions=TINY_NODES, edge_definitions=TINY_EDGES
    )
    return int(mapping.id)


def wrappers(data_dir: Path) -> dict[int, int]:
    """``{pid: instance id}`` of the live wrapper processes of the platform on
    ``data_dir`` (found by their command line, so other platforms are not counted)."""
    found = {}
    mine = str(data_dir).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if not any(a.startswith(mine) for a in args) or state in ("Z", "X"):
            continue
        if b"-c" in args:  # the short-lived launcher that starts a wrapper (its args hold
            continue  # the wrapper's command line too)
        if b"--instance-id" in args[:-1]:
            found[int(proc.name)] = int(args[args.index(b"--instance-id") + 1])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as took: ...`` then ``took[0]`` is the seconds the block ran."""
    took: list[float] = []
    start = time.monotonic()
    try:
        yield took
    finally:
        took.append(time.monotonic() - start)


def in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``fn`` in a daemon thread; the dict gets its ``result`` or its ``error``."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["result"] = fn()
        except BaseException as err:  # the test inspects it
            out["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


class CliPlatform:
    """`graph-olap server` in a process of its own, killable."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"control-plane-{port}.log"

    def start(self) -> CliPlatform:
        cmd = [
            sys.executable, "-m", "graph_olap_server.cli", "server", "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--log-level", "warning",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                return httpx.get(f"{self.url}/health", timeout=1, trust_env=False).is_success
            except httpx.HTTPError:
                return False

        wait_for(up, f"the control plane on {self.url}", 60)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        TALLY["processes killed"] += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
