"""The child process of test_projection_during_load.py: a real Kùzu load, in-process.

``kuzu`` must stay out of the pytest process, so the test runs this script and reads the
JSON it prints. Usage: ``python projection_during_load_child.py MODE SNAPSHOT [ENGINE]``.

- ``compare``: load with the wrapper's hooks (the projection built during the load), then
  print that projection and the one ``build_projection`` reads from the engine, with
  PageRank, WCC and Louvain on both.
- ``wait``: like ``compare``, but a PageRank run is submitted before ``warm_up`` and must
  be seen waiting for the projection being built before the load is declared done.
- ``broken``: a snapshot whose edges cannot load: what the build during the load did.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from graph_olap_server.wrapper.algo.base import Progress
from graph_olap_server.wrapper.algo.executions import ExecutionManager
from graph_olap_server.wrapper.algo.native import native_info
from graph_olap_server.wrapper.algo.plans import RunRequest, plan_native
from graph_olap_server.wrapper.algo.projection import Projection, build_projection, select
from graph_olap_server.wrapper.engine import EmbeddedEngine
from graph_olap_server.wrapper.loader import Loader, LoadState

EDGE_QUERY = "RETURN offset(id(a))"  # the engine build's relationship queries


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class CountingEngine(EmbeddedEngine):
    """The real engine, counting the engine build's relationship queries."""

    edge_queries = 0

    def query(self, cypher: str, *args: Any, **kwargs: Any) -> Any:
        if EDGE_QUERY in cypher:
            self.edge_queries += 1
        return super().query(cypher, *args, **kwargs)


def described(p: Projection) -> dict[str, Any]:
    """Everything a projection holds, edges in a canonical order, and three algorithms."""
    import networkit as nk

    nk.setNumberOfThreads(1)  # Leiden with one thread and a seed is deterministic
    order = np.lexsort((p.dst, p.src))
    out: dict[str, Any] = {
        "blocks": [
            [b.label, b.key_name, b.key_type, str(b.keys.type), b.keys.to_pylist(), b.base, b.size]
            for b in p.blocks
        ],
        "edges": np.stack([p.src[order], p.dst[order]]).tolist(),
        "weight": None if p.weight is None else p.weight.tolist(),
        "relationship_types": list(p.relationship_types),
    }
    for name in ("pagerank", "wcc", "louvain"):
        algorithm = native_info(name)
        nk.engineering.setSeed(seed=7, useThreadId=False)
        result = algorithm.run(p, algorithm.coerce({}), None, Progress())
        out[name] = {c: np.asarray(v).tolist() for c, v in (result.columns or {}).items()}
    return out


def main(mode: str, snapshot: Path, engine_name: str = "kuzu") -> dict[str, Any]:
    logs = Collect()
    logging.getLogger("graph_olap_server").addHandler(logs)
    logging.getLogger("graph_olap_server").setLevel(logging.INFO)
    engine = CountingEngine(engine_name)
    state = LoadState()
    loader = Loader(engine, snapshot, None, 2, state)
    loader.snapshot_ready.set()

    def manifest() -> Any:
        assert loader.manifest is not None
        return loader.manifest

    manager = ExecutionManager(engine, manifest)
    started: dict[str, threading.Thread | None] = {}
    report: dict[str, Any] = {}

    def nodes_loaded() -> None:
        started["during_load"] = manager.warm_during_load()

    def ready() -> None:
        if mode == "wait":  # a run submitted while the projection is still being built
            plan = plan_native("pagerank", RunRequest(), manifest())
            execution = manager.submit(plan, "alice")
            waiting = "waiting for the same projection"
            # polls a condition (no timing bet): the run reaches it or ends
            while waiting not in execution.progress.message and not execution.done.wait(0.01):
                pass
            report["run_waited"] = not execution.finished
            report["execution"] = execution
        started["warm_up"] = manager.warm_up()

    loader.on_nodes_loaded = nodes_loaded
    loader.on_ready = ready
    loader.run()
    report["phase"] = state.phase
    report["error"] = state.error_message
    report["warm_up_started_a_build"] = started.get("warm_up") is not None
    if mode == "broken":
        manager.close()  # a build waiting for a load that never ends gives up
    for thread in started.values():
        if thread is not None:
            thread.join(60)
            report.setdefault("still_building", False)
            report["still_building"] |= thread.is_alive()
    report["cached"] = len(manager.projections)
    if state.phase == "ready":
        selection = select(manifest(), None, None, None)
        before = engine.edge_queries
        projection, built = manager.projections.lookup(engine, manifest(), selection, Progress())
        report["lookup_built"] = built
        report["matrix_prebuilt"] = ("csr", "natural", False, "sum") in projection._cache
        report["engine_builds_in_advance"] = before // max(1, len(selection.edges))
        report["during_load"] = described(projection)
        report["engine"] = described(build_projection(engine, manifest(), selection, Progress()))
        report["csr_equal"] = all(
            (a != b).nnz == 0
            for a, b in [
                (
                    projection.csr(o),
                    build_projection(engine, manifest(), selection, Progress()).csr(o),
                )
                for o in ("natural", "undirected")
            ]
        )
    execution = report.pop("execution", None)
    if execution is not None:
        execution.done.wait(60)
        report["run_status"] = execution.status
        report["run_projection"] = execution.summary.get("projection")
    report["logs"] = logs.messages
    manager.close()
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]), *sys.argv[3:])))
