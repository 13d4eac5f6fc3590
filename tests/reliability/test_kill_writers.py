"""Many SIGKILLs of the control plane under concurrent writers, with the SDK's defaults.

Four writers (threads, each its own ``GraphOLAPClient`` with the default retries) create
mappings with unique names, one after the other, for the whole run. The control plane
(``graph-olap server``, a process of its own) is killed with SIGKILL and started again on
the same port and data folder, :data:`KILLS` times; each kill waits until the writers
have made progress since the last start (a count of acknowledged creates, not a time),
so every kill lands among requests in flight.

What must hold (issue 17): every create the client was told succeeded is there
(acknowledged lost 0), no name exists twice (duplicates 0), no create the client was told
failed exists (told-failed-but-exist 0; with the ride-out of
:mod:`graph_olap._core.retry` no create is told failed at all), and the database passes
SQLite's integrity and foreign key checks with a first version for every mapping.

``GRAPH_OLAP_KILLS=30`` runs the issue's larger measurement (about 2 minutes); the default
(8 kills) keeps the suite's run short.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import free_port
from tests.e2e.server_helpers import wait_for

from .conftest import TALLY, TINY_NODES, CliPlatform, count_requests

KILLS = int(os.environ.get("GRAPH_OLAP_KILLS", "8"))
WRITERS = 4
PROGRESS = 6
"""Acknowledged creates (all writers) between a start and the next kill."""

pytestmark = [pytest.mark.socket, pytest.mark.timeout(max(110, 10 * KILLS))]


@dataclass
class Outcomes:
    """What the writers were told, by mapping name."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def _write(url: str, writer: int, stop: threading.Event, out: Outcomes) -> None:
    with GraphOLAPClient(url, username=f"writer{writer}") as client:  # SDK defaults
        n = 0
        while not stop.is_set():
            n += 1
            name = f"w{writer}-{n}"
            try:
                mapping = client.mappings.create(
                    name, "kill test", node_definitions=TINY_NODES, edge_definitions=[]
                )
            except Exception as err:  # the test counts what the client was told
                with out.lock:
                    out.failed[name] = f"{type(err).__name__}: {err}"
                continue
            with out.lock:
                out.acknowledged[name] = int(mapping.id)


def _progress(out: Outcomes) -> None:
    target = out.count() + PROGRESS
    wait_for(lambda: out.count() >= target, f"{PROGRESS} more acknowledged creates", 90)


def test_sigkills_under_concurrent_writers_lose_and_double_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    platform = CliPlatform(data_dir, free_port()).start()
    out = Outcomes()
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write, args=(platform.url, i, stop, out), daemon=True)
        for i in range(1, WRITERS + 1)
    ]
    for thread in writers:
        thread.start()
    try:
        for _ in range(KILLS):
            _progress(out)
            platform.kill()
            platform = CliPlatform(data_dir, platform.port).start()
        _progress(out)  # the last start serves writes too
    finally:
        stop.set()
        for thread in writers:
            thread.join(90)
        if platform.proc is not None and platform.proc.poll() is None:
            count_requests(platform.url)
        platform.stop()
    assert not any(t.is_alive() for t in writers), "a writer hangs"

    with sqlite3.connect(data_dir / "metadata.db") as con:
        rows = con.execute("SELECT id, name FROM mappings").fetchall()
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        foreign = con.execute("PRAGMA foreign_key_check").fetchall()
        unversioned = con.execute(
            "SELECT m.id FROM mappings m LEFT JOIN mapping_versions v "
            "ON v.mapping_id = m.id AND v.version = 1 WHERE v.id IS NULL"
        ).fetchall()
    names = Counter(name for _, name in rows)
    ids = {name: mapping_id for mapping_id, name in rows}
    lost = {n: i for n, i in out.acknowledged.items() if ids.get(n) != i}
    duplicates = {n: c for n, c in names.items() if c > 1}
    told_failed_but_exist = {n: out.failed[n] for n in out.failed if n in names}
    figures = {
        "kills": KILLS,
        "acknowledged creates": len(out.acknowledged),
        "creates told failed": len(out.failed),
        "acknowledged lost": len(lost),
        "duplicates": len(duplicates),
        "told failed but exist": len(told_failed_but_exist),
    }
    print("kill test:", ", ".join(f"{k} {v}" for k, v in figures.items()))
    TALLY["kill test: acknowledged creates"] += len(out.acknowledged)
    assert integrity == [("ok",)] and foreign == [] and unversioned == [], (
        integrity,
        foreign,
        unversioned,
    )
    assert lost == {}, f"acknowledged creates lost: {lost}"
    assert duplicates == {}, f"names created twice: {duplicates}"
    assert told_failed_but_exist == {}, f"told failed, but made: {told_failed_but_exist}"
    assert out.failed == {}, f"creates told failed: {out.failed}"
    assert len(out.acknowledged) >= PROGRESS * (KILLS + 1)
