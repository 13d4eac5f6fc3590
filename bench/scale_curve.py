"""How each cost grows with the graph: the scale curve from 1M/5M to 10M/50M.

For each size (nodes/edges; default 1M/5M, 4M/20M and 10M/50M) in turn: a deterministic
warehouse (bench/_platform.py), a fresh local platform in its own process, and from the
notebook's side: ``create_from_mapping_and_wait`` (instance start), then
``conn.algo.pagerank()`` (the first call: it waits for what is left of the wrapper's
background copy of the graph), ``wcc()`` and ``louvain()`` in stream mode, then
``query_df`` of every node (``id``, ``name``, ``score``; no result limit; timed after the
algorithms so that the background copy does not share its cores; the median of three
calls after a first one, which reads the columns into the engine's buffer pool and is
printed apart). Each path's time is
printed with its time per edge relative to the smallest size (target: at most 1.25x at
the largest), and the peak resident memory (``VmHWM``) of the instance's wrapper process
and of the control plane, per edge of the graph. Machines without ``/proc`` print no
memory.

A run writes its figures as JSON (``--out``, default ``bench/results/scale_curve.json``)
and, when matplotlib is installed, the two plots of docs/performance.md
(``--plots docs/images``): time per edge relative to the smallest size, and peak
memory, against the size.

Run: ``.venv/bin/python bench/scale_curve.py --plots docs/images`` (about 6 minutes on 2
cores and 24 GB); ``--sizes 100000:500000,400000:2000000`` for a quick look;
``--from-json bench/results/scale_curve.json --plots docs/images`` to report and plot a
saved run again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _platform import (
    edge_definition,
    make_warehouse,
    node_definition,
    start_platform,
    stop_platform,
    timed,
)

DEFAULT_SIZES = "1000000:5000000,4000000:20000000,10000000:50000000"
PATHS = ("instance start", "query_df all nodes", "pagerank", "wcc", "louvain")
TARGET = 1.25  # time per edge at the largest size, relative to the smallest
ALL_NODES = "MATCH (n:Node) RETURN n.id AS id, n.name AS name, n.score AS score"


def peak_rss(pid: int) -> int | None:
    """The peak resident set size of process ``pid`` in bytes (Linux ``VmHWM``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def wrapper_pid(data_dir: Path) -> int | None:
    """The pid of the instance wrapper whose snapshot lies under ``data_dir`` (the
    platform's data folder; a launcher starts it, so it is no child of the platform)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "graph_olap_server.wrapper" in cmdline and str(data_dir) in cmdline:
            return int(entry.name)
    return None


def one_size(root: Path, nodes: int, edges: int) -> dict[str, Any]:
    """The figures of one size: seconds per path and peak memory of both processes."""
    from graph_olap import GraphOLAPClient
    from graph_olap_server.runner import free_port

    folder = root / f"{nodes}-{edges}"
    folder.mkdir()
    warehouse = folder / "benchwh.duckdb"
    made, _ = timed(lambda: make_warehouse(warehouse, nodes, edges))
    print(f"\n{nodes:,} nodes, {edges:,} edges (warehouse written in {made:.1f} s)", flush=True)
    port = free_port()
    proc = start_platform(folder / "platform", port, warehouse)
    seconds: dict[str, float] = {}
    try:
        client = GraphOLAPClient(f"http://127.0.0.1:{port}", username="bench")
        mapping = client.mappings.create(
            "bench-scale",
            "scale curve",
            node_definitions=[node_definition("benchwh")],
            edge_definitions=[edge_definition("benchwh")],
        )
        seconds["instance start"], inst = timed(
            lambda: client.instances.create_from_mapping_and_wait(
                mapping.id, "bench-scale", timeout=7200, progress=False
            )
        )
        print(f"  instance start      {seconds['instance start']:8.2f} s", flush=True)
        wrapper = wrapper_pid(folder / "platform")
        with client.instances.connect(inst.id) as conn:
            for name in ("pagerank", "wcc", "louvain"):
                run = getattr(conn.algo, name)
                took, result = timed(lambda run=run: run(timeout=7200, show_progress=False))
                assert result.height == nodes, result
                seconds[name] = took
                print(f"  {name:19} {took:8.2f} s", flush=True)

            # after the algorithms: the wrapper's background copy of the graph (started
            # when the load ends, waited for by the first algorithm) is done by then.
            # The first call reads the node columns into the engine's buffer pool; the
            # path's figure is the median of the next three, as bench/query_df.py's is.
            def all_nodes() -> None:
                frame = conn.query_df(ALL_NODES, timeout=3600, max_rows=None, max_bytes=None)
                assert frame.height == nodes, frame

            first, _ = timed(all_nodes)
            took = statistics.median(timed(all_nodes)[0] for _ in range(3))
            seconds["query_df all nodes"] = took
            print(f"  query_df all nodes  {took:8.2f} s (first call {first:.2f} s)", flush=True)
        memory = {
            "wrapper": None if wrapper is None else peak_rss(wrapper),
            "control plane": peak_rss(proc.pid),
        }
        client.instances.terminate(inst.id)
    finally:
        stop_platform(proc)
    return {"nodes": nodes, "edges": edges, "seconds": seconds, "peak_bytes": memory}


def report(runs: list[dict[str, Any]]) -> None:
    """Print the table: seconds, per-edge time relative to the smallest size, memory."""
    smallest = runs[0]
    sizes = [f"{r['nodes'] / 1e6:g}M/{r['edges'] / 1e6:g}M" for r in runs]
    print("\npath (nodes/edges)   " + " ".join(f"{size:>20}" for size in sizes))
    for path in PATHS:
        cells = []
        for run in runs:
            per_edge = run["seconds"][path] / run["edges"]
            relative = per_edge / (smallest["seconds"][path] / smallest["edges"])
            cells.append(f"{run['seconds'][path]:9.2f} s {relative:4.2f}x")
        worst = max(
            (r["seconds"][path] / r["edges"]) / (smallest["seconds"][path] / smallest["edges"])
            for r in runs
        )
        verdict = "ok" if worst <= TARGET else f"over {TARGET}x"
        print(f"{path:20} " + " ".join(f"{c:>20}" for c in cells) + f"   {verdict}")
    for process in ("wrapper", "control plane"):
        cells = []
        for run in runs:
            peak = run["peak_bytes"][process]
            cells.append(
                "n/a" if peak is None else f"{peak / 2**30:5.2f} GiB {peak / run['edges']:5.0f} B/e"
            )
        print(f"peak {process:15} " + " ".join(f"{c:>20}" for c in cells))


def plot(runs: list[dict[str, Any]], folder: Path) -> None:
    """The two plots of docs/performance.md, as PNG files in ``folder``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install matplotlib)")
        return
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [r["edges"] / 1e6 for r in runs]
    fig, ax = plt.subplots(figsize=(7, 4))
    first = runs[0]
    for path in PATHS:
        base = first["seconds"][path] / first["edges"]
        relative = [r["seconds"][path] / r["edges"] / base for r in runs]
        ax.plot(sizes, relative, "o-", label=f"{path} ({base * 1e6:.2f} s per M edges)")
    ax.axhline(TARGET, color="grey", linestyle="--", linewidth=1)
    ax.annotate(f"target {TARGET}x", (sizes[-1], TARGET), textcoords="offset points",
                xytext=(-60, 4), color="grey", fontsize="small")  # fmt: skip
    ax.set_xlabel("edges (millions; nodes are one fifth)")
    ax.set_ylabel("time per edge, relative to the smallest")
    ax.set_title("Time per edge against graph size (1.0 = linear)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", loc="lower left")
    fig.tight_layout()
    fig.savefig(folder / "scale-time-per-edge.png", dpi=120)
    fig, ax = plt.subplots(figsize=(7, 4))
    for process in ("wrapper", "control plane"):
        peaks = [r["peak_bytes"][process] for r in runs]
        if all(p is not None for p in peaks):
            ax.plot(sizes, [p / 2**30 for p in peaks], "o-", label=process)
    ax.set_xlabel("edges (millions; nodes are one fifth)")
    ax.set_ylabel("peak resident memory (GiB)")
    ax.set_title("Peak memory against graph size")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(folder / "scale-peak-memory.png", dpi=120)
    print(f"plots written to {folder}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="nodes:edges,... (ascending)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/scale_curve.json"))
    parser.add_argument("--plots", type=Path, default=None, help="folder for the PNG plots")
    parser.add_argument(
        "--from-json", type=Path, default=None, help="report (and plot) a saved run instead"
    )
    args = parser.parse_args(argv)
    if args.from_json is not None:
        runs = json.loads(args.from_json.read_text())
        report(runs)
    else:
        sizes = [tuple(int(x) for x in part.split(":")) for part in args.sizes.split(",")]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
        runs = []
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            for nodes, edges in sizes:
                runs.append(one_size(Path(tmp), nodes, edges))
        report(runs)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(runs, indent=2))
        print(f"figures written to {args.out}")
    if args.plots is not None:
        plot(runs, args.plots)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
