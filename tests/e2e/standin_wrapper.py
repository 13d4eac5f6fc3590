"""A stand-in wrapper process for the control plane's runtime tests.

It takes the wrapper's command line (``docs/design-instances.md``), checks the snapshot
folder (manifest and files, row counts read back with DuckDB) and serves ``/health``,
``/ready``, ``/progress`` (token), ``/threads`` (token) and ``/internal/snapshot/ready``
(token; with ``--await-snapshot`` it reads nothing before it) on 127.0.0.1. How it behaves
is chosen per mapping in a JSON file (``--behaviour FILE``: ``{"<mapping_id>": mode}``):

* ``ok`` (default): loads in a few steps, then is ready;
* ``fail``: reports phase ``failed`` with an error (and keeps running);
* ``exit``: prints an error and exits with status 3 while loading;
* ``stubborn``: like ``ok`` but ignores SIGTERM (the runtime must SIGKILL it).

Only the standard library and DuckDB: it must start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

STATE: dict[str, Any] = {"phase": "downloading", "steps": [], "error": None, "threads": 0}
GO = threading.Event()
"""Set when the snapshot may be read: at once, or with ``--await-snapshot`` on ``POST
/internal/snapshot/ready`` (token), as the real wrapper does."""


def _step(name: str, kind: str, status: str, rows: int | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "status": status,
        "row_count": rows,
        "duration_ms": 1 if status == "completed" else None,
        "error": None,
    }


def load(snapshot: Path, behaviour: Path) -> None:
    if not GO.is_set():
        STATE["phase"] = "waiting_for_snapshot"
        GO.wait()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    behaviours = json.loads(behaviour.read_text() or "{}")
    mode = behaviours.get(str(manifest["mapping_id"]), "ok")
    STATE["stubborn"] = mode == "stubborn"
    STATE["phase"] = "downloading"
    defs = [("schema", "schema", None)]
    defs += [(f"node:{n['label']}", "node", n) for n in manifest["nodes"]]
    defs += [(f"edge:{e['type']}", "edge", e) for e in manifest["edges"]]
    STATE["steps"] = [_step(name, kind, "pending") for name, kind, _ in defs]
    import duckdb

    con = duckdb.connect()
    for i, (name, kind, entry) in enumerate(defs):
        STATE["phase"] = "loading_schema" if kind == "schema" else "loading_data"
        STATE["steps"][i] = _step(name, kind, "running")
        time.sleep(0.05)
        rows = None
        if entry is not None:
            path = (snapshot / entry["file"]).as_posix()
            rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
            assert rows == entry["row_count"], (name, rows, entry["row_count"])
        if mode == "exit" and kind == "edge":
            print(f"stand-in wrapper: cannot load {name}: simulated crash", flush=True)
            os._exit(3)
        if mode == "fail" and kind == "edge":
            STATE["phase"], STATE["error"] = "failed", f"simulated failure loading {name}"
            STATE["steps"][i] = {**_step(name, kind, "failed"), "error": STATE["error"]}
            return
        STATE["steps"][i] = _step(name, kind, "completed", rows)
    STATE["phase"] = "ready"


class Handler(BaseHTTPRequestHandler):
    args: argparse.Namespace
    token: str

    def log_message(self, *_: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("X-Wrapper-Token") == self.token:
            return True
        self._send(401, {"error": {"code": "UNAUTHORIZED", "message": "bad token"}})
        return False

    def do_GET(self) -> None:
        if self.path == "/health":
            status = {"ready": "healthy", "failed": "failed"}.get(STATE["phase"], "loading")
            self._send(
                200,
                {
                    "status": status,
                    "instance_id": self.args.instance_id,
                    "phase": STATE["phase"],
                    "engine": self.args.engine,
                    "error": STATE["error"],
                    "threads": STATE["threads"],
                    "control_plane": self.args.control_plane,
                },
            )
        elif self.path == "/ready":
            ready = STATE["phase"] == "ready"
            self._send(200 if ready else 503, {"status": "ready" if ready else STATE["phase"]})
        elif self.path == "/progress":
            if self._authorised():
                body = {k: STATE[k] for k in ("phase", "steps")}
                self._send(200, {**body, "error_message": STATE["error"]})
        else:
            self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})

    def do_POST(self) -> None:
        if self.path == "/internal/snapshot/ready" and self._authorised():
            GO.set()
            self._send(200, {k: STATE[k] for k in ("phase", "steps")})
        elif self.path != "/internal/snapshot/ready":
            self._send(404, {"error": {"code": "NOT_FOUND", "message": self.path}})

    def do_PUT(self) -> None:
        if self.path == "/threads" and self._authorised():
            length = int(self.headers.get("Content-Length") or 0)
            STATE["threads"] = int(json.loads(self.rfile.read(length))["threads"])
            self._send(200, {"data": {"threads": STATE["threads"]}})


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--snapshot", "--data-dir", "--engine", "--control-plane", "--behaviour"):
        parser.add_argument(name, required=True)
    for name in ("--instance-id", "--port", "--threads"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--await-snapshot", action="store_true")
    args = parser.parse_args()
    token = os.environ["GRAPH_OLAP_WRAPPER_TOKEN"]
    STATE["threads"] = args.threads
    snapshot = Path(args.snapshot)
    if not args.await_snapshot:
        GO.set()
    # ``stubborn`` ignores SIGTERM; the mode is known once the manifest is read
    signal.signal(signal.SIGTERM, lambda *_: None if STATE.get("stubborn") else os._exit(0))
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    (Path(args.data_dir) / "graph.db").write_text("stand-in graph files")
    Handler.args, Handler.token = args, token
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=load, args=(snapshot, Path(args.behaviour)), daemon=True).start()
    print(f"stand-in wrapper for instance {args.instance_id} on port {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
