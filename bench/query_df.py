"""What ``conn.query_df`` costs against running the same query in-process.

Starts the local platform in its own process with a warehouse of N nodes ``(id BIGINT,
name VARCHAR, score DOUBLE)``, creates an instance from a one-label mapping and times
``conn.query_df("MATCH (n:Node) RETURN n.id, n.name, n.score")`` (polars, Arrow stream
over HTTP; median of 5 after a warm-up).

Baseline, in a process of its own: the same kuzu database built from the same Parquet
(DuckDB ``COPY (SELECT ...) TO``), then ``conn.execute(same query).get_as_pl()`` (median
of 5 after a warm-up). Prints the ratio (target: <= 1.6x) and, for information, the time
of ``conn.query()`` (JSON) for 100k rows.

Run: ``.venv/bin/python bench/query_df.py [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _platform import (
    export_parquet,
    load_kuzu,
    make_warehouse,
    node_definition,
    run_child,
    start_platform,
    stop_platform,
)

QUERY = "MATCH (n:Node) RETURN n.id, n.name, n.score"
JSON_ROWS = 100_000
REPEATS = 5


def median_time(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Median seconds of ``repeats`` calls after one warm-up call; also the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def child(warehouse: Path, work: Path) -> None:
    """The baseline: the same graph in kuzu in this process, ``get_as_pl()`` of the query."""
    import polars  # noqa: F401  (imports are not timed)

    node_file, _ = export_parquet(warehouse, work / "parquet", edges=False)
    _db, conn = load_kuzu(work / "graph", node_file, None)
    seconds, frame = median_time(lambda: conn.execute(QUERY).get_as_pl())
    print(json.dumps({"seconds": seconds, "rows": frame.height}))  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    from graph_olap import GraphOLAPClient
    from graph_olap_server.runner import free_port
    from graph_olap_server.wrapper.engine import DEFAULT_ENGINE

    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        root = Path(tmp)
        warehouse = root / "benchwh.duckdb"
        make_warehouse(warehouse, args.rows, 0)
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, engine {DEFAULT_ENGINE}, "
            f"{args.rows:,} rows, median of {REPEATS} after a warm-up"
        )
        base_dir = root / "baseline"
        base_dir.mkdir()
        base = run_child(__file__, str(warehouse), str(base_dir))
        assert base["rows"] == args.rows, base

        port = free_port()
        proc = start_platform(root / "platform", port, warehouse)
        try:
            client = GraphOLAPClient(f"http://127.0.0.1:{port}", username="bench")
            mapping = client.mappings.create(
                "bench-query",
                "query_df benchmark",
                node_definitions=[node_definition("benchwh")],
                edge_definitions=[],
            )
            inst = client.instances.create_from_mapping_and_wait(
                mapping_id=mapping.id, name="bench-query", timeout=1800, poll_interval=0.2
            )
            try:
                conn = client.instances.connect(inst.id)
                df_s, frame = median_time(lambda: conn.query_df(QUERY))
                assert frame.height == args.rows, frame  # type: ignore[attr-defined]
                limited = f"{QUERY} LIMIT {JSON_ROWS}"
                json_s, result = median_time(lambda: conn.query(limited))
                json_rows = result.row_count  # type: ignore[attr-defined]
                df_small_s, _ = median_time(lambda: conn.query_df(limited))
                conn.close()
            finally:
                client.instances.terminate(inst.id)
                client.close()
        finally:
            stop_platform(proc)

    print(f"{'':44} {'seconds':>9}")
    print(f"{'baseline: kuzu execute().get_as_pl()':44} {base['seconds']:>9.3f}")
    print(f"{'platform: conn.query_df()':44} {df_s:>9.3f}")
    print(f"ratio query_df / baseline: {df_s / base['seconds']:.2f}x (target <= 1.6x)")
    print(f"{f'info: conn.query() JSON, {json_rows:,} rows':44} {json_s:>9.3f}")
    print(f"{f'info: conn.query_df(), {JSON_ROWS:,} rows':44} {df_small_s:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
