"""The default projection built from the snapshot's edge files while the edges load.

The engine numbers each label's nodes (its *offsets*, not the node file's row order), so
the blocks come from the engine, read once every node file is loaded and *before* the
first edge ``COPY`` (:func:`~graph_olap_server.wrapper.algo.projection.read_blocks`):
Kùzu answers a read beside a ``COPY`` (slowly), but Ryugraph's ``COPY`` then times out
waiting for the read to end before its checkpoint, and the load fails. The relationships
come from the edge Parquet files, in the background while the edges load: their two key
columns, each key mapped to its node's offset with ``pyarrow.compute.index_in`` against
the block's keys, plus the block's base. The result is the projection
:func:`~graph_olap_server.wrapper.algo.projection.build_projection` reads from the
engine once the edges are in: the same blocks and keys, the same ``(src, dst)``
multiset. Only the edge *order* may differ, and nothing reads it: every library graph is
built from a CSR matrix whose duplicates are summed (counts, exact without weights), and
``degree`` counts with ``bincount``.

Anything the files cannot vouch for raises :class:`FileProjectionError` (the caller then
reads the projection from the engine once the load is done): a weighted selection (the
weights would come from the engine's casts), a label whose node count differs from the
manifest, an edge file whose row count differs or whose first two columns are not its
keys (the engine's ``COPY`` takes the ends by position), a key column of another type
than the engine's keys, a key with no node.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph_olap_server.wrapper.algo.base import Progress
from graph_olap_server.wrapper.algo.dense_graph import LabelBlock, Projection
from graph_olap_server.wrapper.algo.selection import Selection
from graph_olap_server.wrapper.manifest import EdgeFile

__all__ = ["FileProjectionError", "build_from_files"]


class FileProjectionError(Exception):
    """The snapshot files cannot give the projection the engine would give."""


def _castable(held: pa.DataType, wanted: pa.DataType) -> bool:
    """Whether a key column of type ``held`` means the same values as type ``wanted``."""
    if held.equals(wanted):
        return True
    if pa.types.is_integer(held) and pa.types.is_integer(wanted):
        return True  # a safe cast keeps every value or fails
    strings = (pa.types.is_string, pa.types.is_large_string)
    return any(f(held) for f in strings) and any(f(wanted) for f in strings)


def _dense_ids(column: pa.ChunkedArray, block: LabelBlock, what: str) -> np.ndarray:
    """The dense id of each key in ``column`` (a ``block.label`` key)."""
    keys = block.keys
    if not _castable(column.type, keys.type):
        raise FileProjectionError(
            f"{what} holds {column.type} keys but the engine's {block.label} keys are {keys.type}"
        )
    try:
        column = pc.cast(column, keys.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
        raise FileProjectionError(f"{what}: {err}") from err
    offsets = pc.index_in(column, value_set=keys, skip_nulls=True)
    if offsets.null_count:
        raise FileProjectionError(
            f"{what}: {offsets.null_count} keys are null or name no {block.label} node"
        )
    return np.asarray(offsets.to_numpy(), dtype=np.int64) + block.base


def _edge_ends(edge: EdgeFile, blocks: dict[str, LabelBlock]) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq

    where = f"edge file {edge.file.name} ({edge.type} {edge.from_node}->{edge.to_node})"
    columns = [edge.from_key, edge.to_key]
    try:  # one thread: the edges' COPY uses every core meanwhile
        names = pq.read_schema(edge.file).names
        if names[:2] != columns:  # the engine's COPY takes the ends by position
            raise FileProjectionError(f"{where} starts with {names[:2]}, not {columns}")
        table = pq.read_table(edge.file, columns=columns, use_threads=False)
    except (OSError, pa.ArrowException) as err:
        raise FileProjectionError(f"{where} cannot be read: {err}") from err
    if edge.row_count is not None and table.num_rows != edge.row_count:
        raise FileProjectionError(
            f"{where} holds {table.num_rows} rows but the manifest lists {edge.row_count}"
        )
    src = _dense_ids(table.column(edge.from_key), blocks[edge.from_node], f"{where} {columns[0]}")
    dst = _dense_ids(table.column(edge.to_key), blocks[edge.to_node], f"{where} {columns[1]}")
    return src, dst


def build_from_files(
    selection: Selection, blocks: Sequence[LabelBlock], progress: Progress
) -> Projection:
    """``selection``'s projection: ``blocks`` read from the engine (every node loaded),
    the relationships from the edge files (they may still be loading into the engine).

    Raises :class:`FileProjectionError` when the files cannot vouch for the result (see
    the module). Progress: phase ``projecting``, one step per (type, pair).

    Example:
        >>> everything = select(manifest, None, None, None)
        >>> blocks = read_blocks(engine, everything, Progress())  # before the edges' COPY
        >>> build_from_files(everything, blocks, Progress()).m  # rows of the edge files
        2600
    """
    if selection.weight_property is not None:
        raise FileProjectionError("a weighted projection is read from the engine")
    progress.start("projecting", total=len(selection.edges))
    for node, block in zip(selection.nodes, blocks, strict=True):
        held = len(block.keys) - block.keys.null_count
        if block.label != node.label or (node.row_count is not None and held != node.row_count):
            raise FileProjectionError(
                f"the engine holds {held} {block.label} nodes but the manifest lists "
                f"{node.row_count} {node.label} nodes"
            )
    by_label = {b.label: b for b in blocks}
    srcs, dsts = [], []
    for edge in selection.edges:
        src, dst = _edge_ends(edge, by_label)
        srcs.append(src)
        dsts.append(dst)
        progress.step(message=f"{len(src)} {edge.type} ({edge.from_node}->{edge.to_node})")

    def joined(parts: list[np.ndarray]) -> np.ndarray:
        return parts[0] if len(parts) == 1 else np.concatenate(parts or [np.zeros(0, np.int64)])

    return Projection(
        blocks=blocks,
        src=joined(srcs),
        dst=joined(dsts),
        relationship_types=selection.relationship_types,
    )
