"""Guarded fetch: results too large to send at once, and the ways to get them anyway.

A query sends the caller's limits (``max_rows``, ``max_bytes``; defaults from
:class:`~graph_olap.Config`). A result over either is not sent: the instance holds it and
the SDK raises :class:`~graph_olap.ResultTooLargeError` with the full size, a preview and
``err.result``, a :class:`HeldResult`. From it (or from ``conn.hold(...)``, which holds a
result without trying to send it):

- ``fetch()``: the whole frame, without running the query again;
- ``batches(n)``: frames of at most ``n`` rows, each a bounded request
  (``GET /results/{id}/arrow?offset=&limit=``); on the async client an async iterator
  (``async for batch in held.batches(n)``);
- ``to_parquet(path)``: the instance writes Parquet, the SDK downloads it in chunks of
  :data:`PARQUET_CHUNK` bytes straight to ``path`` (never the whole file in memory);
- ``scan()``: ``to_parquet`` then ``polars.scan_parquet`` (a LazyFrame).

Frames carry the query's lineage (``graph_olap.lineage_of(frame)``).
"""

from __future__ import annotations

import enum
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from graph_olap import exceptions as exc
from graph_olap._core.ops import BinaryAnswer, Call, Op
from graph_olap._core.resource import M, Resource, api_method
from graph_olap.display.cards import human_bytes
from graph_olap.instance._guard import unwrap
from graph_olap.instance.arrow import ARROW_STREAM, Backend, check_backend, read_arrow_stream
from graph_olap.instance.result import QueryResult
from graph_olap.lineage import Lineage, remember
from graph_olap.utils.optional import import_optional

if TYPE_CHECKING:
    from graph_olap.config import Config

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "JSON_SHARE",
    "PARQUET",
    "PARQUET_CHUNK",
    "UNSET",
    "HeldResult",
    "HeldResultInfo",
    "Unset",
    "explain",
    "limits",
]

PARQUET = "application/vnd.apache.parquet"
PARQUET_CHUNK = 8 << 20
"""Bytes of Parquet one download request asks for."""
DEFAULT_BATCH_ROWS = 100_000


