"""Held results: query results too large to send at once, kept for their owner a while.

When a query's result exceeds the limits the caller sent (``max_rows``, ``max_bytes``),
the wrapper answers ``406 RESULT_TOO_LARGE`` with a preview instead of the rows, and keeps
the result table here under a random id. Its owner then fetches it in bounded slices
(``GET /results/{id}/arrow?offset=&limit=``), as Parquet written to the instance's data
folder and downloaded in byte ranges (``GET /results/{id}/parquet?offset=&length=``), or
releases it (``DELETE /results/{id}``). ``POST /results`` holds a result without trying
to send it (``conn.query_batches``, ``conn.query_to_parquet``, ``conn.query_lazy``).

Bounds: each result lives ``ttl_seconds`` after its last use; at most ``max_count``
results and ``max_bytes`` of Arrow data (``table.nbytes``) are held, the least recently
used evicted first; a result larger than ``max_bytes`` alone is not held. Everything goes
when the instance stops (:meth:`HeldResults.close`). Only the owner (and ops or an admin)
may read a result; an expired or evicted one answers ``410 RESULT_EXPIRED``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph_olap_server.errors import APIError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_COUNT",
    "DEFAULT_TTL_SECONDS",
    "RESULT_ID_PATTERN",
    "Held",
    "HeldResults",
]

DEFAULT_TTL_SECONDS = 600.0
DEFAULT_MAX_COUNT = 16
DEFAULT_MAX_BYTES = 2 << 30  # 2 GiB of Arrow data across all held results
RESULT_ID_PATTERN = r"^r-[0-9a-f]{24}$"
_FORGOTTEN = 1000  # how many expired/evicted ids are remembered, to say "expired" not "unknown"
_AGAIN = "Run the query again (results are held for a while after their last use)."


def iso(moment: float) -> str:
    """A Unix time as ISO 8601 in UTC (``2026-01-31T12:00:00Z``)."""
    stamp = datetime.datetime.fromtimestamp(moment, datetime.timezone.utc)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclasses.dataclass
class Held:
    """One held result: the table, who may read it, what produced it, and when it goes."""

    result_id: str
    owner: str
    table: pa.Table
    column_types: list[str]
    query: str
    parameters: dict[str, Any]
    execution_time_ms: int
    expires_at: float
    parquet: Path | None = None

    @property
    def nbytes(self) -> int:
        """The Arrow size of the table: what the memory bound counts."""
        return int(self.table.nbytes)

    @property
    def row_count(self) -> int:
        return int(self.table.num_rows)


class HeldResults:
    """The held results of one wrapper (thread-safe; ``clock`` is injectable for tests).

    Example:
        >>> store = HeldResults(Path("inst/results"), ttl_seconds=600)
        >>> held = store.hold(table, owner="alice", query="MATCH ...", parameters={},
        ...                   column_types=["INT64"], execution_time_ms=12)
        >>> store.get(held.result_id, "alice").row_count
    """

    def __init__(
        self,
        folder: Path,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_count: int = DEFAULT_MAX_COUNT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = Path(folder)
        self.ttl_seconds = ttl_seconds
        self.max_count = max_count
        self.max_bytes = max_bytes
        self._clock = clock
        self._held: collections.OrderedDict[str, Held] = collections.OrderedDict()  # LRU first
        self._gone: collections.OrderedDict[str, str] = collections.OrderedDict()
        self._lock = threading.RLock()

    @property
    def total_bytes(self) -> int:
        """The Arrow bytes held now."""
        with self._lock:
            return sum(h.nbytes for h in self._held.values())

    def ids(self) -> list[str]:
        """The ids held now, least recently used first (expired ones dropped first)."""
        with self._lock:
            self._sweep()
            return list(self._held)

    def fits(self, nbytes: int) -> bool:
        """Whether a result of ``nbytes`` can be held at all (alone within the bound)."""
        return self.max_count > 0 and nbytes <= self.max_bytes

    def hold(
        self,
        table: pa.Table,
        *,
        owner: str,
        query: str,
        parameters: dict[str, Any],
        column_types: list[str],
        execution_time_ms: int,
    ) -> Held | None:
        """Keep ``table`` for ``owner``, evicting the least recently used results to make
        room; None when it is larger than the whole bound (nothing is evicted then)."""
        if not self.fits(int(table.nbytes)):
            return None
        with self._lock:
            self._sweep()
            while self._held and (
                len(self._held) >= self.max_count
                or self.total_bytes + int(table.nbytes) > self.max_bytes
            ):
                oldest = next(iter(self._held))
                self._drop(oldest, "evicted to make room for newer results")
            held = Held(
                result_id=f"r-{secrets.token_hex(12)}",
                owner=owner,
                table=table,
                column_types=column_types,
                query=query,
                parameters=parameters,
                execution_time_ms=execution_time_ms,
                expires_at=self._clock() + self.ttl_seconds,
            )
            self._held[held.result_id] = held
            return held

    def get(self, result_id: str, username: str, *, sees_all: bool = False) -> Held:
        """The result, if ``username`` may read it; its time to live starts again.

        Raises:
            APIError: 404 (never held here), 410 ``RESULT_EXPIRED`` (expired, evicted or
                released: run the query again), 403 (another user's).
        """
        with self._lock:
            self._sweep()
            held = self._held.get(result_id)
            if held is None:
                raise self._missing(result_id)
            if held.owner != username and not sees_all:
                raise APIError(
                    403,
                    "FORBIDDEN",
                    f"Result {result_id} belongs to another user; only they (or ops, or an "
                    "admin) may read it. Run the query yourself to get its rows.",
                    {"result_id": result_id},
                )
            held.expires_at = self._clock() + self.ttl_seconds
            self._held.move_to_end(result_id)
            return held

    def release(self, result_id: str, username: str, *, sees_all: bool = False) -> Held:
        """Forget the result now (its Parquet file too)."""
        with self._lock:
            held = self.get(result_id, username, sees_all=sees_all)
            self._drop(result_id, "released by its owner")
            return held

    def parquet(self, held: Held) -> Path:
        """The result as a Parquet file in :attr:`folder`, written on first use."""
        with self._lock:
            if held.parquet is not None and held.parquet.exists():
                return held.parquet
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{held.result_id}.parquet"
            partial = path.with_suffix(".partial")
            pq.write_table(held.table, partial)
            partial.replace(path)
            held.parquet = path
            if held.result_id not in self._held:  # released meanwhile: leave no file
                path.unlink(missing_ok=True)
            return path

    def close(self) -> None:
        """Forget every result and delete their files (the instance stops)."""
        with self._lock:
            for result_id in list(self._held):
                self._drop(result_id, "gone: the instance stopped")

    def _sweep(self) -> None:
        now = self._clock()
        for result_id in [r for r, h in self._held.items() if h.expires_at <= now]:
            self._drop(result_id, f"expired ({self.ttl_seconds:g} s after its last use)")

    def _drop(self, result_id: str, reason: str) -> None:
        held = self._held.pop(result_id, None)
        if held is not None and held.parquet is not None:
            held.parquet.unlink(missing_ok=True)
        self._gone[result_id] = reason
        while len(self._gone) > _FORGOTTEN:
            self._gone.popitem(last=False)

    def _missing(self, result_id: str) -> APIError:
        reason = self._gone.get(result_id)
        if reason is None:
            return APIError(
                404,
                "NOT_FOUND",
                f"Result {result_id} is not held on this instance (it never was, or it "
                f"went long ago, or the instance restarted). {_AGAIN}",
                {"result_id": result_id},
            )
        return APIError(
            410,
            "RESULT_EXPIRED",
            f"Result {result_id} is no longer held: {reason}. {_AGAIN}",
            {"result_id": result_id, "reason": reason},
        )
