"""Rows fetched from a remote warehouse, written as Arrow batches into one Parquet file.

The file is written under a temporary name next to its destination and renamed into place,
so readers never see half a file; only one batch of rows is held in memory at a time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["Converter", "write_row_batches"]

Converter = Callable[[Any], Any]
"""Turns one value fetched from the warehouse into one Arrow accepts (``str`` for a UUID)."""


def _batch(
    rows: Sequence[Sequence[Any]], schema: pa.Schema, converters: Sequence[Converter | None]
) -> pa.RecordBatch:
    arrays = []
    for i, (field, convert) in enumerate(zip(schema, converters, strict=True)):
        values = [row[i] for row in rows]
        if convert is not None:
            values = [None if v is None else convert(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_row_batches(
    path: Path,
    schema: pa.Schema,
    batches: Iterable[Sequence[Sequence[Any]]],
    converters: Sequence[Converter | None] = (),
) -> int:
    """Write each batch of rows (tuples in ``schema`` order) to the Parquet file ``path``;
    returns the number of rows. ``converters[i]`` (if any) maps column ``i``'s values.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "t.parquet"
        >>> write_row_batches(path, pa.schema([("n", pa.int64())]), [[(1,), (2,)], [(3,)]])
        3
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    convert = list(converters) or [None] * len(schema)
    count = 0
    try:
        with pq.ParquetWriter(str(tmp), schema) as writer:
            for rows in batches:
                if rows:
                    writer.write_batch(_batch(rows, schema, convert))
                    count += len(rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count
