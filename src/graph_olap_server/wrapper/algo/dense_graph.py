"""A projection: the selected part of a graph as dense integer edge arrays.

A projection numbers the nodes of its labels one block after another (``dense id =
block.base + engine offset``), holds every selected relationship as ``src``/``dst``
(int64) and ``weight`` (float64 or ``None``) numpy arrays, and each label's primary keys
in offset order, to key the results. Deleted nodes leave *holes* (offsets without a node):
a hole has no key, no edges, and ``present[id]`` is False; algorithms skip holes and
:meth:`Projection.result_table` drops them.

Library graphs are built from the arrays on first use and cached on the projection:
:meth:`Projection.csr` (scipy), :meth:`Projection.networkit`. Parallel edges (the same
pair twice, or ``a->b`` and ``b->a`` seen undirected) become *one* entry whose weight is
the sum (without weights: the number of edges), or the lightest for shortest paths.

>>> p = Projection.from_arrays([0, 1], [1, 2], keys=["a", "b", "c"], key_name="name")
>>> p.n, p.m, p.resolve("b", "source")
(3, 2, 1)
>>> p.result_table({"score": np.array([0.5, 0.25, 0.25])}).column_names
['name', 'score']
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_olap_server.wrapper.algo.base import ORIENTATIONS, Orientation, invalid

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["LabelBlock", "Projection"]

_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class LabelBlock:
    """One label's dense ids ``base .. base + size - 1``; ``keys[offset]`` (null: a hole)."""

    label: str
    key_name: str
    key_type: str
    keys: pa.Array
    base: int
    size: int


def _arrow_type_name(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype):
        return str(dtype).upper()
    return "STRING" if pa.types.is_string(dtype) or pa.types.is_large_string(dtype) else str(dtype)


