"""QueryResult helpers on literal data, and Arrow IPC decoding of streams built here."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import pyarrow as pa
import pytest

from graph_olap import GraphOLAPError, QueryResult, ResultShapeError, ServerError
from graph_olap.display.interactive import enable_itables, itables_enabled
from graph_olap.instance.arrow import read_arrow_stream

ANSWER = {
    "columns": ["name", "accounts"],
    "column_types": ["STRING", "INT64"],
    "rows": [["Ada", 2], ["Grace", 1]],
    "row_count": 2,
    "execution_time_ms": 1.5,
    "truncated": False,
}
ADA = {"_id": "0:1", "_label": "Customer", "customer_id": 1, "name": "Ada"}
ACC = {"_id": "1:7", "_label": "Account", "account_id": 7}
OWNS = {"_id": "2:0", "_src": "0:1", "_dst": "1:7", "_label": "OWNS", "since": 2020}


def test_rows_iterate_as_dicts() -> None:
    result = QueryResult.from_api(ANSWER, query="MATCH ...")
    assert len(result) == 2
    assert list(result) == [{"name": "Ada", "accounts": 2}, {"name": "Grace", "accounts": 1}]
    assert result.to_dicts() == list(result)
    assert result[1] == {"name": "Grace", "accounts": 1}
    assert result.first() == {"name": "Ada", "accounts": 2}
    assert result.column_types == ["STRING", "INT64"]
    assert result.execution_time_ms == 1.5 and result.truncated is False
    assert result.query == "MATCH ..."
    assert repr(result) == "<QueryResult 2 rows x 2 columns ['name', 'accounts'], 1.5 ms>"


def test_rows_given_as_dicts_are_aligned_with_columns() -> None:
    result = QueryResult.from_api({"columns": ["a", "b"], "rows": [{"b": 2, "a": 1}]})
    assert result.rows == [[1, 2]]
    assert result.row_count == 1


def test_string_encoded_columns_are_parsed_by_type() -> None:
    import datetime
    from decimal import Decimal

    result = QueryResult.from_api(
        {
            "columns": ["amount", "day", "at", "big", "name", "bad"],
            "column_types": ["DECIMAL(12,2)", "DATE", "TIMESTAMP", "INT128", "STRING", "DATE"],
            "rows": [
                ["12.34", "2024-01-31", "2024-01-31T12:00:00", str(2**127 - 1), "12.34", "soon"],
                [None] * 6,
            ],
        }
    )
    assert result.rows[0] == [
        Decimal("12.34"),
        datetime.date(2024, 1, 31),
        datetime.datetime(2024, 1, 31, 12),
        2**127 - 1,
        "12.34",
        "soon",
    ]
    assert result.rows[1] == [None] * 6


def test_first_of_empty_is_none() -> None:
    assert QueryResult.from_api({"columns": ["a"], "rows": []}).first() is None


def test_scalar() -> None:
    assert QueryResult.from_api({"columns": ["n"], "rows": [[42]]}).scalar() == 42
    assert QueryResult.from_api({"columns": ["n"], "rows": [[None]]}).scalar() is None


@pytest.mark.parametrize(
    "data",
    [ANSWER, {"columns": ["n"], "rows": []}, {"columns": ["a", "b"], "rows": [[1, 2]]}],
)
def test_scalar_of_another_shape_says_what_it_got(data: dict) -> None:
    with pytest.raises(ResultShapeError) as info:
        QueryResult.from_api(data).scalar()
    assert "exactly one row with one column" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, GraphOLAPError)


def test_to_polars_and_to_pandas() -> None:
    result = QueryResult.from_api(ANSWER)
    df = result.to_polars()
    assert df.columns == ["name", "accounts"]
    assert df.to_dicts() == result.to_dicts()
    pd = pytest.importorskip("pandas")
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("records") == result.to_dicts()


def test_to_polars_with_nodes_makes_structs() -> None:
    df = QueryResult.from_api({"columns": ["c"], "rows": [[ADA]]}).to_polars()
    assert df["c"][0]["name"] == "Ada"


def test_to_networkx_builds_a_multidigraph() -> None:
    pytest.importorskip("networkx")
    result = QueryResult.from_api(
        {"columns": ["c", "o", "a"], "rows": [[ADA, OWNS, ACC], [ADA, OWNS, ACC]]}
    )
    g = result.to_networkx()
    assert g.is_directed() and g.is_multigraph()
    assert set(g.nodes) == {"0:1", "1:7"}
    assert g.nodes["0:1"] == {"_label": "Customer", "customer_id": 1, "name": "Ada"}
    assert g.number_of_edges() == 1  # the same relationship twice is one edge (keyed by _id)
    assert g.edges["0:1", "1:7", "2:0"] == {"_label": "OWNS", "since": 2020}


def test_to_networkx_finds_values_nested_in_lists_and_maps() -> None:
    pytest.importorskip("networkx")
    result = QueryResult.from_api(
        {"columns": ["p"], "rows": [[{"nodes": [ADA, ACC], "rels": [OWNS]}]]}
    )
    g = result.to_networkx()
    assert g.number_of_nodes() == 2 and g.number_of_edges() == 1


def test_to_networkx_accepts_ids_given_as_maps() -> None:
    pytest.importorskip("networkx")
    a = {"_id": {"table": 0, "offset": 1}, "_label": "Customer"}
    b = {"_id": {"table": 1, "offset": 7}, "_label": "Account"}
    r = {"_id": {"table": 2, "offset": 0}, "_src": a["_id"], "_dst": b["_id"], "_label": "OWNS"}
    g = QueryResult.from_api({"columns": ["a", "r", "b"], "rows": [[a, r, b]]}).to_networkx()
    assert g.has_edge("0:1", "1:7")
    assert set(g.edges(keys=True)) == {("0:1", "1:7", "2:0")}


def test_to_networkx_refuses_values_without_ids() -> None:
    pytest.importorskip("networkx")
    anonymous = {**ADA, "_id": None}
    with pytest.raises(ResultShapeError, match="without an _id"):
        QueryResult.from_api({"columns": ["c"], "rows": [[anonymous]]}).to_networkx()


def test_to_networkx_without_graph_values_says_what_to_return() -> None:
    pytest.importorskip("networkx")
    with pytest.raises(ResultShapeError, match="RETURN whole nodes"):
        QueryResult.from_api(ANSWER).to_networkx()


def _ipc(table: pa.Table, *, batch_size: int = 2) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_size):
            writer.write_batch(batch)
    return bytes(sink.getvalue().to_pybytes())


TABLE = pa.table(
    {
        "name": ["Ada", "Grace", "Edsger", None, "Barbara"],
        "n": pa.array([1, 2, 3, 4, 5], type=pa.int64()),
        "amount": pa.array([1.5, 2.0, None, 4.25, 0.0], type=pa.float64()),
    }
)


def test_arrow_stream_to_polars_over_several_batches() -> None:
    df = read_arrow_stream(_ipc(TABLE), "polars")
    assert df.columns == ["name", "n", "amount"]
    assert df.to_dicts() == TABLE.to_pylist()


def test_arrow_stream_to_pandas() -> None:
    pytest.importorskip("pandas")
    frame = read_arrow_stream(_ipc(TABLE), "pandas")
    assert list(frame.columns) == ["name", "n", "amount"]
    assert frame["n"].tolist() == [1, 2, 3, 4, 5]


def test_empty_arrow_stream_keeps_the_schema() -> None:
    empty = TABLE.slice(0, 0)
    df = read_arrow_stream(_ipc(empty), "polars")
    assert df.shape == (0, 3)
    assert str(df.schema["n"]) == "Int64"


def test_garbage_is_a_server_error_not_a_crash() -> None:
    with pytest.raises(ServerError, match="not a readable Arrow IPC stream"):
        read_arrow_stream(b"<html>proxy error</html>", "polars")
    with pytest.raises(ServerError):
        read_arrow_stream(_ipc(TABLE)[:40], "pandas")


@pytest.fixture
def itables_on() -> Iterator[None]:
    enable_itables()
    try:
        yield
    finally:
        enable_itables(enabled=False)


def _people() -> QueryResult:
    return QueryResult(
        columns=["p", "name", "score"],
        column_types=["NODE", "STRING", "DOUBLE"],
        rows=[
            [{"_id": {"table": 0, "offset": 0}, "_label": "Person"}, "Ann", 1.5],
            [{"_id": {"table": 0, "offset": 1}, "_label": "Person"}, "Bob", 2.5],
        ],
        execution_time_ms=1.5,
    )


def test_after_connect_results_are_interactive_tables(itables_on: None) -> None:
    html = _people()._repr_html_()
    assert "new ITable(" in html and '<table class="go-table' not in html
    caption = re.sub(r"<[^>]+>", "", html)  # the caption's parts are no-wrap spans
    assert "2 rows \u00b7 1.5 ms \u00b7 p NODE, name STRING, score DOUBLE" in caption
    assert "Ann" in html and '{"_id": {"table": 0, "offset": 0}, "_label": "Person"}' in html
    hostile = QueryResult(
        columns=["<script>y()</script>"], column_types=["STRING"], rows=[["<script>x()</script>"]]
    )
    shown = hostile._repr_html_()
    assert "<script>x()" not in shown and "<script>y()" not in shown  # cells, caption, names


def test_before_connect_results_are_static_tables() -> None:
    assert not itables_enabled()
    html = _people()._repr_html_()
    assert '<table class="go-table' in html and "new ITable(" not in html
    assert "showing 2 of 2 rows" in html


def test_without_itables_results_fall_back_to_static_tables(
    itables_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "itables", None)  # import fails
    html = _people()._repr_html_()
    assert '<table class="go-table' in html and "showing 2 of 2 rows" in html
