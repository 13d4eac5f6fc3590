"""How fast do the graph engines load a snapshot, and what makes Ryugraph slow?

Generates (DuckDB, deterministic) N nodes ``(id BIGINT, name VARCHAR, score DOUBLE)`` and
M edges ``(src, dst, weight DOUBLE)`` as Parquet, then times ``COPY ... FROM`` of the
nodes, the edges and the final CHECKPOINT for each engine under load variants (float
type, key type, compression, threads, input order, Arrow/polars frames, in-memory
database). Every (engine, variant) runs in its own subprocess (``ryugraph`` and ``kuzu``
cannot share a process) with a per-step time limit, and the loaded graph is compared
value by value with the Parquet files (``bad`` counts rows that came back different).

Usage::

    .venv/bin/python bench/engine_load.py                        # 1M nodes, 5M edges
    .venv/bin/python bench/engine_load.py --nodes 200000 --edges 1000000 \\
        --engines kuzu,ryugraph --variants double,decimal --step-timeout 60
    PYTHONPATH=/tmp/lbug .venv/bin/python bench/engine_load.py --engines real_ladybug

Results are in docs/engines.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

SCORE = "((hash(i) % 1000000) / 1000.0)::DOUBLE"  # decimals-like doubles (ALP-friendly)
SCORE_RD = "(hash(i) / 18446744073709551615.0)::DOUBLE"  # full-precision doubles


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way of loading the same graph."""

    float_type: str | None = "DOUBLE"  # DDL type of score/weight; None: no float column
    key_type: str = "INT64"
    compression: bool = True
    threads: int = 0  # 0: all cores
    nodes: str = "sorted"  # sorted | shuffled | rd (full-precision scores)
    edges: str = "random"  # random | sorted
    source: str = "parquet"  # parquet | arrow | polars
    in_memory: bool = False


VARIANTS: dict[str, Variant] = {
    "double": Variant(),
    "double_full_precision": Variant(nodes="rd"),
    "float": Variant(float_type="FLOAT"),
    # DuckDB's DECIMAL Parquet columns fail in both engines' Parquet reader
    # ("Unsupported converted type"), so DECIMAL goes through an Arrow table
    "decimal_18_9": Variant(float_type="DECIMAL(18,9)", source="arrow"),
    "no_float_column": Variant(float_type=None),
    "string_key": Variant(key_type="STRING"),
    "compression_off": Variant(compression=False),
    "threads_1": Variant(threads=1),
    "nodes_shuffled": Variant(nodes="shuffled"),
    "edges_sorted": Variant(edges="sorted"),
    "arrow_table": Variant(source="arrow"),
    "polars_frame": Variant(source="polars"),
    "in_memory_db": Variant(in_memory=True),
}
DUCK_TYPES = {"DOUBLE": "DOUBLE", "FLOAT": "FLOAT", "DECIMAL(18,9)": "DECIMAL(18,9)"}


def generate(folder: Path, n_nodes: int, n_edges: int, variants: list[Variant]) -> None:
    """Write the Parquet files ``variants`` need (skips files that exist)."""
    import duckdb

    con = duckdb.connect()
    key = {"INT64": "i::BIGINT", "STRING": "'n' || i"}
    src, dst = f"hash(2 * i) % {n_nodes}", f"hash(2 * i + 1) % {n_nodes}"
    jobs: dict[str, str] = {}
    for ktype, kexpr in key.items():
        for ftype, dtype in [*DUCK_TYPES.items(), (None, None)]:
            score = f", {SCORE}::{dtype} AS score" if dtype else ""
            weight = f", {SCORE.replace('i)', '3 * i)')}::{dtype} AS weight" if dtype else ""
            tag = f"{ktype}_{ftype}"
            jobs[f"nodes_{tag}_sorted"] = (
                f"SELECT {kexpr} AS id, 'name_' || i AS name{score} FROM range({n_nodes}) t(i)"
            )
            ekey = (lambda e: e) if ktype == "INT64" else (lambda e: f"'n' || ({e})")
            edges = (
                f"SELECT {ekey(src)} AS src, {ekey(dst)} AS dst{weight} FROM range({n_edges}) t(i)"
            )
            jobs[f"edges_{tag}_random"] = edges
            jobs[f"edges_{tag}_sorted"] = f"{edges} ORDER BY src, dst"
    base = jobs["nodes_INT64_DOUBLE_sorted"]
    jobs["nodes_INT64_DOUBLE_shuffled"] = f"{base} ORDER BY hash(id + 7)"
    jobs["nodes_INT64_DOUBLE_rd"] = base.replace(SCORE, SCORE_RD)
    folder.mkdir(parents=True, exist_ok=True)
    needed = {path for v in variants for path in files(folder, v)}
    for name, sql in jobs.items():
        path = folder / f"{name}.parquet"
        if path in needed and not path.exists():
            con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")


