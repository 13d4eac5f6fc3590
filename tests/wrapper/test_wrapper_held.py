"""Guarded fetch on a real wrapper process per engine: ``POST /query`` over the caller's
``max_rows``/``max_bytes`` answers 406 ``RESULT_TOO_LARGE`` with a preview and holds the
result; ``/results/{id}`` serves it in Arrow slices and Parquet byte ranges, equal to the
unguarded answer."""

from __future__ import annotations

import io
import re
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph_olap_server.wrapper.held import RESULT_ID_PATTERN
from tests.wrapper.conftest import Wrapper

ARROW = "application/vnd.apache.arrow.stream"
CUSTOMERS = (
    "MATCH (c:Customer) RETURN c.id AS id, c.name AS name, c.joined AS joined, "
    "c.balance AS balance ORDER BY id"
)


def arrow_table(response: Any) -> pa.Table:
    assert response.status_code == 200, response.text
    return pa.ipc.open_stream(response.content).read_all()


def test_an_over_limit_result_is_held_with_a_preview(wrapper: Wrapper) -> None:
    whole = wrapper.query(CUSTOMERS).json()
    for accept in ("application/json", ARROW):
        answer = wrapper.http.post(
            "/query", json={"query": CUSTOMERS, "max_rows": 100}, headers={"Accept": accept}
        )
        assert answer.status_code == 406, answer.text
        error = answer.json()["error"]
        assert error["code"] == "RESULT_TOO_LARGE"
        assert "400 rows" in error["message"] and "max_rows=100" in error["message"]
        details = error["details"]
        assert re.fullmatch(RESULT_ID_PATTERN, details["result_id"])
        assert details["row_count"] == 400 and details["max_rows"] == 100
        assert details["columns"] == whole["columns"]
        assert details["column_types"] == whole["column_types"]
        assert details["preview"] == whole["rows"][:20]  # JSON value shapes (decimals, dates)
        assert details["expires_at"].endswith("Z") and details["bytes"] > 0
        info = wrapper.http.get(f"/results/{details['result_id']}").json()
        assert (info["row_count"], info["bytes"]) == (400, details["bytes"])
    under = wrapper.http.post("/query", json={"query": CUSTOMERS, "max_rows": 400})
    assert under.status_code == 200 and under.json()["row_count"] == 400


def test_slices_and_parquet_ranges_equal_the_unguarded_answer(wrapper: Wrapper) -> None:
    full = arrow_table(wrapper.http.post("/query", json={"query": CUSTOMERS},
                                         headers={"Accept": ARROW}))  # fmt: skip
    answer = wrapper.http.post("/query", json={"query": CUSTOMERS, "max_bytes": 100})
    assert answer.status_code == 406 and "max_bytes=100" in answer.json()["error"]["message"]
    rid = answer.json()["error"]["details"]["result_id"]
    last = wrapper.http.get(f"/results/{rid}/arrow", params={"offset": 390, "limit": 50})
    assert last.headers["x-row-count"] == "10" and last.headers["x-total-rows"] == "400"
    assert arrow_table(last).equals(full.slice(390, 10))
    slices = [
        arrow_table(wrapper.http.get(f"/results/{rid}/arrow", params={"offset": o, "limit": 150}))
        for o in range(0, 400, 150)
    ]
    assert pa.concat_tables(slices).equals(full)
    chunks, offset, total = [], 0, None
    while total is None or offset < total:
        part = wrapper.http.get(f"/results/{rid}/parquet", params={"offset": offset,
                                                                    "length": 1000})  # fmt: skip
        assert part.status_code == 200 and len(part.content) <= 1000
        total = int(part.headers["x-total-bytes"])
        chunks.append(part.content)
        offset += len(part.content)
    assert pq.read_table(io.BytesIO(b"".join(chunks))).equals(full.replace_schema_metadata())
    info = wrapper.http.get(f"/results/{rid}").json()
    assert info["parquet_bytes"] == total
    assert wrapper.http.delete(f"/results/{rid}").status_code == 200
    gone = wrapper.http.get(f"/results/{rid}/arrow")
    assert gone.status_code == 410 and "Run the query again" in gone.json()["error"]["message"]


def test_post_results_holds_whatever_the_size_and_checks_ids(wrapper: Wrapper) -> None:
    held = wrapper.http.post("/results", json={"query": CUSTOMERS})
    assert held.status_code == 201, held.text
    info = held.json()
    assert info["row_count"] == 400 and info["parquet_bytes"] is None
    bad = wrapper.http.get("/results/not-an-id/arrow")
    assert bad.status_code == 400 and "A result id looks like" in bad.json()["error"]["message"]
    unknown = wrapper.http.get("/results/r-000000000000000000000000")
    assert unknown.status_code == 404
    writes = wrapper.http.post("/results", json={"query": "CREATE (:Customer {id: 9999})"})
    assert writes.status_code == 403 and writes.json()["error"]["code"] == "WRITE_NOT_ALLOWED"
    wrapper.http.delete(f"/results/{info['result_id']}")
