"""Engine-independent pieces: Arrow normalisation, JSON values, IPC stream, DDL, manifest."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import uuid
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from graph_olap_server.wrapper.manifest import (
    Manifest,
    ManifestError,
    ddl_type,
    edge_ddl,
    node_ddl,
    quote,
)
from graph_olap_server.wrapper.values import (
    arrow_stream_chunks,
    arrow_stream_size,
    json_body,
    normalise_table,
    table_rows,
)


def _node(label: str, offset: int) -> dict[str, object]:
    return {"_ID": {"offset": offset, "table": 0}, "_LABEL": label, "id": offset}


def test_engine_struct_fields_become_lower_case_and_uuids_strings() -> None:
    nodes = pa.array([_node("P", 0), None, _node("Q", 2)])
    raw = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    uuids = pa.ExtensionArray.from_storage(
        pa.uuid(), pa.array([raw.bytes, None, raw.bytes], pa.binary(16))
    )
    paths = pa.array([{"_NODES": [_node("P", 0)], "_RELS": []}, None, None])
    table = pa.table({"n": nodes, "u": uuids, "p": paths}).slice(1)

    out = normalise_table(table)

    assert out.to_pylist() == [
        {"n": None, "u": None, "p": None},
        {
            "n": {"_id": {"offset": 2, "table": 0}, "_label": "Q", "id": 2},
            "u": str(raw),
            "p": None,
        },
    ]
    assert out.schema.field("u").type == pa.string()


def test_plain_tables_are_left_alone() -> None:
    table = pa.table({"x": [1, 2], "s": ["a", None]})
    assert normalise_table(table) is table


def test_json_values_are_json_safe() -> None:
    table = pa.table(
        {
            "d": pa.array([datetime.date(2024, 1, 31)]),
            "ts": pa.array([datetime.datetime(2024, 1, 31, 12, 0, 1, 500)]),
            "dec": pa.array([decimal.Decimal("12.34")], pa.decimal128(12, 2)),
            "blob": pa.array([b"\x00\xff"]),
            "iv": pa.array([datetime.timedelta(days=1, seconds=3600)]),
            "nan": pa.array([float("nan")]),
        }
    )
    rows = orjson.loads(json_body({"rows": table_rows(table)}))["rows"]
    assert rows == [
        ["2024-01-31", "2024-01-31T12:00:01.000500", "12.34", "AP8=", "P1DT3600S", None]
    ]


def test_arrow_stream_is_readable_in_batches() -> None:
    table = pa.table({"x": list(range(25)), "s": [str(i) for i in range(25)]})
    stream = b"".join(arrow_stream_chunks(table, max_rows=10))
    reader = pa.ipc.open_stream(io.BytesIO(stream))
    batches = list(reader)
    assert [b.num_rows for b in batches] == [10, 10, 5]
    assert pa.Table.from_batches(batches).equals(table)
    empty = b"".join(arrow_stream_chunks(table.slice(0, 0)))
    assert pa.ipc.open_stream(io.BytesIO(empty)).read_all().num_rows == 0


@pytest.mark.parametrize(
    "table",
    [
        pa.table({"x": list(range(25)), "s": [str(i) if i % 3 else None for i in range(25)]}),
        pa.table({"x": pa.array([], pa.int64())}),
        pa.table({"l": [[1, 2], None, []], "d": pa.array([1.5, None, 2.0])}),
    ],
    ids=["batches-with-nulls", "empty", "lists"],
)
@pytest.mark.parametrize("max_rows", [1, 10, 100_000])
def test_arrow_stream_size_is_the_length_of_the_stream(table: pa.Table, max_rows: int) -> None:
    """The answer's Content-Length is computed before any batch is serialised: it must
    be exactly what is sent, or the client would wait for bytes that never come."""
    sent = sum(len(chunk) for chunk in arrow_stream_chunks(table, max_rows))
    assert arrow_stream_size(table, max_rows) == sent


@pytest.mark.parametrize(
    ("graph", "ddl"),
    [
        ("STRING", "STRING"),
        ("int64", "INT64"),
        ("BOOL", "BOOLEAN"),
        ("SERIAL", "INT64"),
        ("DECIMAL(12, 2)", "DECIMAL(12,2)"),
        ("TIMESTAMP", "TIMESTAMP"),
    ],
)
def test_graph_types_map_to_ddl(graph: str, ddl: str) -> None:
    assert ddl_type(graph) == ddl


@pytest.mark.parametrize("bad", ["VARCHAR(10)", "DECIMAL(40,2)", "DECIMAL(4,6)", "MAP", ""])
def test_unknown_types_are_refused(bad: str) -> None:
    with pytest.raises(ManifestError):
        ddl_type(bad)


def test_names_are_quoted_and_backticks_refused() -> None:
    assert quote("Has Space") == "`Has Space`"
    with pytest.raises(ManifestError):
        quote("bad`) DROP")


def _manifest(tmp_path: Path, **extra: object) -> dict[str, object]:
    return {
        "mapping_id": 1,
        "mapping_version": 2,
        "snapshot_id": 3,
        "nodes": [
            {
                "label": "Customer",
                "file": "nodes/Customer.parquet",
                "primary_key": {"name": "id", "type": "INT64"},
                "properties": [{"name": "balance", "type": "DECIMAL(12,2)"}],
                "row_count": 5,
            },
            {
                "label": "Company",
                "file": "nodes/Company.parquet",
                "primary_key": {"name": "id", "type": "INT64"},
                "properties": [],
                "row_count": 2,
            },
        ],
        "edges": [
            {
                "type": "OWNS",
                "from_node": f,
                "to_node": "Customer",
                "file": f"edges/OWNS_{f}.parquet",
                "from_key": "a",
                "to_key": "b",
                "properties": [{"name": "since", "type": "DATE"}],
                "row_count": 1,
            }
            for f in ("Customer", "Company")
        ],
        **extra,
    }


def test_manifest_ddl(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps(_manifest(tmp_path)))
    manifest = Manifest.load(tmp_path)
    assert manifest.nodes[0].file == (tmp_path / "nodes/Customer.parquet").resolve()
    assert node_ddl(manifest.nodes[0]) == (
        "CREATE NODE TABLE `Customer`(`id` INT64, `balance` DECIMAL(12,2), PRIMARY KEY(`id`))"
    )
    group = manifest.edge_groups()["OWNS"]
    assert edge_ddl("OWNS", group) == (
        "CREATE REL TABLE `OWNS`(FROM `Customer` TO `Customer`, FROM `Company` TO `Customer`, "
        "`since` DATE)"
    )


def test_manifest_files_must_stay_inside_the_snapshot(tmp_path: Path) -> None:
    raw = _manifest(tmp_path)
    raw["nodes"][0]["file"] = "../../etc/passwd"  # type: ignore[index]
    with pytest.raises(ManifestError, match="outside the snapshot"):
        Manifest.from_dict(tmp_path, raw)


def test_missing_manifest_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not complete"):
        Manifest.load(tmp_path)
