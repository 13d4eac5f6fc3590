"""Query results as the wire sees them: one Arrow shape for both engines, JSON, Arrow IPC.

Both engines hand results over as Arrow. :func:`normalise_table` makes the two engines'
Arrow identical: the internal fields of nodes, relationships and paths are renamed to
lower case (``_ID`` → ``_id``, ``_LABEL`` → ``_label``, ``_SRC``/``_DST``,
``_NODES``/``_RELS``) and Ryugraph's ``arrow.uuid`` extension becomes a string, as in Kùzu.

JSON values (:func:`json_body`, encoded with orjson):

- nodes ``{"_id": {"offset", "table"}, "_label", ...props}``, relationships ``{"_id",
  "_src", "_dst", "_label", ...props}``, paths ``{"_nodes": [...], "_rels": [...]}``
- DATE, TIMESTAMP: ISO 8601 strings (``"2024-01-31"``, ``"2024-01-31T12:00:00"``)
- DECIMAL (and INT128): strings, so no digit is lost (``"12.34"``); ``column_types``
  says which columns to parse as decimals
- UUID: strings; BLOB: base64 strings; INTERVAL: ISO 8601 durations (``"P1DT3600S"``)
- MAP: a list of ``[key, value]`` pairs; NaN and infinities: ``null``

Arrow IPC keeps the native types (decimal128, date32, timestamp[us], ...).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa
from pydantic import BaseModel
from starlette.responses import StreamingResponse

__all__ = [
    "ARROW_STREAM",
    "arrow_response",
    "arrow_stream_chunks",
    "arrow_stream_size",
    "json_body",
    "normalise_table",
    "table_rows",
]

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_RENAMES = {
    "_ID": "_id",
    "_LABEL": "_label",
    "_SRC": "_src",
    "_DST": "_dst",
    "_NODES": "_nodes",
    "_RELS": "_rels",
}
_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def _target_type(dtype: pa.DataType) -> pa.DataType:
    """``dtype`` with renamed struct fields and UUIDs as strings (nested too)."""
    if isinstance(dtype, pa.BaseExtensionType):
        return pa.string() if "uuid" in dtype.extension_name else dtype
    if pa.types.is_struct(dtype):
        fields = [dtype.field(i) for i in range(dtype.num_fields)]
        return pa.struct(
            [
                pa.field(_RENAMES.get(f.name, f.name), _target_type(f.type), f.nullable)
                for f in fields
            ]
        )
    if pa.types.is_large_list(dtype):
        return pa.large_list(_target_type(dtype.value_type))
    if pa.types.is_list(dtype):
        return pa.list_(_target_type(dtype.value_type))
    return dtype


def _uuid_strings(array: pa.Array) -> pa.Array:
    """Extension UUIDs as canonical strings (Arrow cannot cast them to text itself)."""
    values = array.storage.to_pylist()
    return pa.array([None if b is None else str(uuid.UUID(bytes=b)) for b in values], pa.string())


def _convert(array: pa.Array, target: pa.DataType) -> pa.Array:
    """``array`` rebuilt as ``target`` (a cast would match struct fields by name)."""
    if array.type.equals(target):
        return array
    if isinstance(array.type, pa.BaseExtensionType):
        return _uuid_strings(array)
    mask = array.is_null() if array.null_count else None
    if pa.types.is_struct(target):
        fields = [target.field(i) for i in range(target.num_fields)]
        children = [_convert(array.field(i), f.type) for i, f in enumerate(fields)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=mask)
    kind = pa.LargeListArray if pa.types.is_large_list(target) else pa.ListArray
    values = _convert(array.values, target.value_type)
    return kind.from_arrays(array.offsets, values, type=target, mask=mask)


def normalise_table(table: pa.Table) -> pa.Table:
    """The engine's result table in the wrapper's engine-independent Arrow shape."""
    columns, changed = [], False
    for column in table.columns:
        target = _target_type(column.type)
        if target.equals(column.type):
            columns.append(column)
            continue
        changed = True
        columns.append(pa.chunked_array([_convert(c, target) for c in column.chunks], target))
    if not changed:
        return table
    return pa.Table.from_arrays(columns, names=table.column_names)


def table_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """Row tuples of Python values, built column by column (fast for wide results)."""
    return list(zip(*(column.to_pylist() for column in table.columns), strict=True))


def _duration(value: datetime.timedelta) -> str:
    seconds = value.seconds + value.microseconds / 1e6
    text = f"{seconds:.6f}".rstrip("0").rstrip(".")
    return f"P{value.days}DT{text}S"


def _fields(model: BaseModel) -> dict[str, Any]:
    """The fields of ``model`` by wire name, values as they are (orjson walks them: no copy)."""
    fields = type(model).model_fields
    out = {
        info.serialization_alias or info.alias or name: getattr(model, name)
        for name, info in fields.items()
    }
    out.update(model.model_extra or {})
    return out


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _fields(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime.timedelta):
        return _duration(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_body(payload: dict[str, Any] | BaseModel) -> bytes:
    """``payload`` (a dict, or a model written by its fields' wire names, in order) as
    JSON bytes (orjson; see the module docstring for value shapes).

    Example:
        >>> json_body({"n": 1})
        b'{"n":1}'
    """
    return orjson.dumps(payload, default=_default, option=orjson.OPT_NON_STR_KEYS)


def arrow_stream_chunks(table: pa.Table, max_rows: int = 100_000) -> Iterator[memoryview]:
    """The Arrow IPC stream of ``table``: schema, record batches of ≤ ``max_rows``, EOS.

    Each batch is serialised when it is sent, and handed over without another copy.
    """
    yield memoryview(table.schema.serialize())
    for batch in table.to_batches(max_chunksize=max_rows):
        yield memoryview(batch.serialize())
    yield memoryview(_EOS)


def arrow_stream_size(table: pa.Table, max_rows: int = 100_000) -> int:
    """The length in bytes of :func:`arrow_stream_chunks` ``(table, max_rows)``, known
    without serialising a batch: the answer carries a ``Content-Length``, so the server
    writes each chunk as it is (no chunked framing, which copies it) and the client
    reads to a known end.

    Example:
        >>> arrow_stream_size(pa.table({"n": [1, 2]}))
        296
    """
    batches = table.to_batches(max_chunksize=max_rows)
    body: int = sum(pa.ipc.get_record_batch_size(batch) for batch in batches)
    schema: int = table.schema.serialize().size
    return schema + body + len(_EOS)


def arrow_response(
    table: pa.Table, max_rows: int, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """``table`` answered as an Arrow IPC stream (record batches of ≤ ``max_rows``).

    Example:
        >>> arrow_response(result.table, config.arrow_batch_rows, {"X-Row-Count": "2"})
    """
    length = {"Content-Length": str(arrow_stream_size(table, max_rows))}
    return StreamingResponse(
        arrow_stream_chunks(table, max_rows),
        media_type=ARROW_STREAM,
        headers={**(headers or {}), **length},
    )
