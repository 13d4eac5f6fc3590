"""Calibrate the dry run's instance estimate: memory, disk and load time per node and edge.

Generates (DuckDB, deterministic) warehouses of several sizes, with different edge/node
ratios so that the per-node and per-edge costs can be told apart; for each, starts the
local platform in its own process, runs ``client.mappings.dry_run`` (timed), then
``client.instances.create_from_mapping_and_wait`` (timed: the load time, create to
running) and measures

* memory: the resident set (``VmRSS``) of the instance's wrapper process once running;
* disk: the size of the instance's folder (``<data dir>/instances/<id>``).

Fits ``cost = base + per_node * nodes + per_edge * edges`` by least squares for each,
prints the constants to paste into ``graph_olap_server/services/dry_run.py`` (``COSTS``)
and a table of estimate (the server's current constants) against actual.

Run: ``.venv/bin/python bench/dry_run_calibration.py [--sizes 10000:10000,100000:400000,...]``
(Linux: reads ``/proc``).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _platform import (
    edge_definition,
    make_warehouse,
    node_definition,
    start_platform,
    stop_platform,
)

DEFAULT_SIZES = "2000:8000,20000:20000,200000:800000,500000:500000,300000:1500000"
METRICS = ("memory_bytes", "disk_bytes", "load_seconds")


def folder_bytes(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def rss_bytes(pid: int) -> int:
    """The resident set of process ``pid``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise SystemExit(f"no VmRSS for process {pid}: run on Linux")


def wrapper_pid(data_dir: Path, instance_id: int) -> int:
    with sqlite3.connect(data_dir / "metadata.db") as db:
        row = db.execute("SELECT pid FROM instances WHERE id = ?", (instance_id,)).fetchone()
    if not row or not row[0]:
        raise SystemExit(f"instance {instance_id} has no wrapper pid in the platform database")
    return int(row[0])


def measure(root: Path, n_nodes: int, n_edges: int) -> dict[str, Any]:
    """Dry run and instance of one generated graph."""
    from graph_olap import GraphOLAPClient
    from graph_olap_server.runner import free_port

    warehouse = root / "calib.duckdb"
    warehouse.unlink(missing_ok=True)
    make_warehouse(warehouse, n_nodes, n_edges)
    data_dir = root / f"platform-{n_nodes}-{n_edges}"
    port = free_port()
    proc = start_platform(data_dir, port, warehouse)
    try:
        with GraphOLAPClient(f"http://127.0.0.1:{port}", username="bench") as client:
            mapping = client.mappings.create(
                "calibration",
                "dry run calibration",
                node_definitions=[node_definition("calib")],
                edge_definitions=[edge_definition("calib")],
            )
            started = time.perf_counter()
            report = client.mappings.dry_run(mapping.id)
            dry_run_s = time.perf_counter() - started
            started = time.perf_counter()
            inst = client.instances.create_from_mapping_and_wait(
                mapping.id, "calibration", timeout=1800, poll_interval=0.1
            )
            load_s = time.perf_counter() - started
            try:
                memory = rss_bytes(wrapper_pid(data_dir, inst.id))
                disk = folder_bytes(data_dir / "instances" / str(inst.id))
            finally:
                client.instances.terminate(inst.id)
    finally:
        stop_platform(proc)
    return {
        "nodes": n_nodes,
        "edges": n_edges,
        "dry_run_seconds": dry_run_s,
        "estimate": report.estimate,
        "memory_bytes": memory,
        "disk_bytes": disk,
        "load_seconds": load_s,
    }


def fit(runs: list[dict[str, Any]], metric: str) -> tuple[float, float, float]:
    """``(base, per_node, per_edge)`` by least squares of the *relative* error, so that
    small graphs (where the base cost dominates) fit as well as big ones; each at least 0."""
    import numpy as np

    y = np.array([float(r[metric]) for r in runs])
    a = np.array([[1.0, r["nodes"], r["edges"]] for r in runs]) / y[:, None]
    coef, *_ = np.linalg.lstsq(a, np.ones(len(runs)), rcond=None)
    base, per_node, per_edge = (max(0.0, float(c)) for c in coef)
    return base, per_node, per_edge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="nodes:edges,nodes:edges,...")
    args = parser.parse_args(argv)
    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes.split(",")]
    from graph_olap_server.wrapper.engine import DEFAULT_ENGINE

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, engine {DEFAULT_ENGINE}")
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-dryrun-") as tmp:
        for n_nodes, n_edges in sizes:
            run = measure(Path(tmp), n_nodes, n_edges)
            runs.append(run)
            print(
                f"{n_nodes:>9,} nodes {n_edges:>10,} edges: "
                f"dry run {run['dry_run_seconds']:.2f} s, "
                f"load {run['load_seconds']:.2f} s, memory {run['memory_bytes'] / 1e6:.0f} MB, "
                f"disk {run['disk_bytes'] / 1e6:.1f} MB",
                flush=True,
            )
    print("\nfitted constants (cost = base + per_node * nodes + per_edge * edges):")
    for metric in METRICS:
        base, per_node, per_edge = fit(runs, metric)
        print(
            f'    "{metric}": Costs(base={base:.4g}, per_node={per_node:.4g}, '
            f"per_edge={per_edge:.4g}),"
        )
    print("\nestimate (server's current COSTS) / actual:")
    print(f"{'nodes':>9} {'edges':>10}  {'memory MB':>17}  {'disk MB':>15}  {'load s':>13}")
    for r in runs:
        e = r["estimate"]
        cells = [
            f"{e.memory_bytes / 1e6:>7.0f}/{r['memory_bytes'] / 1e6:<7.0f}",
            f"{e.disk_bytes / 1e6:>6.1f}/{r['disk_bytes'] / 1e6:<6.1f}",
            f"{e.load_seconds:>5.1f}/{r['load_seconds']:<5.1f}",
        ]
        ratios = [
            e.memory_bytes / r["memory_bytes"],
            e.disk_bytes / max(1, r["disk_bytes"]),
            e.load_seconds / r["load_seconds"],
        ]
        print(
            f"{r['nodes']:>9,} {r['edges']:>10,}  {cells[0]:>17}  {cells[1]:>15}  {cells[2]:>13}"
            f"  ratios {' '.join(f'{x:.2f}' for x in ratios)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
