"""Loading a snapshot into the engine, in a background thread, with progress.

Phases: ``pod_scheduled`` (the process runs) → ``downloading`` (a snapshot in object
storage copied file by file into the instance's folder, one ``download:<file>`` step
each; manifest read, every file present and readable, its row count as the manifest
says) → ``loading_schema`` →
``loading_data`` (one step per node file, then per edge file) → ``ready`` | ``failed``.
Steps have the snapshot step shape: ``{"name": "node:Customer", "kind":
"schema"|"node"|"edge", "status": "pending"|"running"|"completed"|"failed", "row_count",
"duration_ms", "error"}``. Any failure ends in ``failed`` with a message naming the label
or type and quoting the engine; the loader never hangs on a bad file.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graph_olap_server.storage import StorageError, is_object_uri
from graph_olap_server.storage.download import download_snapshot
from graph_olap_server.wrapper.engine import EngineError, GraphEngine
from graph_olap_server.wrapper.manifest import (
    EdgeFile,
    Manifest,
    ManifestError,
    NodeFile,
    ddl_type,
)
from graph_olap_server.wrapper.schemas import LoadProgress, LoadStep

__all__ = ["AWAITING_SNAPSHOT", "SNAPSHOT_READY_PATH", "LoadState", "Loader"]

log = logging.getLogger("graph_olap_server.wrapper")


SNAPSHOT_READY_PATH = "/internal/snapshot/ready"
"""Where the control plane says the export is done (its twin: ``runtime/wrapper_client.py``)."""
AWAITING_SNAPSHOT = "waiting_for_snapshot"
"""The phase of a wrapper started during the export, until it is told the snapshot is
ready (the control plane tells it again while it reports this phase)."""


class _StepFailed(Exception):
    pass


class LoadState:
    """Thread-safe phase, steps and error of one load (read by ``/progress``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.phase = "pod_scheduled"
        self.error_message: str | None = None
        self.started_at = dt.datetime.now(dt.timezone.utc).isoformat()
        self.steps: list[LoadStep] = []
        self.current_step: str | None = None

    def set_phase(self, phase: str, error: str | None = None) -> None:
        with self._lock:
            self.phase = phase
            if error is not None:
                self.error_message = error
            if phase in ("ready", "failed"):
                self.current_step = None

    def add_step(self, name: str, kind: str) -> None:
        with self._lock:
            self.steps.append(LoadStep(name=name, kind=kind))

    def update_step(self, name: str, **values: Any) -> None:
        with self._lock:
            step = next(s for s in self.steps if s.name == name)
            for field, value in values.items():
                setattr(step, field, value)
            if values.get("status") == "running":
                self.current_step = name

    def snapshot(self) -> LoadProgress:
        """The load as ``GET /progress`` answers it (a copy: later steps do not change it)."""
        with self._lock:
            return LoadProgress(
                phase=self.phase,
                steps=[s.model_copy() for s in self.steps],
                error_message=self.error_message,
                current_step=self.current_step,
                started_at=self.started_at,
            )

    @property
    def ready(self) -> bool:
        return self.phase == "ready"

    @property
    def failed(self) -> bool:
        return self.phase == "failed"


def _edge_step(edge: EdgeFile, manifest: Manifest) -> str:
    if len(manifest.edge_groups()[edge.type]) > 1:
        return f"edge:{edge.type}({edge.from_node}->{edge.to_node})"
    return f"edge:{edge.type}"


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _graph_type_of(arrow_type: Any) -> str:
    """The graph type a Parquet column of ``arrow_type`` holds (best effort)."""
    import pyarrow as pa

    if pa.types.is_decimal(arrow_type):
        return f"DECIMAL({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pa.types.is_fixed_size_binary(arrow_type) or "uuid" in str(arrow_type):
        return "UUID"
    names = {
        "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
        "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
        "float": "FLOAT", "double": "DOUBLE", "bool": "BOOLEAN", "date32[day]": "DATE",
        "string": "STRING", "large_string": "STRING", "binary": "BLOB", "large_binary": "BLOB",
    }  # fmt: skip
    return names.get(str(arrow_type), str(arrow_type))


def column_mismatches(path: Path, declared: list[tuple[str, str]]) -> list[str]:
    """How the file's columns differ from ``declared`` ``(name, graph type)`` pairs."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception:
        return []
    if len(schema) != len(declared):
        return [f"the file has {len(schema)} columns, the definition {len(declared)}"]
    problems = []
    for field, (name, graph_type) in zip(schema, declared, strict=True):
        try:
            wanted = ddl_type(graph_type)
        except ManifestError:
            continue
        held = _graph_type_of(field.type)
        if held != wanted:
            problems.append(f"column {name!r} holds {held} values but is declared {graph_type}")
    return problems


class Loader:
    """Loads ``snapshot_dir`` into ``engine`` (opened at ``db_path``), updating ``state``."""

    def __init__(
        self,
        engine: GraphEngine,
        snapshot_dir: Path,
        db_path: Path | None,
        threads: int,
        state: LoadState,
    ) -> None:
        self.engine = engine
        self.snapshot_dir = snapshot_dir
        self.db_path = db_path
        self.threads = threads
        self.state = state
        self.manifest: Manifest | None = None
        self.on_ready: Callable[[], object] | None = None
        """Called (in the loader's thread) once the graph is loaded and ``ready``."""
        self.on_finished: Callable[[], object] | None = None
        """Called (in the loader's thread) once the load ended, ``ready`` or ``failed``
        (after :attr:`on_ready`)."""
        self.on_nodes_loaded: Callable[[], object] | None = None
        """Called (in the loader's thread) once every node file is loaded, before the
        first edge file: work that needs the nodes can overlap the edges' load. An
        exception is logged and the load goes on."""
        self.snapshot_ready = threading.Event()
        """Set when the snapshot may be read: at once, unless the wrapper was started
        while the export still runs (``await_snapshot``); then the control plane's
        ``POST /internal/snapshot/ready`` sets it."""
        self._thread = threading.Thread(target=self.run, name="graph-olap-loader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def run(self) -> None:
        """The whole load; every exception ends in ``failed`` with a message."""
        try:
            self._load()
        except _StepFailed as err:
            self.state.set_phase("failed", str(err))
        except Exception as err:  # anything else must still end the load visibly
            log.exception("the load failed")
            self.state.set_phase("failed", f"the load failed: {type(err).__name__}: {err}")
        else:
            self.state.set_phase("ready")
            if self.on_ready is not None:
                try:
                    self.on_ready()
                except Exception:  # the graph is loaded and serves queries anyway
                    log.exception("the after-load hook failed")
        log.info("load finished: %s %s", self.state.phase, self.state.error_message or "")
        if self.on_finished is not None:
            try:
                self.on_finished()
            except Exception:  # a report: the instance's state is in /progress anyway
                log.exception("the after-load report failed")

    def _load(self) -> None:
        state = self.state
        if not self.snapshot_ready.is_set():
            state.set_phase(AWAITING_SNAPSHOT)
            log.info("waiting for the export of the snapshot to finish")
            self.snapshot_ready.wait()
        state.set_phase("downloading")
        if is_object_uri(self.snapshot_dir):
            self.snapshot_dir = self._download(str(self.snapshot_dir))
        try:
            manifest = Manifest.load(self.snapshot_dir)
        except ManifestError as err:
            raise _StepFailed(str(err)) from err
        self.manifest = manifest
        state.add_step("schema", "schema")
        for node in manifest.nodes:
            state.add_step(f"node:{node.label}", "node")
        for edge in manifest.edges:
            state.add_step(_edge_step(edge, manifest), "edge")
        self._check_files(manifest)

        state.set_phase("loading_schema")
        self._step("schema", "schema", lambda: self._schema(manifest))
        state.set_phase("loading_data")
        for node in manifest.nodes:
            self._step(f"node:{node.label}", f"node {node.label}", lambda n=node: self._node(n))
        if self.on_nodes_loaded is not None:
            try:
                self.on_nodes_loaded()
            except Exception:  # an optimisation: the load itself goes on
                log.exception("the after-nodes hook failed")
        for edge in manifest.edges:
            what = f"edge {edge.type} ({edge.from_node}->{edge.to_node})"
            self._step(_edge_step(edge, manifest), what, lambda e=edge: self._edge(e))

    def _download(self, uri: str) -> Path:
        """Copy the snapshot at ``uri`` into this instance's folder, a step per file."""
        home = self.db_path.parent if self.db_path is not None else Path(tempfile.mkdtemp())
        state = self.state
        running: list[tuple[str, float]] = []

        def listed(names: list[str]) -> None:
            for name in names:
                state.add_step(f"download:{name}", "download")
            state.update_step(f"download:{names[0]}", status="running")
            running.append((names[0], time.perf_counter()))

        def done(name: str, size: int) -> None:
            ms = int((time.perf_counter() - running.pop()[1]) * 1000)
            state.update_step(f"download:{name}", status="completed", duration_ms=ms)
            log.info("downloaded %s: %s bytes in %s ms", name, size, ms)
            following = [s.name for s in state.snapshot().steps if s.status == "pending"]
            if following and following[0].startswith("download:"):
                state.update_step(following[0], status="running")
                running.append((following[0].removeprefix("download:"), time.perf_counter()))

        try:
            return download_snapshot(uri, home / "snapshot", on_listed=listed, on_file=done)
        except StorageError as err:
            if running:
                name = f"download:{running[-1][0]}"
                state.update_step(name, status="failed", error=str(err))
            raise _StepFailed(
                f"The snapshot could not be downloaded: {err}. The instance cannot start; "
                "retry the snapshot or create a new one, then create the instance again."
            ) from err

    def _check_files(self, manifest: Manifest) -> None:
        entries: list[tuple[str, Path, int | None]] = [
            (f"node {n.label}", n.file, n.row_count) for n in manifest.nodes
        ]
        entries += [(f"edge {e.type}", e.file, e.row_count) for e in manifest.edges]
        for what, path, expected in entries:
            try:
                rows = _parquet_rows(path)
            except FileNotFoundError:
                raise _StepFailed(f"{what}: file {path} is missing from the snapshot") from None
            except Exception as err:
                raise _StepFailed(f"{what}: file {path} cannot be read: {err}") from err
            if expected is not None and rows != expected:
                raise _StepFailed(
                    f"{what}: file {path.name} holds {rows} rows but the manifest lists "
                    f"{expected}; the snapshot is damaged"
                )

    def _schema(self, manifest: Manifest) -> None:
        if self.db_path is not None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            for stale in self.db_path.parent.glob(self.db_path.name + "*"):
                # a fresh process always loads a fresh graph
                shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
        self.engine.open(self.db_path, self.threads)
        self.engine.create_schema(manifest)
        return None

    def _node(self, node: NodeFile) -> int:
        declared = [(p.name, p.type) for p in (node.primary_key, *node.properties)]
        loaded = self._diagnosed(lambda: self.engine.load_nodes(node), node.file, declared)
        self._check_count(loaded, node.row_count)
        return loaded

    def _edge(self, edge: EdgeFile) -> int:
        assert self.manifest is not None
        keys = {n.label: n.primary_key.type for n in self.manifest.nodes}
        declared = [
            (edge.from_key, keys.get(edge.from_node, "")),
            (edge.to_key, keys.get(edge.to_node, "")),
            *((p.name, p.type) for p in edge.properties),
        ]
        loaded = self._diagnosed(lambda: self.engine.load_edges(edge), edge.file, declared)
        self._check_count(loaded, edge.row_count)
        return loaded

    @staticmethod
    def _diagnosed(load: Any, path: Path, declared: list[tuple[str, str]]) -> int:
        """``load()``; an engine error gets the file's column problems appended."""
        try:
            return int(load())
        except EngineError as err:
            problems = column_mismatches(path, declared)
            if not problems:
                raise
            raise EngineError(f"{err} ({'; '.join(problems)})") from err

    @staticmethod
    def _check_count(loaded: int, expected: int | None) -> None:
        if expected is not None and loaded != expected:
            raise EngineError(f"loaded {loaded} rows but the snapshot holds {expected}")

    def _step(self, name: str, what: str, action: Any) -> None:
        self.state.update_step(name, status="running")
        started = time.perf_counter()
        try:
            rows = action()
        except (EngineError, ManifestError) as err:
            ms = int((time.perf_counter() - started) * 1000)
            message = f"{what}: {err}"
            self.state.update_step(name, status="failed", duration_ms=ms, error=message)
            raise _StepFailed(f"Loading {message}") from err
        ms = int((time.perf_counter() - started) * 1000)
        self.state.update_step(name, status="completed", row_count=rows, duration_ms=ms)
        log.info("%s: %s rows in %s ms", name, rows, ms)
