"""The short workflow the packaging test runs in a fresh virtual environment that holds
only the built wheel (``graph-olap[server,notebook]``): start ``graph-olap server``,
create a mapping, start an instance on the default engine, query it, terminate it.

Run as ``python smoke_workflow.py DATA_DIR PORT`` with that environment's Python; it
prints ``smoke ok`` and exits 0, or fails with the first thing that went wrong.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

import graph_olap.notebook  # noqa: F401  (the notebook extra: its module imports)
from graph_olap import GraphOLAPClient

NODES = [
    {
        "label": "Customer",
        "sql": "SELECT customer_id, name FROM sample.bank.customers",
        "primary_key": {"name": "customer_id", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}],
    }
]


def main(data_dir: Path, port: int) -> None:
    url = f"http://127.0.0.1:{port}"
    server = Path(sys.executable).with_name("graph-olap")
    log = (data_dir.parent / "server.log").open("ab")
    proc = subprocess.Popen(
        [str(server), "server", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"graph-olap server exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=1, trust_env=False).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("graph-olap server did not answer /health within 90 s")
            time.sleep(0.2)
        with GraphOLAPClient(url, username="smoke") as client:
            mapping = client.mappings.create(
                "smoke", "packaging smoke", node_definitions=NODES, edge_definitions=[]
            )
            instance = client.instances.create_from_mapping_and_wait(
                mapping.id, "smoke", timeout=120
            )
            with client.instances.connect(instance.id) as conn:
                count = conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
            assert isinstance(count, int) and count > 0, count
            assert client.instances.terminate(instance.id).status == "terminated"
        print("smoke ok", count)
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
