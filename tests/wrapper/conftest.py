"""Fixtures for the wrapper: snapshot folders built with DuckDB, real wrapper processes.

The graph engines are never imported here (``kuzu`` and ``ryugraph`` cannot share a
process, and the test process must stay free of both): every wrapper runs as a
subprocess, trusting ``alice`` through the dev/test-only ``GRAPH_OLAP_WRAPPER_TRUST``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from graph_olap_server.runner import free_port

TOKEN = "wrapper-token-CANARY-51c2"
ENGINES = ["kuzu", "ryugraph"]

NODES = {
    "Customer": (
        "SELECT i::BIGINT AS id, 'customer ' || i AS name, (18 + i % 60)::INTEGER AS age,"
        " (i * 0.37)::DOUBLE AS score, DATE '2020-01-01' + (i % 900)::INTEGER AS joined,"
        " (i * 12.34)::DECIMAL(12,2) AS balance FROM range(400) t(i)",
        ("id", "INT64"),
        [("name", "STRING"), ("age", "INT32"), ("score", "DOUBLE"), ("joined", "DATE"),
         ("balance", "DECIMAL(12,2)")],
    ),
    "Account": (
        "SELECT 'A' || i AS code, CASE WHEN i % 3 = 0 THEN 'savings' ELSE 'checking' END AS kind,"
        " TIMESTAMP '2021-06-01 08:00:00' + INTERVAL (i) HOUR AS opened FROM range(600) t(i)",
        ("code", "STRING"),
        [("kind", "STRING"), ("opened", "TIMESTAMP")],
    ),
}  # fmt: skip
EDGES = {
    "OWNS": (
        "SELECT (i % 400)::BIGINT AS customer_id, 'A' || i AS account_code,"
        " DATE '2022-01-01' + (i % 300)::INTEGER AS since FROM range(600) t(i)",
        ("Customer", "Account", "customer_id", "account_code"),
        [("since", "DATE")],
    ),
    "TRANSFER": (
        "SELECT 'A' || (i * 7 % 600) AS src, 'A' || (i * 13 % 600) AS dst,"
        " (i % 97 + 0.25)::DOUBLE AS amount FROM range(2000) t(i)",
        ("Account", "Account", "src", "dst"),
        [("amount", "DOUBLE")],
    ),
}  # fmt: skip


def build_snapshot(
    folder: Path,
    nodes: dict[str, Any] | None = None,
    edges: dict[str, Any] | None = None,
    *,
    manifest_only: tuple[str, ...] = (),
) -> Path:
    """Write Parquet files and ``manifest.json`` per docs/design-instances.md.

    ``manifest_only`` names files listed in the manifest but not written (missing files).
    """
    nodes = NODES if nodes is None else nodes
    edges = EDGES if edges is None else edges
    (folder / "nodes").mkdir(parents=True, exist_ok=True)
    (folder / "edges").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    manifest: dict[str, Any] = {
        "mapping_id": 1,
        "mapping_version": 1,
        "snapshot_id": 1,
        "nodes": [],
        "edges": [],
    }
    for label, (sql, (pk, pk_type), props) in nodes.items():
        file = f"nodes/{label}.parquet"
        rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # type: ignore[index]
        if label not in manifest_only:
            con.execute(f"COPY ({sql}) TO '{folder / file}' (FORMAT parquet)")
        manifest["nodes"].append(
            {
                "label": label,
                "file": file,
                "primary_key": {"name": pk, "type": pk_type},
                "properties": [{"name": n, "type": t} for n, t in props],
                "row_count": rows,
            }
        )
    for rel, (sql, (a, b, fk, tk), props) in edges.items():
        file = f"edges/{rel}.parquet"
        rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # type: ignore[index]
        if rel not in manifest_only:
            con.execute(f"COPY ({sql}) TO '{folder / file}' (FORMAT parquet)")
        manifest["edges"].append(
            {
                "type": rel,
                "from_node": a,
                "to_node": b,
                "file": file,
                "from_key": fk,
                "to_key": tk,
                "properties": [{"name": n, "type": t} for n, t in props],
                "row_count": rows,
            }
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder


class Wrapper:
    """A wrapper subprocess on a free port, and an HTTP client for it as alice."""

    def __init__(self, snapshot: Path, data_dir: Path, engine: str, *, trust: str = "alice"):
        self.port = free_port()
        self.engine = engine
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GRAPH_OLAP_WRAPPER_TOKEN": TOKEN, "GRAPH_OLAP_WRAPPER_TRUST": trust}
        self.log = data_dir / "wrapper.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "graph_olap_server.wrapper", "--instance-id", "7",
                 "--snapshot", str(snapshot), "--port", str(self.port),
                 "--data-dir", str(data_dir), "--engine", engine, "--threads", "2"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.http = httpx.Client(
            base_url=self.url, headers={"X-Username": "alice"}, timeout=60, trust_env=False
        )

    def wait(self, timeout: float = 60.0) -> dict[str, Any]:
        """Poll ``/health`` until the load ends; returns the last health answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"wrapper exited: {self.log.read_text()[-2000:]}")
            try:
                health = self.http.get("/health").json()
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            if health["status"] != "loading":
                return dict(health)
            time.sleep(0.05)
        raise AssertionError(f"wrapper still loading after {timeout}s")

    def query(self, query: str, **body: Any) -> httpx.Response:
        return self.http.post("/query", json={"query": query, **body})

    def rows(self, query: str, **body: Any) -> list[list[Any]]:
        response = self.query(query, **body)
        assert response.status_code == 200, response.text
        return list(response.json()["rows"])

    def terminate(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self) -> None:
        self.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_snapshot(tmp_path_factory.mktemp("snapshot"))


@contextlib.contextmanager
def loaded_wrapper(snapshot: Path, folder: Path, engine: str = "kuzu") -> Iterator[Wrapper]:
    """A wrapper process that has loaded ``snapshot`` (healthy), stopped on exit."""
    running = Wrapper(snapshot, folder, engine)
    try:
        health = running.wait()
        assert health["status"] == "healthy", health
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module", params=ENGINES)
def wrapper(
    request: pytest.FixtureRequest, snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Wrapper]:
    """A loaded wrapper per engine (each in its own process)."""
    folder = tmp_path_factory.mktemp(f"inst-{request.param}")
    with loaded_wrapper(snapshot_dir, folder, request.param) as running:
        yield running


@pytest.fixture
def duck(snapshot_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB with views over the snapshot's Parquet files (the expected answers)."""
    con = duckdb.connect()
    for kind in ("nodes", "edges"):
        for path in (snapshot_dir / kind).glob("*.parquet"):
            con.execute(f"CREATE VIEW {path.stem} AS FROM '{path}'")
    yield con
    con.close()


@pytest.fixture(scope="session", autouse=True)
def _no_engine_in_this_process() -> Iterator[None]:
    """``kuzu`` and ``ryugraph`` may only live in wrapper processes, never in pytest's."""
    yield
    assert not {"kuzu", "ryugraph"} & set(sys.modules), "a graph engine was imported in-process"
