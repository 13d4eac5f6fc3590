"""Guarded fetch (issue 15, point 5), end to end on the real local platform.

One instance of a small mapping (Zachary's karate club); big results come from
``UNWIND range(...)``, so their size is exactly known. A result over the limits is not
sent: ``ResultTooLargeError`` says its size and shows a preview, and the held result is
fetched whole, in batches, as Parquet and lazily, each equal to the unguarded answer.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from graph_olap import (
    AsyncGraphOLAPClient,
    Config,
    ForbiddenError,
    GraphOLAPClient,
    HeldResult,
    InstanceConnection,
    ResultExpiredError,
    ResultTooLargeError,
)
from graph_olap.display.errors import compact_text, error_html
from graph_olap.instance.large import explain
from graph_olap.lineage import lineage_of
from graph_olap_server.runner import ServerThread

from .defs import KARATE_MEMBER, KARATE_TIE

pytestmark = pytest.mark.timeout(300)

USER = "gina"  # her own analyst: other modules' instances never count against her limit
ROWS = (
    "UNWIND range(1, $n) AS i RETURN i AS id, i * 2 AS twice, 'row-' + CAST(i AS STRING) AS label"
)


@pytest.fixture(scope="module")
def gina(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        yield client


@pytest.fixture(scope="module")
def instance_id(gina: GraphOLAPClient) -> Iterator[int]:
    mapping = gina.mappings.create(
        f"guarded-{uuid.uuid4().hex[:8]}",
        "karate club",
        node_definitions=[KARATE_MEMBER],
        edge_definitions=[KARATE_TIE],
    )
    instance = gina.instances.create_from_mapping_and_wait(
        mapping.id, f"guarded-{uuid.uuid4().hex[:8]}", timeout=240
    )
    yield instance.id
    gina.instances.terminate(instance.id)


@pytest.fixture(scope="module")
def conn(gina: GraphOLAPClient, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    with gina.instances.connect(instance_id) as connection:
        yield connection


@pytest.fixture(scope="module")
def whole(conn: InstanceConnection[Any]) -> pl.DataFrame:
    """The 25,000-row answer, fetched without any limit."""
    frame: pl.DataFrame = conn.query_df(ROWS, {"n": 25_000}, max_rows=None, max_bytes=None)
    assert frame.height == 25_000
    return frame


def too_large(conn: InstanceConnection[Any], n: int = 25_000, **limits: Any) -> ResultTooLargeError:
    with pytest.raises(ResultTooLargeError) as caught:
        conn.query_df(ROWS, {"n": n}, **limits)
    return caught.value


def test_an_over_limit_query_raises_with_its_size_a_preview_and_the_ways_out(
    conn: InstanceConnection[Any], whole: pl.DataFrame
) -> None:
    err = too_large(conn, max_rows=10_000)
    assert err.status_code == 406 and err.code == "RESULT_TOO_LARGE"
    assert err.row_count == 25_000
    assert err.bytes == err.result.bytes == err.details["bytes"]
    assert err.bytes >= 25_000 * 16  # the wrapper's Arrow size: two int64 columns and text
    assert isinstance(err.preview, pl.DataFrame)
    assert_frame_equal(err.preview, whole.head(20))
    assert err.result is not None and err.result.row_count == 25_000
    message = str(err)
    assert "25,000 rows" in message and "max_rows=10,000" in message
    for way in ("err.result.fetch()", "max_rows=None", "err.result.batches(100_000)",
                "conn.query_batches(q", 'err.result.to_parquet("big.parquet")',
                "conn.query_to_parquet(q", "err.result.scan()", "conn.query_lazy(q)"):  # fmt: skip
        assert way in message, way
    text = compact_text(err)
    assert "showing 20 of 25,000 rows" in text
    html = error_html(err)
    assert "showing 20 of 25,000 rows" in html and "<table" in html
    err.result.release()


def test_fetch_batches_parquet_and_scan_give_the_unguarded_answer(
    conn: InstanceConnection[Any], whole: pl.DataFrame, tmp_path: Path
) -> None:
    err = too_large(conn, max_bytes=1000)
    held = err.result
    assert err.details["max_bytes"] == 1000 and err.details["max_rows"] == 1_000_000
    fetched = held.fetch()
    assert_frame_equal(fetched, whole)
    assert lineage_of(fetched) is not None
    assert lineage_of(fetched).query == ROWS and lineage_of(fetched).parameters == {"n": 25_000}
    batches = list(held.batches(7_000))
    assert [b.height for b in batches] == [7_000, 7_000, 7_000, 4_000]
    assert_frame_equal(pl.concat(batches), whole)  # every row once, in order
    path = held.to_parquet(tmp_path / "big.parquet")
    assert_frame_equal(pl.read_parquet(path), whole)
    lazy = held.scan(tmp_path / "lazy.parquet")
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(), whole)
    assert lazy.select(pl.col("twice").sum()).collect().item() == whole["twice"].sum()
    held.release()
    with pytest.raises(ResultExpiredError, match=r"released by its owner\. Run the query again"):
        held.fetch()


def test_the_query_helpers_work_without_a_prior_error(
    conn: InstanceConnection[Any], whole: pl.DataFrame, tmp_path: Path
) -> None:
    batches = list(conn.query_batches(ROWS, {"n": 25_000}, batch_rows=10_000))
    assert [b.height for b in batches] == [10_000, 10_000, 5_000]
    assert_frame_equal(pl.concat(batches), whole)
    written = conn.query_to_parquet(ROWS, tmp_path / "q.parquet", {"n": 25_000})
    assert_frame_equal(pl.read_parquet(written), whole)
    lazy = conn.query_lazy(ROWS, {"n": 25_000}, path=tmp_path / "lazy.parquet")
    assert_frame_equal(lazy.collect(), whole)
    held = conn.hold(ROWS, {"n": 25_000})
    assert (held.row_count, held.columns) == (25_000, ["id", "twice", "label"])
    held.release()


def test_a_limit_not_exceeded_gives_the_normal_result(
    conn: InstanceConnection[Any], whole: pl.DataFrame
) -> None:
    exact = conn.query_df(ROWS, {"n": 25_000}, max_rows=25_000)
    assert_frame_equal(exact, whole)
    rows = conn.query(ROWS, {"n": 100}, max_rows=100)
    assert len(rows) == 100 and not rows.truncated
    with pytest.raises(ResultTooLargeError) as json_err:
        conn.query(ROWS, {"n": 101}, max_rows=100)
    assert json_err.value.row_count == 101
    assert json_err.value.result.fetch()["id"].to_list() == list(range(1, 102))


def test_the_config_limits_apply_and_a_call_overrides_them(
    server: ServerThread, instance_id: int, whole: pl.DataFrame
) -> None:
    config = Config(api_url=server.url, username=USER, max_retries=1, max_result_rows=5_000)
    with GraphOLAPClient(config=config) as client, client.instances.connect(instance_id) as c:
        with pytest.raises(ResultTooLargeError) as caught:
            c.query_df(ROWS, {"n": 25_000})
        assert caught.value.details["max_rows"] == 5_000
        assert_frame_equal(c.query_df(ROWS, {"n": 25_000}, max_rows=None), whole)
        assert c.query_df(ROWS, {"n": 5_000}).height == 5_000
        assert len(c.query(ROWS, {"n": 500})) == 500  # query() (JSON): a tenth of the rows
        with pytest.raises(ResultTooLargeError) as json_err:
            c.query(ROWS, {"n": 501})
        assert json_err.value.details["max_rows"] == 500
        assert "conn.query(q, max_rows=None" in str(json_err.value)
    with pytest.raises(ValueError, match="GRAPH_OLAP_MAX_RESULT_ROWS must be a whole number"):
        Config.from_env(environ={"GRAPH_OLAP_MAX_RESULT_ROWS": "lots"})
    unlimited = Config.from_env(environ={"GRAPH_OLAP_MAX_RESULT_ROWS": "none",
                                         "GRAPH_OLAP_MAX_RESULT_BYTES": "0"})  # fmt: skip
    assert (unlimited.max_result_rows, unlimited.max_result_bytes) == (None, None)


def test_only_the_owner_ops_and_admins_read_the_held_result(
    conn: InstanceConnection[Any], server: ServerThread, instance_id: int
) -> None:
    held = too_large(conn, max_rows=10).result
    info = held.info()
    with GraphOLAPClient(server.url, username="bob", max_retries=1) as bob:
        stranger = HeldResult(bob.instances.connect(instance_id), info, None)
        with pytest.raises(ForbiddenError) as refused:
            stranger.fetch()
        assert refused.value.status_code == 403
    with GraphOLAPClient(server.url, username="ops", max_retries=1) as ops:
        seen = HeldResult(ops.instances.connect(instance_id), info, None)
        assert seen.fetch().height == 25_000
    bad = httpx.get(f"{conn.instance_url}/results/r-not-an-id", headers={"X-Username": USER})
    assert bad.status_code == 400 and "A result id looks like" in bad.json()["error"]["message"]
    held.release()


def test_an_evicted_result_says_run_the_query_again(conn: InstanceConnection[Any]) -> None:
    """The instance holds at most 16 results: the 17th evicts the least recently used."""
    first = conn.hold(ROWS, {"n": 10})
    later = [conn.hold(ROWS, {"n": 10}) for _ in range(16)]
    with pytest.raises(ResultExpiredError) as gone:
        first.fetch()
    assert gone.value.status_code == 410
    assert "evicted to make room" in str(gone.value) and "Run the query again" in str(gone.value)
    assert later[-1].fetch().height == 10
    for held in later:
        held.release()


def test_async_client_fetches_and_iterates(server: ServerThread, instance_id: int,
                                           whole: pl.DataFrame) -> None:  # fmt: skip
    async def run() -> None:
        async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as client:
            conn = await client.instances.connect(instance_id)
            with pytest.raises(ResultTooLargeError) as caught:
                await conn.query_df(ROWS, {"n": 25_000}, max_rows=1_000)
            held = caught.value.result
            assert_frame_equal(await held.fetch(), whole)
            parts = [b async for b in held.batches(10_000)]
            assert_frame_equal(pl.concat(parts), whole)
            await held.release()
            streamed = [b async for b in conn.query_batches(ROWS, {"n": 25_000}, batch_rows=9_000)]
            assert [b.height for b in streamed] == [9_000, 9_000, 7_000]
            await conn.aclose()

    asyncio.run(run())


def test_a_result_the_instance_could_not_hold_says_to_narrow_the_query() -> None:
    details = {"result_id": None, "row_count": 9_000_000, "bytes": 3 << 30, "max_rows": None,
               "max_bytes": 1 << 30, "columns": ["n"], "column_types": ["INT64"],
               "preview": [[1], [2]]}  # fmt: skip
    err = explain(ResultTooLargeError("x", details, status_code=406), None, None, method="query_df")
    assert err.result is None
    assert_frame_equal(err.preview, pl.DataFrame({"n": [1, 2]}))
    assert "9,000,000 rows (3.0 GB), over max_bytes=1,073,741,824 (1.0 GB)" in str(err)
    assert "could not hold it" in str(err) and "conn.query_df(q, max_rows=None" in str(err)
    assert "showing 2 of 9,000,000 rows (3.0 GB)" in compact_text(err)
