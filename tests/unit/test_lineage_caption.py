"""The lineage caption of a query result (notebook HTML), and how frames keep a lineage.

Lineages built by hand here; what the platform fills in is tested end to end in
tests/e2e/test_lineage.py.
"""

from __future__ import annotations

import gc
import json
from datetime import datetime, timezone

import pandas as pd
import polars as pl

from graph_olap import QueryResult
from graph_olap.display.tables import query_caption, query_table
from graph_olap.lineage import Lineage, lineage_of, remember

RAN_AT = datetime(2026, 12, 5, 17, 0, tzinfo=timezone.utc)


def full(**changes: object) -> Lineage:
    values: dict[str, object] = {
        "kind": "query",
        "instance_id": 12,
        "snapshot_id": 7,
        "mapping_id": 3,
        "mapping_version": 2,
        "engine": "kuzu",
        "query": 'MATCH (c) WHERE c.name < $x RETURN c.name AS "n"',
        "parameters": {"x": "M"},
        "ran_at": RAN_AT,
        "server_ms": 12.5,
        "round_trip_ms": 200.0,
        "decode_ms": 10.0,
    }
    return Lineage.model_validate({**values, **changes})


def test_the_caption_is_one_short_line_of_origin_and_time() -> None:
    assert full().caption() == "instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.21 s"
    algorithm = full(kind="algorithm", query=None, algorithm="pagerank")
    assert algorithm.caption() == (
        "instance 12 · snapshot 7 · mapping 3 v2 · kuzu · pagerank · 0.21 s"
    )


def test_what_is_not_known_is_left_out_of_the_caption() -> None:
    bare = full(snapshot_id=None, mapping_id=None, engine=None, round_trip_ms=None)
    assert bare.caption() == "instance 12"
    assert bare.total_seconds() is None
    assert full(mapping_version=None).caption().startswith("instance 12 · snapshot 7 · mapping 3 ·")


def test_the_result_table_shows_the_caption_under_it_with_the_query_on_hover() -> None:
    result = QueryResult(columns=["n"], column_types=["STRING"], rows=[["Ada"]])
    assert "go-lineage" not in query_table(result)  # a result built by hand has none
    result.lineage = full()
    html = query_table(result)
    assert html.index("go-lineage") > html.index("</table>")
    assert "instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.21 s" in html
    assert 'title="MATCH (c) WHERE c.name &lt; $x RETURN c.name AS &quot;n&quot;"' in html
    assert "instance 12 · snapshot 7" in query_caption(result)  # the interactive table's
    assert "instance 12 · snapshot 7" in result._repr_html_()
    assert repr(result).endswith(", from instance 12>")


def test_a_lineage_is_json_and_reads_back() -> None:
    lineage = full(kind="algorithm", algorithm="wcc", options={"node_labels": ["A"]})
    data = json.loads(json.dumps(lineage.to_dict()))
    assert data["ran_at"] == "2026-12-05T17:00:00Z"
    assert Lineage.from_dict(data) == lineage


def test_a_polars_frame_is_known_by_identity_only() -> None:
    df = remember(pl.DataFrame({"a": [1, 2]}), full())
    assert lineage_of(df) == full()
    assert lineage_of(df.sort("a")) is None
    assert lineage_of(pl.DataFrame({"a": [1, 2]})) is None
    del df
    gc.collect()
    from graph_olap import lineage as module

    assert not [key for key, (ref, _) in module._FRAMES.items() if ref() is None]


def test_a_pandas_frame_keeps_it_in_attrs_and_passes_it_on() -> None:
    df = remember(pd.DataFrame({"a": [1, 2]}), full(kind="query_df", backend="pandas"))
    assert df.attrs["graph_olap_lineage"]["instance_id"] == 12
    assert lineage_of(df) == full(kind="query_df", backend="pandas")
    assert lineage_of(df[df["a"] > 1]) == lineage_of(df)


def test_a_plain_value_is_returned_unchanged() -> None:
    assert remember(0.5, full()) == 0.5
    assert lineage_of(0.5) is None


def test_rerun_of_a_gone_instance_says_how_to_start_again() -> None:
    error = full()._gone()
    message = str(error)
    assert "instance 12 no longer runs" in message
    assert "client.instances.create_and_wait(7, name)" in message
    assert "create_from_mapping_and_wait(3, name, mapping_version=2)" in message
    assert error.details["snapshot_id"] == 7
    unknown = str(full(snapshot_id=None, mapping_id=None)._gone())
    assert "create_from_mapping_and_wait(mapping_id, name)" in unknown
