"""Projections: reading a selection out of the engine, and the cache that keeps them.

The pieces (docs/design-algorithms.md, "Where algorithms run, and on what"):

- :func:`select` (``selection.py``): labels, relationship types and weight of a run;
- :class:`Projection` (``dense_graph.py``): the dense arrays, library graphs and keys;
- :func:`build_projection`: one engine query per label and per (type, label pair);
- :class:`ProjectionCache`: the newest few projections, per selection and engine
  generation, each built once even when two executions ask for it together.

All of them are importable from this module.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_olap_server.wrapper.algo.base import Progress
from graph_olap_server.wrapper.algo.dense_graph import LabelBlock, Projection
from graph_olap_server.wrapper.algo.selection import Selection, is_numeric_type, select
from graph_olap_server.wrapper.manifest import Manifest, ddl_type, quote

__all__ = [
    "Builder",
    "LabelBlock",
    "Projection",
    "ProjectionCache",
    "Selection",
    "build_projection",
    "is_numeric_type",
    "read_blocks",
    "select",
]


def _offsets(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.to_numpy(), dtype=np.int64)


def _keys_by_offset(keys: pa.ChunkedArray, offsets: np.ndarray) -> tuple[pa.Array, int]:
    """``keys`` placed at their offsets (null at holes); and the block size."""
    size = int(offsets.max()) + 1 if len(offsets) else 0
    flat = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    if len(offsets) == size and np.array_equal(offsets, np.arange(size)):
        return flat, size
    where = np.full(size, -1, dtype=np.int64)
    where[offsets] = np.arange(len(offsets))
    return flat.take(pa.array(where, mask=where < 0)), size


Builder = Callable[[Any, Manifest, Selection, Progress], Projection]
"""How a projection is made: ``builder(engine, manifest, selection, progress)``."""


def read_blocks(engine: Any, selection: Selection, progress: Progress) -> list[LabelBlock]:
    """Each selected label's keys by engine offset, numbered one block after another.

    Starts the phase ``projecting`` with one step per label and per (type, pair), and
    takes the labels' steps; the caller takes the pairs'.

    Example:
        >>> [b.label for b in read_blocks(engine, select(manifest, None, None, None), p)]
        ['Customer', 'Account']
    """
    progress.start("projecting", total=len(selection.nodes) + len(selection.edges))
    blocks: list[LabelBlock] = []
    base = 0
    for node in selection.nodes:
        pk = node.primary_key
        table = engine.query(
            f"MATCH (n:{quote(node.label)}) RETURN offset(id(n)) AS o, n.{quote(pk.name)} AS k"
        ).table
        keys, size = _keys_by_offset(table.column("k"), _offsets(table.column("o")))
        blocks.append(LabelBlock(node.label, pk.name, ddl_type(pk.type), keys, base, size))
        base += size
        progress.step(message=f"{table.num_rows} {node.label} nodes")
    return blocks


def build_projection(
    engine: Any, manifest: Manifest, selection: Selection, progress: Progress
) -> Projection:
    """Read ``selection`` out of ``engine``: one query per label and per (type, pair).

    Progress: phase ``projecting``, one step per query; cancellation is checked between
    queries. Null weights count as 1.

    Example:
        >>> build_projection(engine, manifest, select(manifest, None, None, None), Progress())
        Projection(labels=['Customer', 'Account'], types=['OWNS'], weight=None, ...)
    """
    del manifest  # the selection carries the files; kept for the cache's signature
    blocks = read_blocks(engine, selection, progress)
    bases = {b.label: b.base for b in blocks}
    weight = selection.weight_property
    srcs, dsts, weights = [], [], []
    for e in selection.edges:
        cypher = (
            f"MATCH (a:{quote(e.from_node)})-[r:{quote(e.type)}]->(b:{quote(e.to_node)}) "
            "RETURN offset(id(a)) AS s, offset(id(b)) AS d"
        )
        if weight is not None:
            value = f"r.{quote(weight)}"
            types = {prop.name: ddl_type(prop.type) for prop in e.properties}
            if types.get(weight) != "DOUBLE":  # a cast costs up to 20% of the query
                value = f"CAST({value} AS DOUBLE)"
            cypher += f", {value} AS w"
        table = engine.query(cypher).table
        srcs.append(_offsets(table.column("s")) + bases[e.from_node])
        dsts.append(_offsets(table.column("d")) + bases[e.to_node])
        if weight is not None:
            w = table.column("w")
            weights.append(pc.fill_null(w, 1.0).to_numpy() if w.null_count else w.to_numpy())
        progress.step(message=f"{table.num_rows} {e.type} ({e.from_node}->{e.to_node})")

    def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return parts[0] if len(parts) == 1 else np.concatenate(parts or [np.zeros(0, dtype)])

    return Projection(
        blocks=blocks,
        src=joined(srcs, np.int64),
        dst=joined(dsts, np.int64),
        weight=joined(weights, np.float64) if weight is not None else None,
        relationship_types=selection.relationship_types,
        weight_property=weight,
    )


log = logging.getLogger("graph_olap_server.wrapper")


class _Slot:
    """One projection being built or built; waiters block on ``done``."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.projection: Projection | None = None


