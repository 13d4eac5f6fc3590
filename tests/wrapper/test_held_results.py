"""The wrapper's store of held results (guarded fetch): time to live on an injected clock,
eviction by count and by bytes (least recently used first), the owner rule, Parquet files
and what an expired, evicted or unknown id answers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper.engine import EngineResult
from graph_olap_server.wrapper.held import HeldResults, iso
from graph_olap_server.wrapper.query import QueryBody, too_large


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def table(rows: int) -> pa.Table:
    return pa.table({"n": pa.array(range(rows), pa.int64())})


def hold(store: HeldResults, rows: int, owner: str = "alice") -> str:
    held = store.hold(
        table(rows), owner=owner, query="UNWIND ...", parameters={}, column_types=["INT64"],
        execution_time_ms=1,
    )  # fmt: skip
    assert held is not None
    return held.result_id


def status(err: pytest.ExceptionInfo[APIError]) -> tuple[int, str]:
    return err.value.status_code, err.value.code


def test_a_result_lives_its_ttl_after_its_last_use(tmp_path: Path) -> None:
    clock = Clock()
    store = HeldResults(tmp_path, ttl_seconds=600, clock=clock)
    rid = hold(store, 10)
    assert iso(store.get(rid, "alice").expires_at) == iso(clock.now + 600)
    clock.now += 599
    assert store.get(rid, "alice").row_count == 10  # a use starts the 600 s again
    clock.now += 599
    assert store.get(rid, "alice").row_count == 10
    clock.now += 600
    with pytest.raises(APIError) as gone:
        store.get(rid, "alice")
    assert status(gone) == (410, "RESULT_EXPIRED")
    assert "expired (600 s after its last use)" in gone.value.message
    assert "Run the query again" in gone.value.message
    assert store.ids() == []


def test_the_least_recently_used_is_evicted_to_stay_within_the_bytes(tmp_path: Path) -> None:
    one = table(1000).nbytes  # 8,000 bytes of int64
    store = HeldResults(tmp_path, max_bytes=3 * one, max_count=100, clock=Clock())
    first, second, third = hold(store, 1000), hold(store, 1000), hold(store, 1000)
    store.get(first, "alice")  # used: now the second is the least recently used
    fourth = hold(store, 1000)
    assert store.ids() == [third, first, fourth]
    assert store.total_bytes == 3 * one
    with pytest.raises(APIError) as evicted:
        store.get(second, "alice")
    assert status(evicted) == (410, "RESULT_EXPIRED")
    assert "evicted to make room" in evicted.value.message
    big = hold(store, 2000)  # needs two results' room
    assert store.ids() == [fourth, big]


def test_the_count_bound_evicts_too_and_a_result_over_the_whole_bound_is_not_held(
    tmp_path: Path,
) -> None:
    store = HeldResults(tmp_path, max_count=2, max_bytes=80_000, clock=Clock())
    ids = [hold(store, 10) for _ in range(3)]
    assert store.ids() == ids[1:]
    too_big = store.hold(
        table(10_001), owner="alice", query="q", parameters={}, column_types=["INT64"],
        execution_time_ms=1,
    )  # fmt: skip
    assert too_big is None
    assert store.ids() == ids[1:]  # nothing was evicted for it


def test_only_the_owner_or_ops_and_admins_read_a_result(tmp_path: Path) -> None:
    store = HeldResults(tmp_path, clock=Clock())
    rid = hold(store, 5, owner="alice")
    with pytest.raises(APIError) as other:
        store.get(rid, "bob")
    assert status(other) == (403, "FORBIDDEN")
    assert "belongs to another user" in other.value.message
    assert store.get(rid, "ops", sees_all=True).owner == "alice"
    with pytest.raises(APIError):
        store.release(rid, "bob")
    assert store.ids() == [rid]


def test_an_unknown_id_is_404_and_a_released_one_410(tmp_path: Path) -> None:
    store = HeldResults(tmp_path, clock=Clock())
    with pytest.raises(APIError) as unknown:
        store.get("r-000000000000000000000000", "alice")
    assert status(unknown) == (404, "NOT_FOUND")
    rid = hold(store, 5)
    store.release(rid, "alice")
    with pytest.raises(APIError) as released:
        store.get(rid, "alice")
    assert status(released) == (410, "RESULT_EXPIRED")
    assert "released by its owner" in released.value.message


def test_parquet_is_written_once_and_deleted_with_the_result(tmp_path: Path) -> None:
    clock = Clock()
    store = HeldResults(tmp_path / "results", ttl_seconds=60, clock=clock)
    rid = hold(store, 1234)
    held = store.get(rid, "alice")
    path = store.parquet(held)
    assert pq.read_table(path).equals(table(1234))
    assert store.parquet(held) == path
    clock.now += 61
    assert store.ids() == []
    assert not path.exists()
    other = hold(store, 3)
    written = store.parquet(store.get(other, "alice"))
    store.close()
    assert not written.exists()
    with pytest.raises(APIError) as stopped:
        store.get(other, "alice")
    assert "the instance stopped" in stopped.value.message


def test_a_result_too_large_to_hold_is_refused_with_no_id(tmp_path: Path) -> None:
    store = HeldResults(tmp_path, max_bytes=1000, clock=Clock())
    result = EngineResult(["n"], ["INT64"], table(500), execution_time_ms=2.0)
    body = QueryBody(query="UNWIND range(1, 500) AS n RETURN n", max_rows=10)
    err = too_large(result, body, store, "alice")
    assert (err.status_code, err.code) == (406, "RESULT_TOO_LARGE")
    assert err.details["result_id"] is None and err.details["expires_at"] is None
    assert err.details["preview"] == [[i] for i in range(20)]
    assert "too large for this instance to hold" in err.message
    assert "max_rows=10" in err.message and "max_bytes" not in err.message
    assert store.ids() == []
