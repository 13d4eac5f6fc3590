"""Algorithm executions: one thread each, their status and results, and the instance lock.

An execution is submitted as a :class:`Plan` (algorithm resolved, parameters and
selection checked: everything that can be a 400 already was) and runs in its own
thread: ``projecting`` (the cached projection of the selection), ``computing``,
``writing`` (``mutate`` only), then ``completed``, ``failed`` or ``cancelled``.

The lock (docs/design-algorithms.md, "The lock"): a ``mutate`` execution holds it from
submission to its end, in a ``finally``; a second ``mutate`` or a write query is refused
with 409 ``RESOURCE_LOCKED``. Cancelling marks the execution cancelled and frees the lock
at once; its thread stops at the next check point and never writes (once ``writing`` has
begun, cancelling waits for the write to finish instead).
"""

from __future__ import annotations

import ctypes
import dataclasses
import datetime as dt
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper import schemas
from graph_olap_server.wrapper.algo.base import AlgoOutput, Cancelled, Orientation, Progress
from graph_olap_server.wrapper.algo.file_projection import FileProjectionError, build_from_files
from graph_olap_server.wrapper.algo.projection import (
    LabelBlock,
    Projection,
    ProjectionCache,
    Selection,
    build_projection,
    read_blocks,
)
from graph_olap_server.wrapper.algo.selection import select

if TYPE_CHECKING:
    from graph_olap_server.wrapper.auth import ActivityReporter
    from graph_olap_server.wrapper.engine import GraphEngine
    from graph_olap_server.wrapper.manifest import Manifest

__all__ = ["Execution", "ExecutionManager", "Plan"]

log = logging.getLogger("graph_olap_server.wrapper.algo")

Status = Literal["queued", "running", "completed", "failed", "cancelled"]
FINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
MAX_WAIT_MS = 30_000
HEARTBEAT_SECONDS = 5.0


@dataclasses.dataclass
class Plan:
    """A checked request: what to run, on which selection, and how to deliver it."""

    kind: Literal["native", "networkx"]
    algorithm: str
    mode: Literal["stream", "mutate"]
    selection: Selection
    orientation: Orientation
    parameters: dict[str, Any]
    run: Callable[[Projection, Progress], AlgoOutput]
    property: str | None = None  # mutate: the node property written
    interruptible: bool = False  # NetworkX: pure Python, can be interrupted mid-run


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


