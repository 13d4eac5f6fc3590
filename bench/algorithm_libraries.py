"""Which library should run each native algorithm? Build + run time per library.

Generates a seeded random directed graph (uniform ends, like bench/_platform.py's
warehouse; default 1M nodes, 5M edges, float weights) as the dense numpy arrays a
projection holds, then times, per library, building its graph from those arrays and
running PageRank, weakly connected components and Louvain/Leiden. NetworkX runs on a
graph of the same average degree scaled down to ``--nx-edges`` edges (its per-edge cost
is reported for comparison). The ``graph_olap`` rows are the native algorithms themselves
(graph_olap_server.wrapper.algo) on a fresh projection, so they include the projection's
own graph building. Each measurement runs in a fresh subprocess (no cache or allocator
state carried over) with a time limit.

``--native`` times every native algorithm on one projection instead (in one process, as
the wrapper runs them); ``--louvain-variants`` compares networkit's PLM and ParallelLeiden
on a planted-partition and a uniform random graph. Each prints a Markdown table; results
are in docs/algorithms.md.

Usage::

    .venv/bin/python bench/algorithm_libraries.py
    .venv/bin/python bench/algorithm_libraries.py --nodes 100000 --edges 500000 --only pagerank
    .venv/bin/python bench/algorithm_libraries.py --native
    .venv/bin/python bench/algorithm_libraries.py --louvain-variants
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

CASES: dict[str, list[str]] = {
    "pagerank": ["scipy", "networkit", "igraph", "graph_olap", "networkx"],
    "wcc": ["scipy", "networkit", "igraph", "graph_olap", "networkx"],
    "louvain": [
        "networkit-plm",
        "networkit-leiden",
        "igraph-multilevel",
        "igraph-leiden",
        "graph_olap",
        "networkx",
    ],
}


def make_graph(nodes: int, edges: int, seed: int = 7) -> tuple[Any, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    src = rng.integers(0, nodes, edges, dtype=np.int64)
    dst = rng.integers(0, nodes, edges, dtype=np.int64)
    # a projection reads edges grouped by source, as the engine returns them
    order = np.argsort(src, kind="stable")
    return src[order], dst[order], rng.random(edges)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _scipy(algorithm: str, n: int, src: Any, dst: Any, weight: Any) -> tuple[float, float, Any]:
    import numpy as np
    import scipy.sparse as sp
    from scipy.sparse import csgraph

    build, matrix = _timed(lambda: sp.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n)))
    if algorithm == "wcc":
        run, (count, _) = _timed(
            lambda: csgraph.connected_components(matrix, directed=True, connection="weak")
        )
        return build, run, {"components": int(count)}

    def power() -> int:
        out = np.asarray(matrix.sum(axis=1)).reshape(-1)
        share = np.divide(1.0, out, out=np.zeros(n), where=out != 0)
        x = np.full(n, 1.0 / n)
        for i in range(1, 101):
            last = x
            x = 0.85 * ((last * share) @ matrix + last[out == 0].sum() / n) + 0.15 / n
            if np.abs(x - last).sum() < n * 1e-10:
                return i
        return 100

    run, iterations = _timed(power)
    return build, run, {"iterations": iterations}


def _networkit(algorithm: str, n: int, src: Any, dst: Any, weight: Any) -> tuple[float, float, Any]:
    import networkit as nk
    import numpy as np
    import scipy.sparse as sp

    directed = algorithm == "pagerank"

    def build_graph() -> Any:
        rows, cols = (src, dst) if directed else (np.minimum(src, dst), np.maximum(src, dst))
        data = weight if algorithm.startswith("louvain") else np.ones(len(src))
        matrix = sp.csr_array((data, (rows, cols)), shape=(n, n))
        matrix.sum_duplicates()
        weighted = algorithm.startswith("louvain")
        return nk.graph.GraphFromCsr(matrix, directed=directed, weighted=weighted)

    build, graph = _timed(build_graph)
    if algorithm == "pagerank":
        sinks = nk.centrality.SinkHandling.DistributeSinks
        pr = nk.centrality.PageRank(graph, damp=0.85, tol=1e-10, distributeSinks=sinks)
        run, _ = _timed(pr.run)
        return build, run, {"iterations": pr.numberOfIterations()}
    if algorithm == "wcc":
        cc = nk.components.ConnectedComponents(graph)
        run, _ = _timed(cc.run)
        return build, run, {"components": cc.numberOfComponents()}
    if algorithm == "louvain-plm":
        method: Any = nk.community.PLM(graph, refine=True)
    else:
        method = nk.community.ParallelLeiden(graph)
    run, _ = _timed(method.run)
    partition = method.getPartition()
    quality = nk.community.Modularity().getQuality(partition, graph)
    return build, run, {"modularity": round(quality, 4), "communities": partition.numberOfSubsets()}


def _igraph(algorithm: str, n: int, src: Any, dst: Any, weight: Any) -> tuple[float, float, Any]:
    import igraph as ig
    import numpy as np

    directed = algorithm == "pagerank"
    edges = np.column_stack([src, dst])
    build, graph = _timed(lambda: ig.Graph(n=n, edges=edges, directed=directed))
    if algorithm == "pagerank":
        run, _ = _timed(lambda: graph.pagerank(damping=0.85, implementation="prpack"))
        return build, run, {}
    if algorithm == "wcc":
        run, parts = _timed(lambda: graph.connected_components(mode="weak"))
        return build, run, {"components": len(parts)}
    if algorithm == "louvain-multilevel":
        run, parts = _timed(lambda: graph.community_multilevel(weights=weight))
    else:
        run, parts = _timed(
            lambda: graph.community_leiden(
                objective_function="modularity", weights=weight, n_iterations=2
            )
        )
    quality = graph.modularity(parts.membership, weights=weight)
    return build, run, {"modularity": round(quality, 4), "communities": len(parts)}


def _graph_olap(
    algorithm: str, n: int, src: Any, dst: Any, weight: Any
) -> tuple[float, float, Any]:
    import numpy as np

    from graph_olap_server.wrapper.algo.base import Progress
    from graph_olap_server.wrapper.algo.native import native_info
    from graph_olap_server.wrapper.algo.projection import Projection

    weighted = algorithm == "louvain"
    projection = Projection.from_arrays(src, dst, weight if weighted else None, keys=np.arange(n))
    native = native_info(algorithm)
    started = time.perf_counter()
    output = native.run(projection, {}, None, Progress())
    total = time.perf_counter() - started
    return 0.0, total, {k: v for k, v in output.stats.items() if k != "last_change"}


def _networkx(algorithm: str, n: int, src: Any, dst: Any, weight: Any) -> tuple[float, float, Any]:
    import networkx as nx

    directed = algorithm == "pagerank"

    def build_graph() -> Any:
        graph = nx.DiGraph() if directed else nx.Graph()
        graph.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), weight.tolist(), strict=True))
        return graph

    build, graph = _timed(build_graph)
    if algorithm == "pagerank":
        run, _ = _timed(lambda: nx.pagerank(graph, weight=None, tol=1e-10))
        return build, run, {}
    if algorithm == "wcc":
        run, parts = _timed(lambda: list(nx.connected_components(graph)))
        return build, run, {"components": len(parts)}
    run, parts = _timed(lambda: nx.community.louvain_communities(graph, seed=1))
    quality = nx.community.modularity(graph, parts)
    return build, run, {"modularity": round(quality, 4), "communities": len(parts)}


def child(algorithm: str, library: str, nodes: int, edges: int, nx_edges: int) -> dict[str, Any]:
    if library == "networkx":  # the same shape (average degree), scaled down
        nodes, edges = max(1, nodes * nx_edges // edges), nx_edges
    src, dst, weight = make_graph(nodes, edges)
    name = algorithm
    runner = {
        "scipy": _scipy,
        "networkit": _networkit,
        "igraph": _igraph,
        "graph_olap": _graph_olap,
        "networkx": _networkx,
    }[library.split("-")[0]]
    if "-" in library:
        name = f"{algorithm}-{library.split('-', 1)[1]}"
    build, run, extra = runner(name, nodes, src, dst, weight)
    return {"build_s": build, "run_s": run, "edges": edges, "extra": extra}


def native_times(nodes: int, edges: int) -> None:
    """Every native algorithm on one projection, in catalog order (as a wrapper would:
    library graphs built by the first algorithm that needs them, then reused)."""
    import numpy as np

    from graph_olap_server.wrapper.algo.base import Progress
    from graph_olap_server.wrapper.algo.native import native_catalog
    from graph_olap_server.wrapper.algo.projection import Projection

    src, dst, weight = make_graph(nodes, edges)
    plain = Projection.from_arrays(src, dst, keys=np.arange(nodes))
    weighted = Projection.from_arrays(src, dst, weight, keys=np.arange(nodes))
    print(f"{nodes:,} nodes, {edges:,} random edges, {os.cpu_count()} cores\n")
    print("| algorithm | weights | orientation | seconds | summary |")
    print("|---|---|---|---:|---|")
    for algorithm in native_catalog():
        for p in (plain, weighted) if algorithm.info.weighted else (plain,):
            params: dict[str, Any] = {}
            if any(x.name == "source" for x in algorithm.info.parameters):
                names = {x.name for x in algorithm.info.parameters}
                params = {k: v for k, v in {"source": 0, "target": nodes - 1}.items() if k in names}
            seconds, output = _timed(
                lambda a=algorithm, p=p, params=params: a.run(p, params, None, Progress())
            )
            stats = {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in output.stats.items()
            }
            print(
                f"| {algorithm.name} | {'yes' if p.weight is not None else 'no'} | "
                f"{algorithm.info.default_orientation} | {seconds:.2f} | {stats} |",
                flush=True,
            )


def louvain_variants(nodes: int, edges: int) -> None:
    """networkit PLM (with and without refinement) and ParallelLeiden, unweighted, on a
    planted-partition graph (80% of edges inside 1,000-node groups) and a uniform one."""
    import networkit as nk
    import numpy as np
    import scipy.sparse as sp

    print(f"{nodes:,} nodes, {edges:,} edges, {os.cpu_count()} cores\n")
    print("| graph | method | seconds | modularity | communities |")
    print("|---|---|---:|---:|---:|")
    rng = np.random.default_rng(7)
    for kind in ("planted", "random"):
        src = rng.integers(0, nodes, edges)
        dst = rng.integers(0, nodes, edges)
        if kind == "planted":
            inside = rng.random(edges) < 0.8
            group_start = (src // 1000) * 1000
            dst = np.where(
                inside, np.minimum(group_start + rng.integers(0, 1000, edges), nodes - 1), dst
            )
        rows, cols = np.minimum(src, dst), np.maximum(src, dst)
        upper = sp.csr_array((np.ones(edges), (rows, cols)), shape=(nodes, nodes))
        upper.sum_duplicates()
        graph = nk.graph.GraphFromCsr(upper, directed=False, weighted=False)
        methods: dict[str, Callable[[Any], Any]] = {
            "PLM + refine": lambda g: nk.community.PLM(g, refine=True),
            "PLM": lambda g: nk.community.PLM(g, refine=False),
            "ParallelLeiden": lambda g: nk.community.ParallelLeiden(g),
        }
        for name, make in methods.items():
            method = make(graph)
            seconds, _ = _timed(method.run)
            partition = method.getPartition()
            quality = nk.community.Modularity().getQuality(partition, graph)
            print(
                f"| {kind} | {name} | {seconds:.1f} | {quality:.3f} | "
                f"{partition.numberOfSubsets()} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--nx-edges", type=int, default=100_000)
    parser.add_argument("--only", default="", help="comma-separated algorithms")
    parser.add_argument("--libraries", default="", help="comma-separated libraries")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--child", nargs=2, metavar=("ALGORITHM", "LIBRARY"))
    parser.add_argument("--native", action="store_true", help="time every native algorithm")
    parser.add_argument("--louvain-variants", action="store_true", help="PLM and Leiden")
    args = parser.parse_args()
    if args.louvain_variants:
        louvain_variants(args.nodes, args.edges)
        return
    if args.native:
        native_times(args.nodes, args.edges)
        return
    if args.child:
        result = child(*args.child, args.nodes, args.edges, args.nx_edges)
        print(json.dumps(result))
        return
    wanted = [a for a in args.only.split(",") if a] or list(CASES)
    print(
        f"{args.nodes:,} nodes, {args.edges:,} random edges, {os.cpu_count()} cores; "
        f"NetworkX on {args.nx_edges:,} edges (same average degree)\n"
    )
    print("| algorithm | library | build s | run s | total s | µs/edge | notes |")
    print("|---|---|---:|---:|---:|---:|---|")
    for algorithm in wanted:
        for library in CASES[algorithm]:
            if args.libraries and library not in args.libraries.split(","):
                continue
            cmd = [
                sys.executable,
                __file__,
                "--nodes",
                str(args.nodes),
                "--edges",
                str(args.edges),
                "--nx-edges",
                str(args.nx_edges),
                "--child",
                algorithm,
                library,
            ]
            try:
                done = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=args.timeout, check=True
                )
                r = json.loads(done.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                print(f"| {algorithm} | {library} | | | > {args.timeout:.0f} | | timeout |")
                continue
            except subprocess.CalledProcessError as err:
                tail = (err.stderr or "").strip().splitlines()[-1:]
                print(f"| {algorithm} | {library} | | | | | failed: {tail} |")
                continue
            total = r["build_s"] + r["run_s"]
            per_edge = total / r["edges"] * 1e6
            notes = ", ".join(f"{k} {v}" for k, v in r["extra"].items())
            print(
                f"| {algorithm} | {library} | {r['build_s']:.2f} | {r['run_s']:.2f} | "
                f"{total:.2f} | {per_edge:.2f} | {notes} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
