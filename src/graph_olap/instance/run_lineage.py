"""The lineage of algorithm runs (``conn.algo`` and ``conn.networkx``).

:class:`TracedRuns` is the base of both managers: it times a run, keeps the handle the
run made, and stamps the result (a DataFrame, through :func:`graph_olap.lineage.remember`)
and the handle (``run.lineage``) with a :class:`~graph_olap.lineage.Lineage`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol, cast

from graph_olap._core.ops import Now, Op
from graph_olap._core.resource import M
from graph_olap.instance.executions import ExecutionOps
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.lineage import Kind, Lineage, remember, utc_now
from graph_olap.models.algorithm import AlgorithmExecution

__all__ = ["RUN_FIELDS", "TracedRuns"]

RUN_FIELDS = (
    "node_labels",
    "relationship_types",
    "weight_property",
    "orientation",
    "mode",
    "property",
)
"""The options of a run that shape its result, read back from its record for a rerun."""


_MADE: ContextVar[list[ExecutionHandle[Any]] | None] = ContextVar("graph_olap_run", default=None)
"""The handles the run in progress made (per thread and per asyncio task, so runs
gathered concurrently on one connection never see each other's handles)."""


class _Stamps(Protocol):
    """The part of :class:`~graph_olap.InstanceConnection` that builds lineages."""

    def _stamp(
        self,
        kind: Kind,
        ran_at: datetime,
        times: tuple[float, float, float | None] | None,
        server_ms: float | None,
        facts: Mapping[str, Any],
    ) -> Op[Lineage]: ...


class TracedRuns(ExecutionOps[M]):
    """:class:`ExecutionOps` whose runs carry their lineage."""

    _kind: Kind = "algorithm"

    def _handle(self, record: AlgorithmExecution) -> ExecutionHandle[M]:
        handle = ExecutionHandle[M](self._runner, self._send, record)
        made = _MADE.get()
        if made is not None:
            made.append(handle)
        return handle

    def _traced(
        self, parameters: Mapping[str, Any], options: Mapping[str, Any], run: Op[Any]
    ) -> Op[Any]:
        """Perform ``run`` (a ``_start``), then stamp its result and handle."""
        made: list[ExecutionHandle[Any]] = []
        token = _MADE.set(made)
        try:
            ran_at, sent = utc_now(), (yield Now())
            result = yield from run
            done = yield Now()
        finally:
            with contextlib.suppress(ValueError):  # closed from another context (GC)
                _MADE.reset(token)
        if not made:  # pragma: no cover - every start makes a handle
            return result
        handle = made[-1]
        facts = _facts(handle.record, parameters)
        if options.get("force"):
            facts["options"]["force"] = True
        if handle.record.mode == "stream":
            facts["backend"] = options.get("backend", "polars")
        stamps = cast(_Stamps, self._conn)
        lineage = yield from stamps._stamp(
            self._kind, ran_at, (sent, done, None), handle.record.duration_ms, facts
        )
        handle.lineage = lineage
        if result is handle:
            return result
        return remember(result, lineage)

    def _stamped(self, handle: ExecutionHandle[M]) -> Op[ExecutionHandle[M]]:
        """Give a handle found by id the lineage its record tells (no timings)."""
        record = handle.record
        ran_at = record.started_at or utc_now()
        facts = _facts(record, record.parameters)
        stamps = cast(_Stamps, self._conn)
        kind: Kind = "networkx" if record.kind == "networkx" else "algorithm"
        handle.lineage = yield from stamps._stamp(kind, ran_at, None, record.duration_ms, facts)
        return handle


def _facts(record: AlgorithmExecution, parameters: Mapping[str, Any]) -> dict[str, Any]:
    options = {f: getattr(record, f) for f in RUN_FIELDS if getattr(record, f) is not None}
    return {
        "algorithm": record.algorithm,
        "execution_id": record.id,
        "parameters": dict(parameters),
        "options": options,
    }