class Projection:
    """Dense edge arrays of one selection plus what it takes to key results.

    Build one with :func:`build_projection` (from the engine) or :meth:`from_arrays`.
    Attributes: ``node_labels``, ``relationship_types``, ``weight_property``, ``blocks``,
    ``n`` (dense ids, holes included), ``src``/``dst`` (int64), ``weight`` (float64 or
    None), ``present`` (bool per dense id). Thread-safe: library graphs are built once.
    """

    def __init__(
        self,
        *,
        blocks: Sequence[LabelBlock],
        src: np.ndarray,
        dst: np.ndarray,
        weight: np.ndarray | None = None,
        relationship_types: Sequence[str] = (),
        weight_property: str | None = None,
    ) -> None:
        self.blocks = tuple(blocks)
        self.node_labels = tuple(b.label for b in self.blocks)
        self.relationship_types = tuple(relationship_types)
        self.weight_property = weight_property
        self.n = sum(b.size for b in self.blocks)
        self.src = np.ascontiguousarray(src, dtype=np.int64)
        self.dst = np.ascontiguousarray(dst, dtype=np.int64)
        self.weight = None if weight is None else np.ascontiguousarray(weight, np.float64)
        if len(self.src) != len(self.dst) or (
            self.weight is not None and len(self.weight) != len(self.src)
        ):
            raise ValueError("src, dst and weight must have the same length")
        if len(self.src) and (
            min(self.src.min(), self.dst.min()) < 0 or max(self.src.max(), self.dst.max()) >= self.n
        ):
            raise ValueError(f"edge ends must be dense ids in 0..{self.n - 1}")
        valid = [b.keys.is_valid().to_numpy(zero_copy_only=False) for b in self.blocks]
        self.present = np.concatenate(valid) if valid else np.zeros(0, dtype=bool)
        self._bases = np.array([b.base for b in self.blocks], dtype=np.int64)
        self._cache: dict[Any, Any] = {}
        self._locks: dict[Any, threading.Lock] = collections.defaultdict(threading.Lock)
        self._guard = threading.Lock()

    @classmethod
    def from_arrays(
        cls,
        src: Sequence[int] | np.ndarray,
        dst: Sequence[int] | np.ndarray,
        weight: Sequence[float] | np.ndarray | None = None,
        *,
        keys: Sequence[Any] | pa.Array | None = None,
        label: str = "Node",
        key_name: str = "id",
        labels: Sequence[tuple[str, str, Sequence[Any] | pa.Array]] | None = None,
        relationship_types: Sequence[str] = ("REL",),
        weight_property: str | None = None,
    ) -> Projection:
        """A projection from plain arrays (tests, helpers).

        One label: ``keys`` (default ``0..n-1``, ``n`` from the largest id), named
        ``key_name``. Several: ``labels`` as ``(label, key_name, keys)`` blocks numbered in
        order. A ``None`` key is a hole.

        >>> Projection.from_arrays([0], [1], labels=[("A", "id", [7]), ("B", "id", [9])]).n
        2
        """
        src_a, dst_a = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        if labels is None:
            if keys is None:
                top = max(src_a.max(initial=-1), dst_a.max(initial=-1))
                keys = np.arange(int(top) + 1)
            labels = [(label, key_name, keys)]
        blocks, base = [], 0
        for name, key, values in labels:
            if isinstance(values, pa.Array):
                array = values
            else:
                array = pa.array(values if isinstance(values, np.ndarray) else list(values))
            blocks.append(
                LabelBlock(name, key, _arrow_type_name(array.type), array, base, len(array))
            )
            base += len(array)
        w = None if weight is None else np.asarray(weight, dtype=np.float64)
        if w is not None and weight_property is None:
            weight_property = "weight"
        return cls(
            blocks=blocks,
            src=src_a,
            dst=dst_a,
            weight=w,
            relationship_types=relationship_types,
            weight_property=weight_property,
        )

    @property
    def m(self) -> int:
        """Number of relationships (parallel edges counted)."""
        return len(self.src)

    @property
    def node_count(self) -> int:
        """Number of nodes (holes not counted)."""
        return len(self.present_ids)

    @property
    def present_ids(self) -> np.ndarray:
        """The dense ids of the present nodes, ascending."""
        return self.cached("present_ids", lambda: np.flatnonzero(self.present))

    def spread(self, values: Any, dtype: Any = np.float64) -> np.ndarray:
        """Per-node ``values`` of the present nodes (a networkit score list) as an array
        indexed by dense id; holes get 0.

        >>> Projection.from_arrays([], [], keys=["a", None, "c"]).spread([0.5, 0.25])
        array([0.5 , 0.  , 0.25])
        """
        out: np.ndarray = np.zeros(self.n, dtype=dtype)
        out[self.present_ids] = np.asarray(values, dtype=dtype)[: self.node_count]
        return out

    def __repr__(self) -> str:
        return (
            f"Projection(labels={list(self.node_labels)}, types={list(self.relationship_types)}"
            f", weight={self.weight_property!r}, nodes={self.node_count}, relationships={self.m})"
        )

    # ----------------------------------------------------------------- library graphs

    def cached(self, key: Any, build: Callable[[], _T]) -> _T:
        """``build()`` once per ``key`` for this projection (concurrent callers wait)."""
        with self._guard:
            lock = self._locks[key]
        with lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]  # type: ignore[no-any-return]

    def _entries(self, layout: str, *, weighted: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, data) of every edge as ``layout`` sees it.

        ``layout`` is an orientation, or ``"upper"``: each edge once as (min, max), the
        upper triangle of the undirected matrix.
        """
        src, dst = self.src, self.dst
        data = self.weight if weighted and self.weight is not None else np.ones(len(src))
        if layout == "natural":
            return src, dst, data
        if layout == "reverse":
            return dst, src, data
        if layout == "upper":
            return np.minimum(src, dst), np.maximum(src, dst), data
        other = src != dst  # a self loop is its own reverse: kept once
        return (
            np.concatenate([src, dst[other]]),
            np.concatenate([dst, src[other]]),
            np.concatenate([data, data[other]]),
        )

    def csr(
        self,
        orientation: Orientation = "natural",
        *,
        weighted: bool = True,
        parallel: Literal["sum", "min"] = "sum",
    ) -> sp.csr_array:
        """The adjacency matrix (row = source) in canonical CSR form, cached.

        ``undirected`` holds each edge both ways (a self loop once): the matrix is
        symmetric. Parallel entries are summed (``parallel="sum"``; without weights, or
        with ``weighted=False``, an entry counts edges) or reduced to the lightest
        (``"min"``: for shortest paths). Zero weights stay as explicit entries.
        """
        if orientation not in ORIENTATIONS:
            raise invalid(f"Unknown orientation {orientation!r}.", "orientation")
        return self._matrix(orientation, weighted=weighted, parallel=parallel)

    def _matrix(self, layout: str, *, weighted: bool, parallel: str) -> sp.csr_array:
        """:meth:`csr` of any layout of :meth:`_entries`, cached."""
        weighted = weighted and self.weight is not None
        parallel = parallel if weighted else "sum"  # counts: the same structure either way
        return self.cached(
            ("csr", layout, weighted, parallel),
            lambda: self._build_csr(layout, weighted=weighted, parallel=parallel),
        )

    def _build_csr(self, layout: str, *, weighted: bool, parallel: str) -> sp.csr_array:
        import scipy.sparse as sp

        if parallel == "min":
            summed = self._matrix(layout, weighted=True, parallel="sum")
            rows, cols, data = self._entries(layout, weighted=True)
            if summed.nnz == len(rows):  # no parallel entries: the same matrix
                return summed
            # the summed matrix has each pair once, sorted: find every edge's entry there
            n = self.n
            entry_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(summed.indptr))
            entry_keys = entry_rows * n + summed.indices
            where = np.searchsorted(entry_keys, rows * n + cols)
            lightest = np.full(summed.nnz, np.inf)
            np.minimum.at(lightest, where, data)
            shape = (n, n)
            return sp.csr_array((lightest, summed.indices.copy(), summed.indptr.copy()), shape)
        if layout == "reverse":  # a transpose beats a rebuild from unsorted rows
            return self._matrix("natural", weighted=weighted, parallel="sum").T.tocsr()
        rows, cols, data = self._entries(layout, weighted=weighted)
        matrix = sp.csr_array((data, (rows, cols)), shape=(self.n, self.n))
        matrix.sum_duplicates()
        return matrix

    def networkit(
        self,
        orientation: Orientation = "natural",
        *,
        weighted: bool = True,
        loops: bool = True,
        parallel: Literal["sum", "min"] = "sum",
    ) -> Any:  # networkit.Graph (networkit has no type information)
        """A networkit graph of the orientation, cached.

        Its nodes are the present nodes: node ``i`` is dense id ``present_ids[i]``
        (the same number when there are no holes; :meth:`spread` maps scores back).
        networkit's own removed nodes are avoided: some of its algorithms abort the
        process on them.

        Directed for ``natural``/``reverse``, undirected for ``undirected``; parallel
        edges become one edge as in :meth:`csr` (weights summed, or the lightest with
        ``parallel="min"``); ``loops=False`` drops self loops (k-core, clustering and
        triangles need that). Weighted only if asked and the projection has weights.
        """
        weighted = weighted and self.weight is not None
        parallel = parallel if weighted else "sum"
        return self.cached(
            ("networkit", orientation, weighted, loops, parallel),
            lambda: self._build_networkit(
                orientation, weighted=weighted, loops=loops, parallel=parallel
            ),
        )

    def _build_networkit(
        self, orientation: Orientation, *, weighted: bool, loops: bool, parallel: str
    ) -> Any:  # networkit.Graph (networkit has no type information)
        import networkit as nk

        directed = orientation != "undirected"
        layout = orientation if directed else "upper"  # undirected: each edge once
        matrix = self._matrix(layout, weighted=weighted, parallel=parallel)
        if len(self.present_ids) < self.n:  # holes: number the present nodes only
            matrix = matrix[self.present_ids][:, self.present_ids]
        graph = nk.graph.GraphFromCsr(matrix, directed=directed, weighted=weighted)
        if not loops:
            graph.removeSelfLoops()
        return graph

    # ----------------------------------------------------------------- keys

    def _block_of(self, dense_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._bases, dense_ids, side="right") - 1

    def node_keys(self) -> list[Any]:
        """Python identity per dense id: the key (one label) or ``(label, key)``; holes None."""
        if len(self.blocks) == 1:
            return self.blocks[0].keys.to_pylist()  # type: ignore[no-any-return]
        out: list[Any] = []
        for b in self.blocks:
            out.extend(None if k is None else (b.label, k) for k in b.keys.to_pylist())
        return out

    def resolve(self, key: Any, parameter: str) -> int:
        """The dense id of the node ``key`` names (400 naming ``parameter`` if none).

        ``key`` is a primary key; with several labels also ``"Label:key"`` or
        ``[label, key]`` (a bare key must then be unique across the labels).
        """
        candidates: list[tuple[LabelBlock, Any]] = [(b, key) for b in self.blocks]
        by_label = {b.label: b for b in self.blocks}
        if isinstance(key, (list, tuple)):
            if len(key) != 2 or key[0] not in by_label:
                raise invalid(
                    f"{parameter} {key!r} must be [label, key] with a label among "
                    f"{', '.join(self.node_labels)}.",
                    parameter,
                )
            candidates = [(by_label[key[0]], key[1])]
        found = [(b, i) for b, k in candidates if (i := _find(b.keys, k)) is not None]
        if not found and isinstance(key, str) and ":" in key:
            label, _, rest = key.partition(":")
            if label in by_label:
                found = [
                    (by_label[label], i)
                    for i in [_find(by_label[label].keys, rest)]
                    if i is not None
                ]
        if len(found) > 1:
            where = ", ".join(b.label for b, _ in found)
            raise invalid(
                f"{parameter} {key!r} is a key of several labels ({where}); pass "
                f'"Label:key" or [label, key].',
                parameter,
            )
        if not found:
            where = ", ".join(self.node_labels) or "no label"
            raise invalid(f"{parameter}: there is no node {key!r} in {where}.", parameter)
        block, offset = found[0]
        return block.base + offset

    def _key_arrays(self, dense_ids: np.ndarray) -> dict[str, pa.Array]:
        ids = np.asarray(dense_ids, dtype=np.int64)
        if len(self.blocks) == 1:
            b = self.blocks[0]
            return {b.key_name: b.keys.take(pa.array(ids - b.base))}
        which = self._block_of(ids)
        labels = np.array(self.node_labels, dtype=object)[which] if len(ids) else []
        same = len({str(b.keys.type) for b in self.blocks}) <= 1
        key_type = self.blocks[0].keys.type if same and self.blocks else pa.string()
        parts, positions = [], []
        for i, b in enumerate(self.blocks):
            pos = np.flatnonzero(which == i)
            keys = b.keys.take(pa.array(ids[pos] - b.base))
            parts.append(keys if same else pc.cast(keys, pa.string()))
            positions.append(pos)
        if parts:
            order = np.argsort(np.concatenate(positions), kind="stable")
            node_id = pa.concat_arrays(parts).take(pa.array(order))
        else:
            node_id = pa.array([], type=key_type)
        return {"label": pa.array(labels, type=pa.string()), "node_id": node_id}

    def key_columns(self, dense_ids: Sequence[int] | np.ndarray) -> dict[str, pa.Array]:
        """The key columns of the contract for these dense ids, in their order.

        One label: ``{key_name: keys}``; several: ``{"label": ..., "node_id": ...}``
        (``node_id`` as strings when the labels' key types differ).
        """
        return self._key_arrays(np.asarray(dense_ids, dtype=np.int64))

    def result_table(
        self, columns: Mapping[str, np.ndarray], keep: np.ndarray | None = None
    ) -> pa.Table:
        """Key columns then ``columns`` (each indexed by dense id), one row per kept node.

        Holes are always dropped; ``keep`` (bool per dense id) drops more.
        """
        rows = self.present if keep is None else self.present & np.asarray(keep, dtype=bool)
        ids = np.flatnonzero(rows)
        data: dict[str, Any] = dict(self._key_arrays(ids))
        for name, values in columns.items():
            data[name] = pa.array(np.asarray(values)[ids])
        return pa.table(data)


def _find(keys: pa.Array, value: Any) -> int | None:
    """Offset of ``value`` in ``keys`` (tried as the key type, then converted), or None."""
    attempts: list[Any] = [value]
    if isinstance(value, str) and pa.types.is_integer(keys.type):
        attempts.append(value.strip())
    if isinstance(value, int) and (
        pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type)
    ):
        attempts.append(str(value))
    for attempt in attempts:
        try:
            scalar = pa.array([attempt]).cast(keys.type)[0]
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            continue
        index = pc.index(keys, scalar).as_py()
        if index is not None and index >= 0:
            return int(index)
    return None
