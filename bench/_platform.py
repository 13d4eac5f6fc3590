"""Shared helpers of the instance benchmarks: data, the platform process, a baseline child.

* :func:`make_warehouse` writes a deterministic DuckDB file with ``nodes(id BIGINT, name
  VARCHAR, score DOUBLE)`` and ``edges(src BIGINT, dst BIGINT, weight DOUBLE)`` (ids
  ``0..N-1``, edges only between existing nodes);
* :func:`start_platform` starts ``graph_olap_server.cli server`` in its own process with
  that file as its only warehouse (catalog ``<file stem>``);
* :func:`timed` times one call: ``(seconds, result)``;
* :func:`run_child` runs one baseline in a subprocess of its own and returns the JSON it
  prints last (the engine and DuckDB in a fresh interpreter, as the wrapper has them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

SCORE = "((hash(i) % 1000000) / 1000.0)::DOUBLE"
WEIGHT = "((hash(3 * i) % 1000000) / 1000.0)::DOUBLE"
NODES_SQL = "SELECT id, name, score FROM {catalog}.main.nodes"
EDGES_SQL = "SELECT src, dst, weight FROM {catalog}.main.edges"
NODE_DDL = "CREATE NODE TABLE Node(id INT64, name STRING, score DOUBLE, PRIMARY KEY(id))"
EDGE_DDL = "CREATE REL TABLE LINK(FROM Node TO Node, weight DOUBLE)"
BUFFER_POOL_BYTES = 2048 << 20  # the wrapper's default (wrapper/config.py buffer_pool_mb)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """``fn()``'s wall-clock seconds and its result."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def make_warehouse(path: Path, n_nodes: int, n_edges: int) -> None:
    """Write the warehouse DuckDB file (``n_edges`` may be 0: an empty edges table)."""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE nodes AS SELECT i::BIGINT AS id, 'name_' || i AS name, "
        f"{SCORE} AS score FROM range({n_nodes}) t(i)"
    )
    con.execute(
        f"CREATE TABLE edges AS SELECT (hash(2 * i) % {n_nodes})::BIGINT AS src, "
        f"(hash(2 * i + 1) % {n_nodes})::BIGINT AS dst, {WEIGHT} AS weight "
        f"FROM range({n_edges}) t(i)"
    )
    con.close()


def start_platform(
    data_dir: Path, port: int, warehouse: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the local platform on ``port``; returns once ``/health`` answers 200."""
    cmd = [
        sys.executable,
        "-m",
        "graph_olap_server.cli",
        "server",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
    ]
    if warehouse is not None:  # the user's warehouse instead of the sample one
        cmd += ["--warehouse", str(warehouse), "--no-sample"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the local platform did not start within 60 s")


def stop_platform(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def node_definition(catalog: str) -> dict[str, Any]:
    return {
        "label": "Node",
        "sql": NODES_SQL.format(catalog=catalog),
        "primary_key": {"name": "id", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}, {"name": "score", "type": "DOUBLE"}],
    }


def edge_definition(catalog: str) -> dict[str, Any]:
    return {
        "type": "LINK",
        "from_node": "Node",
        "to_node": "Node",
        "sql": EDGES_SQL.format(catalog=catalog),
        "from_key": "src",
        "to_key": "dst",
        "properties": [{"name": "weight", "type": "DOUBLE"}],
    }


def export_parquet(warehouse: Path, folder: Path, *, edges: bool) -> tuple[Path, Path | None]:
    """DuckDB ``COPY (SELECT ...) TO`` Parquet of the tables (what a snapshot export does)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
    node_file = folder / "nodes.parquet"
    con.execute(f"COPY ({NODES_SQL.format(catalog='wh')}) TO '{node_file}' (FORMAT parquet)")
    edge_file = None
    if edges:
        edge_file = folder / "edges.parquet"
        con.execute(f"COPY ({EDGES_SQL.format(catalog='wh')}) TO '{edge_file}' (FORMAT parquet)")
    con.close()
    return node_file, edge_file


def load_kuzu(db_path: Path, node_file: Path, edge_file: Path | None) -> tuple[Any, Any]:
    """A kuzu database on disk with the graph loaded by ``COPY FROM``: ``(db, conn)``."""
    import kuzu

    db = kuzu.Database(str(db_path), buffer_pool_size=BUFFER_POOL_BYTES)
    conn = kuzu.Connection(db)
    conn.execute(NODE_DDL)
    if edge_file is not None:
        conn.execute(EDGE_DDL)
    conn.execute(f"COPY Node FROM '{node_file}'")
    if edge_file is not None:
        conn.execute(f"COPY LINK FROM '{edge_file}'")
    return db, conn


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run ``script --child args...`` in its own interpreter; the last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, script, "--child", *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"baseline child failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