class Unset(enum.Enum):
    """The type of :data:`UNSET`: "not given, use the client's config"."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


def _check(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise exc.ValidationError(
            f"{name} must be a whole number of 0 or more, or None for no limit; got {value!r}.",
            details={"field": name},
        )
    return value


JSON_SHARE = 10
"""``conn.query()`` (JSON, Python objects) sends at most a tenth of
``Config.max_result_rows`` by default: measured on the local platform, 1,000,000 rows take
6.3 s as JSON against 0.18 s with ``query_df`` (Arrow), and many times the memory."""


def limits(
    config: Config,
    max_rows: int | Unset | None,
    max_bytes: int | Unset | None,
    *,
    as_json: bool = False,
) -> dict[str, int]:
    """The limits a query sends: the call's, else the config's (a tenth of its rows for
    JSON, :data:`JSON_SHARE`); None means no limit (and is not sent).

    Example:
        >>> limits(Config(), UNSET, None)
        {'max_rows': 1000000}
        >>> limits(Config(), UNSET, UNSET, as_json=True)
        {'max_rows': 100000, 'max_bytes': 536870912}
    """
    rows = config.max_result_rows
    if rows is not None and as_json:
        rows = max(1, rows // JSON_SHARE)
    rows = rows if max_rows is UNSET else _check(max_rows, "max_rows")
    size = config.max_result_bytes if max_bytes is UNSET else _check(max_bytes, "max_bytes")
    out = {"max_rows": rows, "max_bytes": size}
    return {k: v for k, v in out.items() if v is not None}


class HeldResultInfo(BaseModel):
    """What the instance says about a held result (``GET /results/{id}``)."""

    model_config = ConfigDict(extra="ignore")

    result_id: str
    row_count: int
    bytes: int
    columns: list[str]
    column_types: list[str]
    execution_time_ms: int | None = None
    expires_at: datetime | None = None
    parquet_bytes: int | None = None


class HeldResult(Resource[M]):
    """A query result the instance holds for you (see the module docstring).

    Attributes:
        result_id: The instance's id for it.
        row_count, bytes: Its size (rows; Arrow bytes).
        columns, column_types: Its columns and their engine types.
        expires_at: When the instance drops it if unused (each use extends it).
        lineage: What produced it (``lineage.rerun(client)``).

    Example:
        >>> held = conn.hold("MATCH (a:Account) RETURN a.account_id AS id")
        >>> for batch in held.batches(100_000):
        ...     process(batch)
        >>> held.to_parquet("accounts.parquet")
    """

    def __init__(self, connection: Any, info: HeldResultInfo, lineage: Lineage | None) -> None:
        super().__init__(connection._runner)
        self._connection = connection
        self.result_id = info.result_id
        self.row_count = info.row_count
        self.bytes = info.bytes
        self.columns = info.columns
        self.column_types = info.column_types
        self.expires_at = info.expires_at
        self.lineage = lineage

    def __repr__(self) -> str:
        return (
            f"<HeldResult {self.result_id} on instance {self._connection.instance_id}: "
            f"{self.row_count:,} rows, {human_bytes(self.bytes)}>"
        )

    def _path(self, tail: str = "") -> str:
        return f"/results/{self.result_id}{tail}"

    def _slice(self, offset: int, limit: int | None, backend: Backend) -> Op[Any]:
        params = {"offset": offset, "limit": limit}
        call = Call("GET", self._path("/arrow"), params=params, accept=ARROW_STREAM, binary=True)
        answer: BinaryAnswer = yield from self._connection._send(call)
        frame = read_arrow_stream(answer.content, backend)
        return frame if self.lineage is None else remember(frame, self.lineage)

    @api_method
    def info(self) -> Op[HeldResultInfo]:
        """What the instance holds now (and until when); raises ResultExpiredError once
        it is gone.

        Example:
            >>> held.info().expires_at
        """
        body = yield from self._connection._send(Call("GET", self._path()))
        info = HeldResultInfo.model_validate(unwrap(body))
        self.expires_at = info.expires_at
        return info

    @api_method
    def fetch(self, *, backend: Backend = "polars") -> Op[Any]:
        """The whole result as one DataFrame, without running the query again.

        Example:
            >>> df = err.result.fetch()
        """
        check_backend(backend)
        return (yield from self._slice(0, None, backend))

    def batches(self, batch_rows: int = DEFAULT_BATCH_ROWS, *, backend: Backend = "polars") -> Any:
        """The result in DataFrames of at most ``batch_rows`` rows, in order, each
        fetched when reached (one bounded request each).

        Sync client: an iterator (``for batch in held.batches(n)``). Async client: an
        async iterator (``async for batch in held.batches(n)``).

        Example:
            >>> total = sum(batch["amount"].sum() for batch in err.result.batches(100_000))
        """
        check_backend(backend)
        _positive(batch_rows, "batch_rows")
        if self._is_async:
            return self._abatches(batch_rows, backend, release=False)
        return self._batches(batch_rows, backend, release=False)

    def _batches(self, batch_rows: int, backend: Backend, *, release: bool) -> Iterator[Any]:
        run = self._runner.run
        for offset in range(0, self.row_count, batch_rows):
            yield run(self._slice(offset, batch_rows, backend))
        if release:
            run(type(self).release.op(self))

    async def _abatches(
        self, batch_rows: int, backend: Backend, *, release: bool
    ) -> AsyncIterator[Any]:
        run = self._runner.run
        for offset in range(0, self.row_count, batch_rows):
            yield await run(self._slice(offset, batch_rows, backend))
        if release:
            await run(type(self).release.op(self))  # type: ignore[misc]

    @api_method
    def to_parquet(self, path: str | Path) -> Op[Path]:
        """Write the result to ``path`` as Parquet: the instance writes the file, the SDK
        downloads it in chunks of 8 MB (never the whole file in memory).

        Example:
            >>> err.result.to_parquet("big.parquet")
            PosixPath('big.parquet')
        """
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        offset, total = 0, None
        with partial.open("wb") as file:
            while total is None or offset < total:
                params = {"offset": offset, "length": PARQUET_CHUNK}
                call = Call("GET", self._path("/parquet"), params=params, accept=PARQUET,
                            binary=True)  # fmt: skip
                answer: BinaryAnswer = yield from self._connection._send(call)
                total = int(answer.headers.get("x-total-bytes", "0"))
                if not answer.content and offset < total:
                    raise exc.ServerError(
                        f"The instance sent no bytes of result {self.result_id} at offset "
                        f"{offset} of {total}. Try again; report it if it persists.",
                        code="INVALID_RESPONSE",
                    )
                file.write(answer.content)
                offset += len(answer.content)
        partial.replace(target)
        return target

    @api_method
    def scan(self, path: str | Path | None = None) -> Op[Any]:
        """The result as a polars LazyFrame over a local Parquet copy (``to_parquet``
        first; ``path`` defaults to a file in the temporary folder).

        Example:
            >>> lazy = err.result.scan()
            >>> lazy.group_by("type").len().collect()
        """
        pl = import_optional("polars", extra="polars")
        if path is None:
            folder = Path(tempfile.gettempdir()) / "graph_olap"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"instance-{self._connection.instance_id}-{self.result_id}.parquet"
            path = folder / name
        written = yield from type(self).to_parquet.op(self, path)
        lazy = pl.scan_parquet(written)
        return lazy if self.lineage is None else remember(lazy, self.lineage)

    @api_method
    def release(self) -> Op[None]:
        """Let the instance drop the result now (it would after its time to live).

        Example:
            >>> err.result.release()
        """
        try:
            yield from self._connection._send(Call("DELETE", self._path()))
        except exc.NotFoundError:  # already gone (410 is a NotFoundError too)
            return None
        return None


def _positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise exc.ValidationError(
            f"{name} must be a whole number of 1 or more, got {value!r}.",
            details={"field": name},
        )
    return value


def explain(
    err: exc.ResultTooLargeError,
    connection: Any,
    lineage: Lineage | None,
    *,
    method: str,
) -> exc.ResultTooLargeError:
    """``err`` completed by the connection that ran the query: ``err.result`` (a
    :class:`HeldResult`), ``err.preview`` as a DataFrame when polars is installed, and a
    message with the ways out as code to paste (``method``: ``query`` or ``query_df``).
    """
    details = err.details
    if details.get("result_id"):
        info = HeldResultInfo.model_validate(details)
        err.result = HeldResult(connection, info, lineage)
    data = {k: details.get(k) for k in ("columns", "column_types")}
    preview = QueryResult.from_api({**data, "rows": details.get("preview") or []})
    try:
        err.preview = preview.to_polars()
    except exc.GraphOLAPError:  # no polars: the list of dicts stays
        err.preview = preview.to_dicts()
    err.message = _message(err, method)
    err.args = (err.message,)
    return err


def _message(err: exc.ResultTooLargeError, method: str) -> str:
    details = err.details
    rows, size = err.row_count or 0, human_bytes(err.bytes or 0)
    max_rows, max_bytes = details.get("max_rows"), details.get("max_bytes")
    sent = [f"max_rows={max_rows:,}"] if max_rows is not None and rows > max_rows else []
    if max_bytes is not None and (err.bytes or 0) > max_bytes:
        sent.append(f"max_bytes={max_bytes:,} ({human_bytes(max_bytes)})")
    head = (
        f"The result has {rows:,} rows ({size}), over {' and '.join(sent) or 'the limit'}, "
        "so it was not sent (it could freeze the notebook)."
    )
    if err.result is None:
        return (
            f"{head} The instance could not hold it. Narrow the query (filters, LIMIT), or "
            f"run it without the limit: conn.{method}(q, max_rows=None, max_bytes=None)."
        )
    ways = [
        f"fetch it whole (no rerun): df = err.result.fetch()  [or conn.{method}(q, "
        "max_rows=None, max_bytes=None)]",
        "stream it: for batch in err.result.batches(100_000): ...  [or "
        "conn.query_batches(q, batch_rows=100_000)]",
        'save it as Parquet: err.result.to_parquet("big.parquet")  [or '
        'conn.query_to_parquet(q, "big.parquet")]',
        "read it lazily: lazy = err.result.scan()  [or conn.query_lazy(q)]",
    ]
    expires = err.result.expires_at
    until = f" until {expires:%H:%M:%S} UTC" if expires else ""
    return (
        f"{head} The instance holds it as {err.result.result_id}{until}; ways out:\n"
        + "\n".join(f"  - {way}" for way in ways)
    )
