"""What the SDK adds to a control-plane call, measured against bare httpx.

Starts the local platform in its own process (so client and server do not share a GIL),
creates a few mappings, then times, interleaved in one run:

* ``client.mappings.get(id)``  vs  a bare ``httpx.Client`` keep-alive GET + ``json.loads``
* ``client.mappings.list()``   vs  the same bare GET of ``/api/mappings``

and prints the median per-call time of each and the ratio SDK / bare (target: <= 1.15).

Run: ``make bench`` or ``.venv/bin/python bench/control_plane_calls.py [--rounds N]``.
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

import httpx

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import free_port

sys.path.insert(0, str(Path(__file__).parent))
from _platform import start_platform, stop_platform

NODE = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, city FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [{"name": "name"}, {"name": "city"}],
}


def per_call(fn: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls


def measure(
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]], rounds: int, calls: int
) -> None:
    results: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for _ in range(rounds):
        for name, (bare, sdk) in pairs.items():
            results[name][0].append(per_call(bare, calls))
            results[name][1].append(per_call(sdk, calls))
    print(f"{'call':28} {'bare httpx':>12} {'SDK':>12} {'SDK / bare':>11}")
    for name, (bare_times, sdk_times) in results.items():
        bare_t, sdk_t = statistics.median(bare_times), statistics.median(sdk_times)
        print(f"{name:28} {bare_t * 1e6:>9.0f} us {sdk_t * 1e6:>9.0f} us {sdk_t / bare_t:>10.3f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_platform(Path(tmp), port)
        url = f"http://127.0.0.1:{port}"
        try:
            client = GraphOLAPClient(url, username="bench")
            ids = [
                client.mappings.create(
                    f"bench-{i}", "bench", node_definitions=[NODE], edge_definitions=[]
                ).id
                for i in range(20)
            ]
            bare = httpx.Client(
                base_url=url, headers={"X-Username": "bench", "Accept": "application/json"}
            )
            one = f"/api/mappings/{ids[0]}"

            def bare_get() -> object:
                return json.loads(bare.get(one).content)

            def bare_list() -> object:
                return json.loads(bare.get("/api/mappings", params={"limit": 20}).content)

            pairs = {
                "mappings.get(id)": (bare_get, lambda: client.mappings.get(ids[0])),
                "mappings.list(limit=20)": (bare_list, lambda: client.mappings.list(limit=20)),
            }
            for bare_fn, sdk_fn in pairs.values():  # warm up both paths
                per_call(bare_fn, 20)
                per_call(sdk_fn, 20)
            print(
                f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
                f"{args.rounds} rounds x {args.calls} calls"
            )
            measure(pairs, args.rounds, args.calls)
            bare.close()
            client.close()
        finally:
            stop_platform(proc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