def files(folder: Path, v: Variant) -> tuple[Path, Path]:
    tag = f"{v.key_type}_{v.float_type}"
    return folder / f"nodes_{tag}_{v.nodes}.parquet", folder / f"edges_{tag}_{v.edges}.parquet"


def emit(**record: Any) -> None:
    print(json.dumps(record), flush=True)


def child(engine: str, variant: Variant, folder: Path, db_dir: Path) -> None:
    """Load one variant into ``engine`` in this process, printing one JSON line per step."""
    import importlib

    mod = importlib.import_module(engine)
    if variant.source != "parquet":  # the engines' frame scans import these: not timed
        import importlib.util

        for name in ("pandas", "polars", "pyarrow.parquet"):
            if importlib.util.find_spec(name.split(".")[0]) is not None:
                importlib.import_module(name)
    node_file, edge_file = files(folder, variant)
    db = mod.Database(
        None if variant.in_memory else str(db_dir / "graph"),
        buffer_pool_size=4 << 30,
        max_num_threads=variant.threads,
        compression=variant.compression,
    )
    conn = mod.Connection(db)
    prop = f", score {variant.float_type}" if variant.float_type else ""
    conn.execute(f"CREATE NODE TABLE N(id {variant.key_type}, name STRING{prop}, PRIMARY KEY(id))")
    conn.execute(f"CREATE REL TABLE E(FROM N TO N{prop.replace('score', 'weight')})")
    for table, path in (("N", node_file), ("E", edge_file)):
        started = time.perf_counter()
        if variant.source == "parquet":
            conn.execute(f"COPY {table} FROM '{path}'")
        else:
            import polars as pl
            import pyarrow.parquet as pq

            frame = pq.read_table(path) if variant.source == "arrow" else pl.read_parquet(path)
            emit(step=f"read_{table}", seconds=time.perf_counter() - started)
            conn.execute(f"COPY {table} FROM $frame", {"frame": frame})
        kind = "nodes" if table == "N" else "edges"
        emit(step=kind, seconds=time.perf_counter() - started)
        if kind == "nodes":  # before the edges, which may not finish in time
            emit(step="verify", bad_nodes=bad_rows(conn, variant, kind, path))
    started = time.perf_counter()
    if not variant.in_memory:
        conn.execute("CHECKPOINT")
    emit(step="checkpoint", seconds=time.perf_counter() - started)
    emit(step="verify", bad_edges=bad_rows(conn, variant, "edges", edge_file))
    size = sum(p.stat().st_size for p in db_dir.rglob("*") if p.is_file())
    emit(step="size", db_bytes=size)