class ProjectionCache:
    """The newest ``capacity`` projections, by selection and engine generation.

    A write query bumps ``engine.generation``; projections of older generations are never
    returned again and are dropped. Two executions asking for the same projection build
    it once: the second waits (still cancellable) for the first.
    """

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._slots: collections.OrderedDict[Any, _Slot] = collections.OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for s in self._slots.values() if s.projection is not None)

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()

    def get(
        self, engine: Any, manifest: Manifest, selection: Selection, progress: Progress
    ) -> Projection:
        """The cached projection of ``selection``, built (and cached) if missing."""
        return self.lookup(engine, manifest, selection, progress)[0]

    def prefetch(
        self,
        engine: Any,
        manifest: Manifest,
        selection: Selection,
        builder: Builder = build_projection,
        then: Callable[[Projection], object] | None = None,
    ) -> threading.Thread | None:
        """Start building ``selection`` in the background unless it is cached or being
        built; a :meth:`get` meanwhile waits for it instead of building it again. The slot
        is taken before this returns, so no caller can start a second build. ``builder``
        makes it (default: :func:`build_projection`, from the engine); ``then(projection)``
        runs next in the same thread, once callers can have the projection (a library
        graph they would build anyway: ``Projection.cached`` makes them wait for it).

        Example:
            >>> cache.prefetch(engine, manifest, select(manifest, None, None, None))
        """
        key = (*selection.key, int(getattr(engine, "generation", 0)))
        with self._lock:
            if key in self._slots:
                return None
            slot = self._slots[key] = _Slot()

        def build() -> None:
            try:
                projection = self._build(
                    key, slot, engine, manifest, selection, Progress(), builder
                )
            except Exception:  # the next caller builds it; it reports what goes wrong
                log.warning("building the projection in advance failed", exc_info=True)
                return
            if then is not None:
                try:
                    then(projection)
                except Exception:  # a caller needing it builds it and reports the error
                    log.warning("preparing the projection in advance failed", exc_info=True)

        thread = threading.Thread(target=build, name="graph-olap-projection", daemon=True)
        thread.start()
        return thread

    def lookup(
        self, engine: Any, manifest: Manifest, selection: Selection, progress: Progress
    ) -> tuple[Projection, bool]:
        """Like :meth:`get`, and whether this call built the projection (False: it was
        cached, or built by another caller while this one waited)."""
        generation = int(getattr(engine, "generation", 0))
        key = (*selection.key, generation)
        while True:
            with self._lock:
                for stale in [k for k in self._slots if k[-1] < generation]:
                    del self._slots[stale]
                slot = self._slots.get(key)
                owner = slot is None
                if slot is None:
                    slot = self._slots[key] = _Slot()
                self._slots.move_to_end(key)
            if owner:
                return self._build(key, slot, engine, manifest, selection, progress), True
            if slot.projection is None:
                progress.start("projecting", total=1, message="waiting for the same projection")
                while not slot.done.wait(0.05):
                    progress.check()
            if slot.projection is not None:
                progress.start("projecting", total=1)
                progress.step()
                return slot.projection, False
            # the builder failed or was cancelled: try again (this caller builds)

    def _build(
        self,
        key: Any,
        slot: _Slot,
        engine: Any,
        manifest: Manifest,
        selection: Selection,
        progress: Progress,
        builder: Builder = build_projection,
    ) -> Projection:
        try:
            slot.projection = builder(engine, manifest, selection, progress)
        except BaseException:
            with self._lock:
                if self._slots.get(key) is slot:
                    del self._slots[key]
            raise
        finally:
            slot.done.set()
        with self._lock:
            built = [k for k, s in self._slots.items() if s.projection is not None]
            for old in built[: max(0, len(built) - self.capacity)]:
                del self._slots[old]
        return slot.projection
