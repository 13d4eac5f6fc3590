"""How long does an instance take to start, against loading the same graph by hand?

Generates (DuckDB, deterministic) a warehouse file with N nodes ``(id BIGINT, name VARCHAR,
score DOUBLE)`` and M edges ``(src, dst, weight DOUBLE)``, starts the local platform in its
own process with that file as its warehouse, creates a mapping (``Node`` with ``id`` INT64
key, ``name`` STRING and ``score`` DOUBLE; ``LINK`` from ``src`` to ``dst`` with ``weight``
DOUBLE) and times ``client.instances.create_from_mapping_and_wait`` end to end, with the
SDK's default polling (waits are held on the platform until the progress changes).

Baseline, in one process of its own: DuckDB ``COPY (SELECT ...) TO`` Parquet of both
tables, then a kuzu database on disk, ``CREATE NODE/REL TABLE`` and ``COPY ... FROM`` the
Parquet files (imports not timed). Each side runs ``--repeat`` times (default 3); prints
the medians and their ratio (target: <= 1.05x).

Run: ``.venv/bin/python bench/instance_start.py [--nodes 1000000 --edges 5000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _platform import (
    edge_definition,
    export_parquet,
    load_kuzu,
    make_warehouse,
    node_definition,
    run_child,
    start_platform,
    stop_platform,
)


def child(warehouse: Path, work: Path) -> None:
    """The baseline: export to Parquet and load kuzu, in this (fresh) process."""
    import duckdb  # noqa: F401  (imports are not timed)
    import kuzu  # noqa: F401

    started = time.perf_counter()
    node_file, edge_file = export_parquet(warehouse, work / "parquet", edges=True)
    exported = time.perf_counter() - started
    _db, conn = load_kuzu(work / "graph", node_file, edge_file)
    total = time.perf_counter() - started
    count = conn.execute("MATCH ()-[e:LINK]->() RETURN count(e)").get_next()[0]
    print(json.dumps({"export": exported, "total": total, "edges": count}))


def steps(progress: object) -> str:
    """``name stage ms`` of each step the platform reported, for information."""
    parts = []
    for step in getattr(progress, "steps", None) or []:
        get = step.get if isinstance(step, dict) else lambda k, s=step: getattr(s, k, None)
        parts.append(f"{get('stage') or '?'}:{get('name')} {get('duration_ms')} ms")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each side; the medians are compared"
    )
    args = parser.parse_args(argv)

    from graph_olap import GraphOLAPClient
    from graph_olap_server.runner import free_port
    from graph_olap_server.wrapper.engine import DEFAULT_ENGINE

    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        root = Path(tmp)
        warehouse = root / "benchwh.duckdb"
        started = time.perf_counter()
        make_warehouse(warehouse, args.nodes, args.edges)
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, engine {DEFAULT_ENGINE}, "
            f"{args.nodes:,} nodes, {args.edges:,} edges "
            f"(warehouse generated in {time.perf_counter() - started:.1f} s)"
        )

        port = free_port()
        proc = start_platform(root / "platform", port, warehouse)
        bases, times = [], []
        try:
            client = GraphOLAPClient(f"http://127.0.0.1:{port}", username="bench")
            mapping = client.mappings.create(
                "bench-start",
                "instance start benchmark",
                node_definitions=[node_definition("benchwh")],
                edge_definitions=[edge_definition("benchwh")],
            )
            for run in range(args.repeat):  # one of each in turn: both see the same machine
                base_dir = root / f"baseline-{run}"
                base_dir.mkdir()
                bases.append(run_child(__file__, str(warehouse), str(base_dir)))
                assert bases[-1]["edges"] == args.edges, bases[-1]
                shutil.rmtree(base_dir)
                started = time.perf_counter()
                inst = client.instances.create_from_mapping_and_wait(  # default polling
                    mapping_id=mapping.id, name=f"bench-start-{run}", timeout=1800
                )
                times.append(time.perf_counter() - started)
                try:
                    print("platform steps:", steps(client.instances.get_progress(inst.id)))
                    conn = client.instances.connect(inst.id)
                    got = conn.query_scalar("MATCH ()-[e:LINK]->() RETURN count(e)")
                    assert got == args.edges, got
                    conn.close()
                finally:
                    client.instances.terminate(inst.id)
            client.close()
        finally:
            stop_platform(proc)
        base = {key: statistics.median(b[key] for b in bases) for key in ("export", "total")}
        platform_s = statistics.median(times)

    print(f"{'':38} {'seconds':>9}   (median of {args.repeat})")
    print(f"{'baseline: DuckDB -> Parquet':38} {base['export']:>9.2f}")
    print(f"{'baseline: total (+ kuzu CREATE, COPY)':38} {base['total']:>9.2f}")
    print(f"{'platform: create_from_mapping_and_wait':38} {platform_s:>9.2f}")
    print(f"ratio platform / baseline: {platform_s / base['total']:.2f}x (target <= 1.05x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