def bad_rows(conn: Any, variant: Variant, kind: str, path: Path) -> int:
    """Rows that differ between the graph and the Parquet file (EXCEPT ALL, both ways)."""
    import duckdb

    if kind == "nodes":
        val = ", n.score AS score" if variant.float_type else ""
        cypher = f"MATCH (n:N) RETURN n.id AS id, n.name AS name{val}"
    else:
        val = ", e.weight AS weight" if variant.float_type else ""
        cypher = f"MATCH (a:N)-[e:E]->(b:N) RETURN a.id AS src, b.id AS dst{val}"
    duck = duckdb.connect()
    duck.register("graph", conn.execute(cypher).get_as_arrow(100_000))
    sql = (
        f"SELECT (SELECT count(*) FROM (FROM '{path}' EXCEPT ALL FROM graph)) "
        f"+ (SELECT count(*) FROM (FROM graph EXCEPT ALL FROM '{path}'))"
    )
    return int(duck.execute(sql).fetchone()[0])  # type: ignore[index]


def run_one(engine: str, name: str, folder: Path, step_timeout: float) -> dict[str, Any]:
    """Run one (engine, variant) child; a step slower than ``step_timeout`` stops it."""
    db_dir = Path(tempfile.mkdtemp(prefix=f"bench-{engine}-", dir=folder))
    args = [sys.executable, __file__, "--child", engine, name, str(folder), str(db_dir)]
    lines: queue.Queue[str | None] = queue.Queue()
    result: dict[str, Any] = {"engine": engine, "variant": name}
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True)

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=step_timeout)
            except queue.Empty:
                proc.kill()
                result["timeout"] = step_timeout
                break
            if line is None:
                break
            record = json.loads(line)
            step = record.pop("step")
            result.update({step: record.pop("seconds")} if "seconds" in record else record)
        if proc.wait() not in (0, -9) and "timeout" not in result:
            errors.seek(0)
            result["error"] = errors.read()[-300:].strip()
    shutil.rmtree(db_dir, ignore_errors=True)
    return result


def cell(result: dict[str, Any], step: str) -> str:
    if step in result:
        return f"{result[step]:.2f}"
    return f">{result['timeout']:.0f}" if "timeout" in result else "err"


def report(results: list[dict[str, Any]], engines: list[str]) -> None:
    """Print a markdown table: per engine nodes/edges/checkpoint seconds and bad rows."""
    by_key = {(r["engine"], r["variant"]): r for r in results}
    head = "| variant | " + " | ".join(f"{e} nodes s | {e} edges s | {e} bad" for e in engines)
    ratio = len(engines) > 1
    print(head + (f" | {engines[1]}/{engines[0]} total |" if ratio else " |"))
    print("|---" * (1 + 3 * len(engines) + ratio) + "|")
    for name in dict.fromkeys(r["variant"] for r in results):
        cells, totals = [], []
        for e in engines:
            r = by_key.get((e, name), {"error": "not run"})
            bad = f"{r.get('bad_nodes', '-')}/{r.get('bad_edges', '-')}"
            cells += [cell(r, "nodes"), cell(r, "edges"), bad]
            done = all(s in r for s in ("nodes", "edges", "checkpoint"))
            totals.append(r["nodes"] + r["edges"] + r["checkpoint"] if done else None)
        line = f"| {name} | " + " | ".join(cells)
        if ratio:
            a, b = totals[0], totals[1]
            line += f" | {b / a:.1f}x" if a and b else " | -"
        print(line + " |")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        engine, name, folder, db_dir = argv[1:5]
        child(engine, VARIANTS[name], Path(folder), Path(db_dir))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--engines", default="kuzu,ryugraph")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--step-timeout", type=float, default=120.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    opts = parser.parse_args(argv)
    folder = opts.workdir or Path(tempfile.gettempdir()) / "graph-olap-bench"
    folder = folder / f"{opts.nodes}x{opts.edges}"
    started = time.perf_counter()
    names = opts.variants.split(",")
    generate(folder, opts.nodes, opts.edges, [VARIANTS[name] for name in names])
    print(
        f"data: {opts.nodes:,} nodes, {opts.edges:,} edges in {folder} "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    engines = opts.engines.split(",")
    results = []
    for name in names:
        for engine in engines:
            results.append(run_one(engine, name, folder, opts.step_timeout))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    report(results, engines)
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
