"""The default projection built during the load (the edges from the snapshot's files).

A real Kùzu load runs in a child process (``projection_during_load_child.py``: the engine
stays out of pytest); the snapshots are written here by hand: four labels (INT64, STRING
and INT32 keys, one label without relationships, node rows shuffled), three relationship
types, one of them joining two label pairs, parallel edges, self loops, and a DOUBLE
property with nulls (the default selection has no weight, so it is not read).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CHILD = Path(__file__).with_name("projection_during_load_child.py")
RNG_SEED = 16


def write_snapshot(
    folder: Path, *, int_account_keys: bool = False, stray_key: bool = False
) -> dict[str, int]:
    """Write nodes, edges and ``manifest.json``; returns the rows written per file.

    ``int_account_keys``: TRANSFER's key columns hold the account codes as INT64 (the
    engine casts them to its STRING keys; the files alone cannot vouch for that).
    ``stray_key``: one OWNS row names a customer that does not exist (the load fails).
    """
    rng = np.random.default_rng(RNG_SEED)
    (folder / "nodes").mkdir(parents=True)
    (folder / "edges").mkdir(parents=True)
    customers = rng.permutation(np.arange(1, 301, dtype=np.int64) * 7)
    accounts = rng.permutation(np.arange(1000, 1500))
    branches = rng.permutation(np.arange(20, dtype=np.int32))
    nodes = {
        "Customer": ("id", "INT64", pa.array(customers)),
        "Account": ("code", "STRING", pa.array([str(a) for a in accounts])),
        "Branch": ("bid", "INT32", pa.array(branches, pa.int32())),
        "Lonely": ("lid", "INT64", pa.array(np.arange(5, dtype=np.int64))),
    }
    manifest: dict[str, Any] = {
        "mapping_id": 1, "mapping_version": 1, "snapshot_id": 1, "nodes": [], "edges": [],
    }  # fmt: skip
    rows: dict[str, int] = {}
    for label, (key, key_type, values) in nodes.items():
        table = pa.table(
            {key: values, "note": pa.array([f"{label} {i}" for i in range(len(values))])}
        )
        pq.write_table(table, folder / "nodes" / f"{label}.parquet")
        manifest["nodes"].append({
            "label": label, "file": f"nodes/{label}.parquet",
            "primary_key": {"name": key, "type": key_type},
            "properties": [{"name": "note", "type": "STRING"}], "row_count": len(values),
        })  # fmt: skip

    def pick(values: pa.Array, count: int) -> pa.Array:
        return values.take(pa.array(rng.integers(0, len(values), count)))

    def weights(count: int) -> pa.Array:
        w = rng.random(count) * 10
        return pa.array(w, mask=rng.random(count) < 0.2)

    owners = pick(nodes["Customer"][2], 900)
    if stray_key:
        owners = pa.concat_arrays([owners[:-1], pa.array([10**9], pa.int64())])
    transfer_src, transfer_dst = pick(nodes["Account"][2], 2500), pick(nodes["Account"][2], 2500)
    if int_account_keys:
        transfer_src, transfer_dst = transfer_src.cast(pa.int64()), transfer_dst.cast(pa.int64())
    edges = [
        ("OWNS", "Customer", "Account", "customer_id", "account_code",
         owners, pick(nodes["Account"][2], 900)),
        ("TRANSFER", "Account", "Account", "src", "dst", transfer_src, transfer_dst),
        ("AT", "Customer", "Branch", "customer_id", "branch_id",
         pick(nodes["Customer"][2], 400), pick(nodes["Branch"][2], 400)),
        ("AT", "Account", "Branch", "account_code", "branch_id",
         pick(nodes["Account"][2], 300), pick(nodes["Branch"][2], 300)),
    ]  # fmt: skip
    for rel, a, b, fk, tk, src, dst in edges:
        file = f"edges/{rel}_{a}_{b}.parquet"
        pq.write_table(pa.table({fk: src, tk: dst, "amount": weights(len(src))}), folder / file)
        manifest["edges"].append({
            "type": rel, "from_node": a, "to_node": b, "file": file,
            "from_key": fk, "to_key": tk,
            "properties": [{"name": "amount", "type": "DOUBLE"}], "row_count": len(src),
        })  # fmt: skip
        rows[file] = len(src)
    for label, (_, _, values) in nodes.items():
        rows[label] = len(values)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return rows


def run_child(mode: str, snapshot: Path, engine: str = "kuzu") -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(CHILD), mode, str(snapshot), engine],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def logged(report: dict[str, Any], text: str) -> list[str]:
    return [m for m in report["logs"] if text in m]


def assert_same_projection(report: dict[str, Any], rows: dict[str, int]) -> None:
    during, engine = report["during_load"], report["engine"]
    assert during["blocks"] == engine["blocks"]
    assert during["edges"] == engine["edges"]  # both in (src, dst) order: the same multiset
    assert during["weight"] is None and engine["weight"] is None
    assert (
        during["relationship_types"] == engine["relationship_types"] == ["OWNS", "TRANSFER", "AT"]
    )
    for name in ("pagerank", "wcc", "louvain"):
        assert during[name] == engine[name], name
    assert report["csr_equal"]
    # what was written, and nothing else
    sizes = {block[0]: len(block[4]) - block[4].count(None) for block in during["blocks"]}
    assert sizes == {label: rows[label] for label in ("Customer", "Account", "Branch", "Lonely")}
    assert len(during["edges"][0]) == sum(n for f, n in rows.items() if f.startswith("edges/"))
    assert len(set(during["louvain"]["community"])) > 1


@pytest.mark.parametrize("engine", ["kuzu", "ryugraph"])
def test_the_projection_built_during_the_load_is_the_engines(tmp_path: Path, engine: str) -> None:
    """Ryugraph too: an engine read beside its edge COPY would make the COPY time out."""
    rows = write_snapshot(tmp_path / "snap")
    report = run_child("compare", tmp_path / "snap", engine)
    assert report["phase"] == "ready", report["error"]
    assert logged(report, "projection built from the snapshot files during the load")
    assert not logged(report, "cannot be built from the snapshot files")
    assert report["warm_up_started_a_build"] is False  # it found the slot taken
    assert report["engine_builds_in_advance"] == 0
    assert report["lookup_built"] is False  # the first run reuses it
    assert report["matrix_prebuilt"] is True  # and PageRank's and WCC's matrix
    assert_same_projection(report, rows)


def test_keys_the_files_cannot_vouch_for_fall_back_to_the_engine(tmp_path: Path) -> None:
    rows = write_snapshot(tmp_path / "snap", int_account_keys=True)
    report = run_child("compare", tmp_path / "snap")
    assert report["phase"] == "ready", report["error"]  # the engine casts them and loads
    [warning] = logged(report, "cannot be built from the snapshot files")
    assert "TRANSFER" in warning and "int64" in warning and "string" in warning
    assert not logged(report, "projection built from the snapshot files during the load")
    assert report["engine_builds_in_advance"] == 1  # read from the engine once, after ready
    assert report["lookup_built"] is False
    assert_same_projection(report, rows)


def test_a_run_started_meanwhile_waits_for_the_build_and_nothing_builds_twice(
    tmp_path: Path,
) -> None:
    write_snapshot(tmp_path / "snap", int_account_keys=True)  # the build waits for ready
    report = run_child("wait", tmp_path / "snap")
    assert report["phase"] == "ready", report["error"]
    assert report["run_waited"] is True
    assert report["run_status"] == "completed"
    assert report["run_projection"] == "reused"
    assert report["engine_builds_in_advance"] == 1
    assert report["lookup_built"] is False


def test_a_key_with_no_node_makes_the_build_give_up(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "snap", stray_key=True)
    report = run_child("broken", tmp_path / "snap")
    assert report["phase"] == "failed"  # the engine refuses the edge file too
    [warning] = logged(report, "cannot be built from the snapshot files")
    assert "OWNS" in warning and "1 keys are null or name no Customer node" in warning
    assert report["still_building"] is False  # closing the wrapper ends the waiting build
    assert report["cached"] == 0