@dataclasses.dataclass(eq=False)
class Execution:
    """One run of one algorithm; ``to_public()`` is its ``AlgorithmExecution``."""

    id: str
    plan: Plan
    username: str
    progress: Progress
    started_at: dt.datetime = dataclasses.field(default_factory=_now)
    status: Status = "queued"
    finished_at: dt.datetime | None = None
    error: dict[str, str] | None = None
    summary: dict[str, Any] = dataclasses.field(default_factory=dict)
    result_kind: Literal["table", "value"] | None = None
    result_table: pa.Table | None = None
    result_value: Any = None
    expired: bool = False
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    changed: threading.Condition = dataclasses.field(default_factory=threading.Condition)
    mutex: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    _clock_start: float = dataclasses.field(default_factory=time.perf_counter)

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    def duration_ms(self) -> int:
        end = self.finished_at or _now()
        return round((end - self.started_at).total_seconds() * 1000)

    def to_public(self) -> schemas.AlgorithmExecution:
        """The execution as the algorithm endpoints answer it."""
        plan = self.plan
        progress = self.progress.to_public(self.progress_token, finished=self.finished)
        return schemas.AlgorithmExecution(
            id=self.id,
            algorithm=plan.algorithm,
            kind=plan.kind,
            mode=plan.mode,
            status=self.status,
            phase=progress.phase,
            progress=progress,
            username=self.username,
            node_labels=list(plan.selection.node_labels),
            relationship_types=list(plan.selection.relationship_types),
            weight_property=plan.selection.weight_property,
            orientation=plan.orientation,
            property=plan.property,
            parameters=_jsonable(plan.parameters),
            started_at=_iso(self.started_at),
            finished_at=_iso(self.finished_at),
            duration_ms=self.duration_ms() if self.finished else None,
            summary=dict(self.summary),
            result_kind=self.result_kind,
            error=None if self.error is None else schemas.ExecutionError.model_validate(self.error),
        )

    def finish(self, status: Status, error: dict[str, str] | None = None) -> bool:
        """Move to a final ``status`` unless already final; True if this call did it."""
        with self.mutex:
            if self.finished:
                return False
            self.status = status
            self.error = error
            self.finished_at = _now()
            self.summary.setdefault("duration_ms", self.duration_ms())
        self.done.set()
        self.notify()
        return True

    def notify(self) -> None:
        """Wake the long polls waiting for a change of phase (or the end)."""
        with self.changed:
            self.changed.notify_all()

    @property
    def progress_token(self) -> str:
        """``"<phase>:<completed steps>"``: what a progress display has seen."""
        return f"{self.progress.phase}:{self.progress.completed}"

    def wait_change(self, seconds: float, seen: str | None) -> None:
        """Block up to ``seconds`` until finished, or (given the ``seen`` progress token)
        until the progress moves on from it."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while not self.finished and (seen is None or self.progress_token == seen):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self.changed.wait(remaining)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


_DDL_BY_KIND = {"f": "DOUBLE", "i": "INT64", "u": "INT64", "b": "BOOLEAN"}


class ExecutionManager:
    """Runs executions, keeps their state and results, and owns the instance lock."""

    def __init__(
        self,
        engine: GraphEngine,
        manifest: Callable[[], Manifest],
        activity: ActivityReporter | None = None,
        *,
        max_results: int = 16,
        max_result_bytes: int = 512 << 20,
        max_kept: int = 200,
    ) -> None:
        self.engine = engine
        self._manifest = manifest
        self._activity = activity
        self.projections = ProjectionCache()
        self.max_results = max_results
        self.max_result_bytes = max_result_bytes
        self.max_kept = max_kept
        self._executions: OrderedDict[str, Execution] = OrderedDict()
        self._mutex = threading.Lock()
        self._holder: Execution | None = None
        self._locked_at: dt.datetime | None = None
        self._closed = threading.Event()
        self._loaded = threading.Event()  # set by warm_up (the load is done) and close
        self._heartbeat = threading.Thread(
            target=self._beat, name="graph-olap-algo-heartbeat", daemon=True
        )
        self._heartbeat.start()

    # -- the lock -----------------------------------------------------------------

    def lock_status(self) -> schemas.LockStatus:
        """``LockStatus`` as ``GET /lock`` answers it."""
        with self._mutex:
            holder, locked_at = self._holder, self._locked_at
        if holder is None:
            return schemas.LockStatus(locked=False)
        return schemas.LockStatus(
            locked=True,
            holder_id=holder.id,
            holder_name=holder.username,
            holder_username=holder.username,
            algorithm=holder.plan.algorithm,
            execution_id=holder.id,
            locked_at=_iso(locked_at),
        )

    def _locked_error(self, holder: Execution, doing: str) -> APIError:
        return APIError(
            409,
            "RESOURCE_LOCKED",
            f"The instance is locked by {holder.username}'s {holder.plan.algorithm} "
            f"execution {holder.id} (mode mutate), so {doing} must wait. Read queries "
            f"still work. Wait for it (conn.algo.execution({holder.id!r}).wait()) or, if "
            "it is yours, cancel it.",
            {
                "holder_username": holder.username,
                "algorithm": holder.plan.algorithm,
                "execution_id": holder.id,
                "locked_at": _iso(self._locked_at),
            },
        )

    def check_writable(self) -> None:
        """Raise 409 ``RESOURCE_LOCKED`` if a mutating execution holds the lock."""
        with self._mutex:
            holder = self._holder
        if holder is not None:
            raise self._locked_error(holder, "a write query")

    def _release(self, execution: Execution) -> None:
        with self._mutex:
            if self._holder is execution:
                self._holder = None
                self._locked_at = None

    # -- running ------------------------------------------------------------------

    def submit(self, plan: Plan, username: str) -> Execution:
        """Start ``plan`` in a new thread (409 if it mutates and the lock is held)."""
        progress = Progress()
        execution = Execution(
            id=f"ex-{uuid.uuid4().hex[:10]}", plan=plan, username=username, progress=progress
        )
        progress.on_change = execution.notify
        with self._mutex:
            if plan.mode == "mutate":
                if self._holder is not None:
                    raise self._locked_error(self._holder, f"this {plan.algorithm} (mutate)")
                self._holder = execution
                self._locked_at = _now()
            self._executions[execution.id] = execution
            self._forget_old()
        thread = threading.Thread(
            target=self._run, args=(execution,), name=f"algo-{execution.id}", daemon=True
        )
        execution.thread = thread
        thread.start()
        log.info("execution %s: %s (%s) by %s", execution.id, plan.algorithm, plan.mode, username)
        return execution

    def _run(self, execution: Execution) -> None:
        plan, progress = execution.plan, execution.progress
        try:
            with execution.mutex:
                if execution.finished:  # cancelled before it started
                    return
                execution.status = "running"
            projection, built = self.projections.lookup(
                self.engine, self._manifest(), plan.selection, progress
            )
            execution.summary.update(
                nodes=projection.n,
                relationships=projection.m,
                projection="built" if built else "reused",
            )
            output = plan.run(projection, progress)
            progress.check()
            execution.summary.update(_jsonable(output.stats))
            if plan.mode == "mutate":
                self._write(execution, projection, output)
            else:
                self._keep_result(execution, projection, output)
                self._evict()  # before it shows as completed: the count is exact then
            execution.finish("completed")
        except Cancelled:
            execution.finish("cancelled")
        except APIError as err:
            execution.finish("failed", {"code": err.code, "message": err.message})
        except Exception as err:
            log.warning("execution %s failed: %s", execution.id, err, exc_info=True)
            message = str(err) or type(err).__name__
            execution.finish(
                "failed",
                {"code": "ALGORITHM_FAILED", "message": f"{plan.algorithm} failed: {message}"},
            )
        finally:
            self._release(execution)
            execution.done.set()
            log.info("execution %s: %s", execution.id, execution.status)

    def _keep_result(
        self, execution: Execution, projection: Projection, output: AlgoOutput
    ) -> None:
        if output.columns is not None:
            table = projection.result_table(output.columns, output.keep)
        else:
            table = output.table
        if table is not None:
            execution.result_table = table
            execution.result_kind = "table"
            execution.summary["result_rows"] = table.num_rows
        else:
            execution.result_value = output.value  # JSON-able already (AlgoOutput)
            execution.result_kind = "value"

    def _write(self, execution: Execution, projection: Projection, output: AlgoOutput) -> None:
        plan = execution.plan
        if output.columns is None or not output.columns:
            raise APIError(
                400,
                "INVALID_PARAMETER",
                f"{plan.algorithm} does not give one value per node, so it cannot run in "
                "mode 'mutate'; use mode 'stream'.",
                {"parameter": "mode"},
            )
        name, values = next(iter(output.columns.items()))
        assert plan.property is not None
        ddl = _DDL_BY_KIND.get(values.dtype.kind, "DOUBLE")
        with execution.mutex:  # from here on, cancelling waits for the write
            if execution.finished:
                raise Cancelled()
            execution.progress.start("writing", total=len(projection.blocks))
        written = 0
        for block in projection.blocks:
            current = self.engine.property_type(block.label, plan.property)
            if current is not None and current.upper() != ddl:
                raise APIError(
                    400,
                    "INVALID_PARAMETER",
                    f"Node property {block.label}.{plan.property} exists with type {current}, "
                    f"but {plan.algorithm} writes {ddl}. Pass another property=... name.",
                    {"parameter": "property"},
                )
            frame = _write_frame(projection, block, values, output.keep)
            written += self.engine.write_node_property(
                block.label, block.key_name, plan.property, ddl, frame
            )
            execution.progress.step()
        execution.summary.update(nodes_written=written, property=plan.property, column=name)

    def selection_size(self, manifest: Manifest, selection: Selection) -> tuple[int, int]:
        """Nodes and relationships of ``selection`` (from the snapshot's row counts, or
        the engine's counts if the manifest lacks them); writes can shift them a little."""
        sizes = [f.row_count for f in selection.nodes] + [f.row_count for f in selection.edges]
        if any(size is None for size in sizes):
            counts = self.engine.counts(manifest)
            nodes = sum(counts.get(f.label, 0) for f in selection.nodes)
            edges = sum(counts.get(t, 0) for t in selection.relationship_types)
            return nodes, edges
        nodes = sum(f.row_count or 0 for f in selection.nodes)
        return nodes, sum(f.row_count or 0 for f in selection.edges)

    # -- reading ------------------------------------------------------------------

    def get(self, execution_id: str, wait_ms: int = 0, seen: str | None = None) -> Execution:
        """The execution, after waiting up to ``wait_ms`` for it to finish (or, given the
        ``seen`` progress token, for its progress to move on: a progress bar's long poll)."""
        with self._mutex:
            execution = self._executions.get(execution_id)
        if execution is None:
            raise APIError(
                404,
                "NOT_FOUND",
                f"There is no algorithm execution {execution_id!r} on this instance "
                "(ids look like 'ex-…'; conn.algo.executions() lists them). Executions are "
                "forgotten when the instance restarts.",
                {"execution_id": execution_id},
            )
        if wait_ms > 0:
            execution.wait_change(min(wait_ms, MAX_WAIT_MS) / 1000, seen)
        return execution

    def list(self, limit: int = 20) -> list[Execution]:
        """The newest ``limit`` executions, newest first."""
        with self._mutex:
            items = list(self._executions.values())
        return items[::-1][:limit]

    def result(self, execution_id: str) -> Execution:
        """A completed execution whose result is still kept (409 / 410 otherwise)."""
        execution = self.get(execution_id)
        if execution.status != "completed":
            hint = {
                "failed": "it failed: see its error",
                "cancelled": "it was cancelled",
            }.get(execution.status, "it has not finished: wait for it first")
            raise APIError(
                409,
                "INVALID_STATE",
                f"Execution {execution_id} has no result ({hint}).",
                {"execution_id": execution_id, "status": execution.status},
            )
        if execution.expired:
            raise APIError(
                410,
                "RESULT_EXPIRED",
                f"The result of execution {execution_id} was dropped to free memory (the "
                f"wrapper keeps the newest {self.max_results}). Run the algorithm again.",
                {"execution_id": execution_id},
            )
        if execution.plan.mode == "mutate":
            raise APIError(
                409,
                "INVALID_STATE",
                f"Execution {execution_id} ran in mode 'mutate': its result is in node "
                f"property {execution.plan.property!r}; query it with Cypher.",
                {"execution_id": execution_id, "status": execution.status},
            )
        return execution

    def cancel(self, execution_id: str) -> Execution:
        """Cancel: final at once unless it is already writing (then wait for that)."""
        execution = self.get(execution_id)
        with execution.mutex:
            writing = execution.progress.phase == "writing" and not execution.finished
        if writing:
            execution.done.wait()
            return execution
        execution.progress.cancelled.set()
        if execution.finish("cancelled"):
            self._release(execution)
            self._interrupt(execution)
        return execution

    def _interrupt(self, execution: Execution) -> None:
        """Raise Cancelled inside a NetworkX run (pure Python stops at once)."""
        thread = execution.thread
        if not execution.plan.interruptible or thread is None or thread.ident is None:
            return
        if execution.progress.phase != "computing" or not thread.is_alive():
            return
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(Cancelled)
        )

    # -- housekeeping -------------------------------------------------------------

    def _forget_old(self) -> None:
        """Drop the oldest finished executions beyond ``max_kept`` (caller holds mutex)."""
        while len(self._executions) > self.max_kept:
            oldest_id = next((k for k, v in self._executions.items() if v.finished), None)
            if oldest_id is None:
                return
            del self._executions[oldest_id]

    def _evict(self) -> None:
        """Keep at most ``max_results`` results and ``max_result_bytes`` of tables."""
        with self._mutex:
            kept = [e for e in self._executions.values() if e.result_kind and not e.expired]
        total = 0
        for count, execution in enumerate(reversed(kept), start=1):
            size = execution.result_table.nbytes if execution.result_table is not None else 0
            total += size
            if count > self.max_results or total > self.max_result_bytes:
                execution.result_table = None
                execution.result_value = None
                execution.expired = True

    def _beat(self) -> None:
        """Report activity while executions run (the inactivity timeout counts them)."""
        while not self._closed.wait(HEARTBEAT_SECONDS):
            with self._mutex:
                busy = any(not e.finished for e in self._executions.values())
            if busy and self._activity is not None:
                self._activity.touch()

    def warm_up(self) -> threading.Thread | None:
        """Copy the whole graph out of the engine in the background, once it is loaded, so
        the first algorithm run on all labels and types finds its projection ready (at
        5M relationships the copy takes about 3 s). Runs that start meanwhile wait for it.
        Nothing to do when :meth:`warm_during_load` built it (or is building it).

        Example:
            >>> loader.on_ready = manager.warm_up
        """
        self._loaded.set()
        manifest = self._manifest()
        everything = select(manifest, None, None, None)
        return self.projections.prefetch(self.engine, manifest, everything, then=_first_matrix)

    def warm_during_load(self) -> threading.Thread | None:
        """Build the projection of all labels and types while the edges load: the blocks
        from the engine now (every node is loaded; no edge ``COPY`` runs yet), the
        relationships from the snapshot's edge files in the background
        (``file_projection.py``). When the files cannot vouch for it, the build logs why,
        waits for :meth:`warm_up` (the load is done) and reads the projection from the
        engine instead. Runs that start meanwhile wait for it.

        Example:
            >>> loader.on_nodes_loaded = manager.warm_during_load
            >>> loader.on_ready = manager.warm_up
        """
        manifest = self._manifest()
        selection = select(manifest, None, None, None)
        started = time.perf_counter()
        try:  # here, not in the background: a read beside a COPY can stall the COPY
            blocks = read_blocks(self.engine, selection, Progress())
        except Exception:  # warm_up reads the projection from the engine after the load
            log.warning("reading the node blocks during the load failed", exc_info=True)
            return None
        log.info("node blocks read in %.0f ms", (time.perf_counter() - started) * 1000)

        def from_files(
            engine: GraphEngine, manifest: Manifest, selection: Selection, progress: Progress
        ) -> Projection:
            return self._from_files(blocks, engine, manifest, selection, progress)

        return self.projections.prefetch(
            self.engine, manifest, selection, from_files, then=_first_matrix
        )

    def _from_files(
        self,
        blocks: Sequence[LabelBlock],
        engine: GraphEngine,
        manifest: Manifest,
        selection: Selection,
        progress: Progress,
    ) -> Projection:
        """:func:`build_from_files`, or else :func:`build_projection` after the load."""
        started = time.perf_counter()
        try:
            projection = build_from_files(selection, blocks, progress)
            log.info(
                "projection built from the snapshot files during the load: %s nodes, %s "
                "relationships in %.0f ms",
                projection.node_count,
                projection.m,
                (time.perf_counter() - started) * 1000,
            )
            return projection
        except FileProjectionError as err:
            log.warning(
                "the projection cannot be built from the snapshot files (%s); it is read "
                "from the engine once the load is done",
                err,
            )
        except Exception:  # an optimisation: the engine's copy is still there
            log.warning(
                "building the projection from the snapshot files failed; it is read from "
                "the engine once the load is done",
                exc_info=True,
            )
        self._loaded.wait()
        if self._closed.is_set():
            raise Cancelled("the wrapper is closing")
        return build_projection(engine, manifest, selection, progress)

    def close(self) -> None:
        """Cancel what runs and stop the heartbeat."""
        self._closed.set()
        self._loaded.set()  # a build waiting for the load gives up
        for execution in self.list(self.max_kept):
            if not execution.finished:
                execution.progress.cancelled.set()
                execution.finish("cancelled")


def _first_matrix(projection: Projection) -> None:
    """Build the matrix PageRank, WCC and SCC run on (the natural CSR, unweighted here:
    the whole graph's projection has no weight), so the first of them does not wait."""
    projection.csr("natural")


def _write_frame(
    projection: Projection, block: Any, values: np.ndarray, keep: np.ndarray | None
) -> pa.Table:
    """``k`` (primary key), ``v`` (value) for the present (and kept) nodes of ``block``."""
    lo, hi = block.base, block.base + block.size
    mask = projection.present[lo:hi].copy()
    if keep is not None:
        mask &= keep[lo:hi]
    part = values[lo:hi]
    if part.dtype.kind == "f":
        mask &= ~np.isnan(part)
    index = pa.array(np.flatnonzero(mask))
    return pa.table({"k": block.keys.take(index), "v": pa.array(part[mask])})
