"""Snapshots and instances on the control plane, over plain HTTP (not the SDK).

A control plane of this module's own (``plat``) exports the sample mapping for real and
runs instances with a stand-in wrapper (``standin_wrapper.py``: the wrapper's command
line and internal API, a few seconds of fake loading, and failure modes on demand). The
tests marked ``both`` run again with the real wrapper once it exists. Expected numbers
come from DuckDB reading a copy of the sample warehouse; pids, ports and tokens are read
from the metadata database (they are not part of the API).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from graph_olap_server.runner import ServerThread
from graph_olap_server.runtime import default_engine
from graph_olap_server.settings import Settings

from .defs import ACCOUNT, CUSTOMER, OWNS, TRANSFER, with_changes
from .server_helpers import (
    INSTANCE_PHASES,
    SNAPSHOT_PHASES,
    Api,
    Plat,
    gone,
    running_platform,
    unique,
    wait_for,
)

UTC = dt.timezone.utc
BANK = ([CUSTOMER, ACCOUNT], [OWNS, TRANSFER])


@pytest.fixture(scope="module")
def plat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plat]:
    with running_platform(tmp_path_factory.mktemp("plat") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def bank(plat: Plat) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only copy of the sample warehouse: the expected values."""
    copy = plat.settings.data_dir.parent / "expected.duckdb"
    shutil.copy(plat.settings.sample_warehouse_path, copy)
    con = duckdb.connect(str(copy), read_only=True)
    yield con
    con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


def export_jobs(ops: Api, snapshot_id: int) -> list[dict[str, Any]]:
    return [j for j in ops.get("/ops/export-jobs", params={"limit": 100})
            if j["snapshot_id"] == snapshot_id]  # fmt: skip


@pytest.fixture
def tess(plat: Plat) -> Api:
    return plat.api(unique("tess"))


@pytest.fixture(scope="module")
def ops(plat: Plat) -> Api:
    return plat.api("ops")


@pytest.fixture(scope="module")
def admin(plat: Plat) -> Api:
    return plat.api("admin")


@pytest.fixture(scope="module")
def ready_snapshot(plat: Plat) -> tuple[int, int]:
    """(mapping id, snapshot id) of the whole bank mapping, exported."""
    owner = plat.api("sam")
    mapping = owner.mapping(*BANK)
    snapshot = owner.snapshot(mapping)
    assert owner.settled_snapshot(snapshot)["status"] == "ready"
    return mapping, snapshot


# -- export ----------------------------------------------------------------------------


def test_export_writes_typed_parquet_matching_the_warehouse(
    plat: Plat, bank: duckdb.DuckDBPyConnection, ready_snapshot: tuple[int, int], ops: Api
) -> None:
    mapping, sid = ready_snapshot
    snap = ops.get(f"/snapshots/{sid}")
    expected = {
        "Customer": scalar(bank, "SELECT count(*) FROM bank.customers"),
        "Account": scalar(bank, "SELECT count(*) FROM bank.accounts"),
    }
    edges = {
        "OWNS": expected["Account"],
        "TRANSFERRED_TO": scalar(bank, "SELECT count(*) FROM bank.transactions"),
    }
    assert (snap["node_counts"], snap["edge_counts"]) == (expected, edges)
    folder = plat.snapshot_folder(sid)
    files = [f for f in folder.rglob("*") if f.is_file()]
    assert snap["size_bytes"] == sum(f.stat().st_size for f in files)
    assert sorted(f.relative_to(folder).as_posix() for f in files) == [
        "edges/OWNS.parquet",
        "edges/TRANSFERRED_TO.parquet",
        "manifest.json",
        "nodes/Account.parquet",
        "nodes/Customer.parquet",
    ]
    con = duckdb.connect()

    def described(name: str) -> list[tuple[str, str]]:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{folder / name}')").fetchall()
        return [(r[0], r[1]) for r in rows]

    assert described("nodes/Customer.parquet") == [
        ("customer_id", "BIGINT"),
        ("name", "VARCHAR"),
        ("city", "VARCHAR"),
    ]
    assert described("edges/TRANSFERRED_TO.parquet") == [
        ("from_account", "BIGINT"),
        ("to_account", "BIGINT"),
        ("amount", "DECIMAL(12,2)"),
    ]
    exported = con.execute(
        f"SELECT * FROM read_parquet('{folder / 'nodes/Customer.parquet'}') ORDER BY 1"
    ).fetchall()
    assert (
        exported
        == bank.execute("SELECT customer_id, name, city FROM bank.customers ORDER BY 1").fetchall()
    )
    transfers = folder / "edges/TRANSFERRED_TO.parquet"
    total = con.execute(f"SELECT count(*), sum(amount) FROM read_parquet('{transfers}')").fetchone()
    assert total == bank.execute("SELECT count(*), sum(amount) FROM bank.transactions").fetchone()
    con.close()

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest.pop("created_at")
    assert manifest == {
        "format_version": 1,
        "mapping_id": mapping,
        "mapping_version": 1,
        "snapshot_id": sid,
        "nodes": [
            {
                "label": "Customer",
                "file": "nodes/Customer.parquet",
                "primary_key": {"name": "customer_id", "type": "INT64"},
                "properties": [
                    {"name": "name", "type": "STRING"},
                    {"name": "city", "type": "STRING"},
                ],
                "row_count": expected["Customer"],
            },
            {
                "label": "Account",
                "file": "nodes/Account.parquet",
                "primary_key": {"name": "account_id", "type": "INT64"},
                "properties": [{"name": "account_type", "type": "STRING"}],
                "row_count": expected["Account"],
            },
        ],
        "edges": [
            {
                "type": "OWNS",
                "from_node": "Customer",
                "to_node": "Account",
                "file": "edges/OWNS.parquet",
                "from_key": "customer_id",
                "to_key": "account_id",
                "properties": [],
                "row_count": edges["OWNS"],
            },
            {
                "type": "TRANSFERRED_TO",
                "from_node": "Account",
                "to_node": "Account",
                "file": "edges/TRANSFERRED_TO.parquet",
                "from_key": "from_account",
                "to_key": "to_account",
                "properties": [{"name": "amount", "type": "DECIMAL(12,2)"}],
                "row_count": edges["TRANSFERRED_TO"],
            },
        ],
    }


def test_progress_lists_every_step_with_row_counts(
    ops: Api, ready_snapshot: tuple[int, int]
) -> None:
    _, sid = ready_snapshot
    progress = ops.get(f"/snapshots/{sid}/progress")
    assert set(progress) == {
        "id", "status", "phase", "started_at", "steps", "current_step", "progress_percent",
        "estimated_remaining_seconds", "error_message", "token",
    }  # fmt: skip
    assert (progress["status"], progress["phase"], progress["progress_percent"]) == (
        "ready",
        "ready",
        100,
    )
    assert progress["current_step"] is None and progress["error_message"] is None
    steps = [(s["name"], s["kind"], s["status"]) for s in progress["steps"]]
    assert steps == [
        (name, kind, "completed")
        for definition, kind in [
            ("Customer", "node"),
            ("Account", "node"),
            ("OWNS", "edge"),
            ("TRANSFERRED_TO", "edge"),
        ]
        for name, kind in [(f"{kind}:{definition}", kind), (f"check:{definition}", "check")]
    ]
    snap = ops.get(f"/snapshots/{sid}")
    for step in progress["steps"]:
        assert isinstance(step["duration_ms"], int) and step["error"] is None
        if step["kind"] in ("node", "edge"):
            name = step["name"].split(":", 1)[1]
            assert step["row_count"] == {**snap["node_counts"], **snap["edge_counts"]}[name]
    jobs = [
        j for j in ops.get("/ops/export-jobs", params={"limit": 100}) if j["snapshot_id"] == sid
    ]
    assert sorted((j["entity_name"], j["status"], j["attempts"]) for j in jobs) == sorted(
        (name, "completed", 1) for name in ("Customer", "Account", "OWNS", "TRANSFERRED_TO")
    )


def test_declared_types_are_cast_and_edge_keys_follow_the_node_key(plat: Plat, tess: Api) -> None:
    small = with_changes(CUSTOMER, primary_key={"name": "customer_id", "type": "INT32"})
    mapping = tess.mapping([small, ACCOUNT], [OWNS])
    sid = tess.snapshot(mapping)
    assert tess.settled_snapshot(sid)["status"] == "ready"
    folder = plat.snapshot_folder(sid)
    con = duckdb.connect()
    for name, column in (("nodes/Customer.parquet", 0), ("edges/OWNS.parquet", 0)):
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{folder / name}')").fetchall()
        assert rows[column][1] == "INTEGER", name
    con.close()


FAILURES = {
    "duplicate": (
        [with_changes(CUSTOMER, sql="SELECT customer_id % 10 AS customer_id, name, city "
                      "FROM sample.bank.customers")],
        [],
        "node_definitions[0] (Customer): 10 value(s) of the primary key 'customer_id' occur "
        "more than once, e.g. 0 (100 times), 1 (100 times), 2 (100 times), 3 (100 times), "
        "4 (100 times).",
        "check:Customer",
    ),
    "null key": (
        [with_changes(CUSTOMER, sql="SELECT CASE WHEN customer_id % 100 = 0 THEN NULL ELSE "
                      "customer_id END AS customer_id, name, city FROM sample.bank.customers")],
        [],
        "node_definitions[0] (Customer): 10 row(s) have a NULL primary key 'customer_id'",
        "check:Customer",
    ),
    "dangling": (
        [with_changes(CUSTOMER, sql="SELECT customer_id, name, city FROM sample.bank.customers"
                      " WHERE customer_id % 2 = 0"), ACCOUNT],
        [OWNS],
        "edge_definitions[0] (OWNS): {n} edge(s) have a 'customer_id' that matches no "
        "Customer node ({k} distinct value(s), e.g. {examples}).",
        "check:OWNS",
    ),
    "bad cast": (
        [with_changes(CUSTOMER, properties=[{"name": "name", "type": "INT64"}])],
        [],
        "node_definitions[0] (Customer): column 'name' cannot be converted to INT64: ",
        "node:Customer",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(FAILURES))
def test_failed_checks_fail_the_snapshot_naming_definition_and_keys(
    plat: Plat, tess: Api, ops: Api, bank: duckdb.DuckDBPyConnection, case: str
) -> None:
    nodes, edges, message, step = FAILURES[case]
    odd = "FROM bank.accounts WHERE customer_id % 2 = 1"
    first = bank.execute(f"SELECT DISTINCT customer_id {odd} ORDER BY 1 LIMIT 5").fetchall()
    message = message.format(
        n=scalar(bank, f"SELECT count(*) {odd}"),
        k=scalar(bank, f"SELECT count(DISTINCT customer_id) {odd}"),
        examples=", ".join(str(r[0]) for r in first),
    )
    sid = tess.snapshot(tess.mapping(nodes, edges))
    snap = tess.settled_snapshot(sid)
    assert snap["status"] == "failed"
    assert snap["error_message"].startswith(message), snap["error_message"]
    if case == "bad cast":  # DuckDB's own words and example values follow
        assert "(1000 row(s), e.g. '" in snap["error_message"]
    assert not plat.snapshot_folder(sid).exists()  # nothing partial is left to load
    progress = tess.get(f"/snapshots/{sid}/progress")
    assert progress["phase"] == "failed"
    assert progress["error_message"] == snap["error_message"]
    failed = [s for s in progress["steps"] if s["status"] == "failed"]
    assert [(s["name"], s["error"]) for s in failed] == [(step, snap["error_message"])]
    jobs = {j["entity_name"]: j for j in export_jobs(ops, sid)}
    culprit = jobs[step.split(":")[1]]
    assert (culprit["status"], culprit["error_message"]) == ("failed", snap["error_message"])
    for job in jobs.values():  # the ones before it completed; none is left pending
        assert job["status"] in ("completed", "failed")


def test_retry_only_failed_snapshots(
    plat: Plat, tess: Api, ready_snapshot: tuple[int, int]
) -> None:
    nodes, edges, _, _ = FAILURES["duplicate"]
    sid = tess.snapshot(tess.mapping(nodes, edges))
    assert tess.settled_snapshot(sid)["status"] == "failed"
    again = tess.post(f"/snapshots/{sid}/retry")
    assert (again["status"], again["error_message"]) == ("pending", None)
    settled = tess.settled_snapshot(sid)
    assert settled["status"] == "failed" and "occur more than once" in settled["error_message"]
    _, ready = ready_snapshot
    error = plat.api("sam").post(f"/snapshots/{ready}/retry", status=409)
    assert error["code"] == "INVALID_STATE"
    assert error["message"].startswith(f"Snapshot {ready} is ready; only a failed snapshot")


def test_exports_survive_a_restart(tmp_path: Path) -> None:
    """A snapshot left ``creating`` by a dead process is exported again at start-up."""
    data = tmp_path / "data"
    with running_platform(data, run_workers=False) as first:
        api = first.api("rita")
        sid = api.snapshot(api.mapping([CUSTOMER]))
        path = first.settings.database_url.removeprefix("sqlite:///")
    import sqlite3

    with sqlite3.connect(path) as con:  # as a process dying mid-export leaves it
        con.execute("UPDATE snapshots SET status = 'creating' WHERE id = ?", (sid,))
        con.execute("UPDATE export_jobs SET status = 'claimed' WHERE snapshot_id = ?", (sid,))
    with running_platform(data) as second:
        api = second.api("rita")
        assert api.settled_snapshot(sid)["status"] == "ready"
        jobs = export_jobs(second.api("ops"), sid)
        assert [(j["status"], j["attempts"]) for j in jobs] == [("completed", 1)]


# -- snapshot routes -------------------------------------------------------------------


def test_snapshot_routes(plat: Plat, tess: Api, ready_snapshot: tuple[int, int]) -> None:
    mapping = tess.mapping([CUSTOMER])
    sid = tess.snapshot(mapping, description="first try", ttl="P3D")
    created = tess.get(f"/snapshots/{sid}")
    assert (created["owner_username"], created["ttl"], created["description"]) == (
        tess.username,
        "P3D",
        "first try",
    )
    tess.settled_snapshot(sid)
    listed = tess.get("/snapshots", params={"mapping_id": mapping})
    assert [s["id"] for s in listed] == [sid]
    mine = tess.get("/snapshots", params={"owner": tess.username, "status": "ready"})
    assert [s["id"] for s in mine] == [sid]
    assert tess.get("/snapshots", params={"search": "FIRST TRY", "mapping_id": mapping})
    paged = tess.http.get("/snapshots", params={"limit": 1, "sort_by": "id", "sort_order": "asc"})
    assert paged.json()["meta"]["limit"] == 1 and paged.json()["meta"]["total"] >= 2
    assert tess.get("/snapshots", params={"limit": 101}, status=400)["code"] == "VALIDATION_ERROR"

    other = plat.api("uma")
    error = other.put(f"/snapshots/{sid}", {"name": "mine now"}, status=403)
    assert f"belongs to {tess.username!r}" in error["message"]
    renamed = tess.put(f"/snapshots/{sid}", {"name": "renamed", "description": "d"})
    assert (renamed["name"], renamed["description"]) == ("renamed", "d")
    assert tess.put(f"/snapshots/{sid}/lifecycle", {"ttl": "P2D"})["ttl"] == "P2D"
    too_long = tess.put(f"/snapshots/{sid}/lifecycle", {"ttl": "P60D"}, status=400)
    assert "maximum snapshot TTL P30D" in too_long["message"]
    bad = tess.post("/snapshots", {"mapping_id": mapping, "name": "x", "version": 7}, status=400)
    assert "has no version 7" in bad["message"]
    assert tess.post("/snapshots", {"mapping_id": 999999, "name": "x"}, status=404)

    assert plat.snapshot_folder(sid).exists()
    tess.delete(f"/snapshots/{sid}")
    assert not plat.snapshot_folder(sid).exists()
    assert tess.get(f"/snapshots/{sid}", status=404)["code"] == "NOT_FOUND"


def test_mapping_with_a_snapshot_cannot_be_deleted(tess: Api) -> None:
    mapping = tess.mapping([CUSTOMER])
    sid = tess.snapshot(mapping)
    error = tess.delete(f"/mappings/{mapping}", status=409)
    assert error["code"] == "RESOURCE_HAS_DEPENDENCIES"
    assert error["details"]["snapshot_ids"] == [sid]
    tess.settled_snapshot(sid)
    tess.delete(f"/snapshots/{sid}")
    tess.delete(f"/mappings/{mapping}")


def test_explicit_snapshots_can_be_disabled(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, allow_explicit_snapshots=False, sample_warehouse=False, run_workers=False
    )
    with ServerThread(settings) as server:
        response = httpx.post(
            f"{server.url}/api/snapshots",
            json={"mapping_id": 1, "name": "s"},
            headers={"X-Username": "tess"},
        )
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "SNAPSHOTS_DISABLED",
        "message": "Explicit snapshot creation is disabled on this platform; use "
        "client.instances.create_from_mapping(...)",
        "details": {},
    }


# -- instance admission ----------------------------------------------------------------


def test_concurrency_limit_per_analyst_is_race_free(
    plat: Plat, ops: Api, ready_snapshot: tuple[int, int]
) -> None:
    mapping, _ = ready_snapshot
    before = ops.get("/config/concurrency")
    ops.put("/config/concurrency", {"per_analyst": 1})
    vic = plat.api(unique("vic"))
    try:
        answers: list[httpx.Response] = []

        def create() -> None:
            body = {"mapping_id": mapping, "name": unique("race")}
            answers.append(vic.http.post("/instances/from-mapping", json=body))

        threads = [threading.Thread(target=create) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
        first = next(a.json()["data"] for a in answers if a.status_code == 201)
        error = next(a.json()["error"] for a in answers if a.status_code == 409)
        assert error["code"] == "CONCURRENCY_LIMIT_EXCEEDED"
        assert error["details"] == {
            "limit": 1,
            "current": 1,
            "scope": "per_analyst",
            "instance_ids": [first["id"]],
        }
        assert "limit per analyst is 1" in error["message"]
        assert f"{first['id']} {first['name']!r}" in error["message"]
        assert "client.instances.terminate(id)" in error["message"]
        vic.post(f"/instances/{first['id']}/terminate")
        second = vic.from_mapping(mapping)  # a terminated instance frees its place
        vic.post(f"/instances/{second['id']}/terminate")
    finally:
        ops.put("/config/concurrency", {"per_analyst": before["per_analyst"]})


def test_maintenance_mode_refuses_new_instances(
    ops: Api, tess: Api, ready_snapshot: tuple[int, int]
) -> None:
    mapping, sid = ready_snapshot
    ops.put("/config/maintenance", {"enabled": True, "message": "Upgrading the engine"})
    try:
        for path, body in (
            ("/instances/from-mapping", {"mapping_id": mapping, "name": "x"}),
            ("/instances", {"snapshot_id": sid, "name": "x"}),
        ):
            response = tess.http.post(path, json=body)
            assert response.status_code == 503
            assert response.headers["x-should-retry"] == "false"
            assert response.json()["error"]["message"] == (
                "The platform is in maintenance mode: Upgrading the engine. Try again later."
            )
    finally:
        ops.put("/config/maintenance", {"enabled": False, "message": ""})
    assert tess.get("/instances", params={"owner": tess.username}) == []


def test_instance_needs_a_ready_snapshot_and_valid_lifecycle(
    tess: Api, ready_snapshot: tuple[int, int]
) -> None:
    nodes, edges, _, _ = FAILURES["duplicate"]
    failed = tess.snapshot(tess.mapping(nodes, edges))
    tess.settled_snapshot(failed)
    error = tess.post("/instances", {"snapshot_id": failed, "name": "x"}, status=409)
    assert error["code"] == "INVALID_STATE" and "is failed, not ready" in error["message"]
    assert tess.post("/instances", {"snapshot_id": 999999, "name": "x"}, status=404)
    mapping, sid = ready_snapshot
    long = tess.from_mapping(mapping, status=400, ttl="P8D")
    assert "longer than the maximum instance TTL P7D" in long["message"]
    bad = tess.post("/instances", {"snapshot_id": sid, "name": "x", "ttl": "soon"}, status=400)
    assert bad["details"]["field"] == "ttl"
    version = tess.from_mapping(mapping, status=400, mapping_version=9)
    assert "has no version 9" in version["message"]
    assert tess.get("/instances", params={"owner": tess.username}) == []


# -- instances with the stand-in wrapper ---------------------------------------------------


def test_from_mapping_runs_through_one_continuous_progress(plat: Plat, tess: Api) -> None:
    mapping = tess.mapping(*BANK)
    created = tess.from_mapping(mapping, description="d", ttl="PT2H")
    iid = created["id"]
    assert created["status"] == "waiting_for_snapshot"
    assert created["ttl"] == "PT2H" and created["inactivity_timeout"] == "PT4H"
    made = dt.datetime.fromisoformat(created["created_at"])
    assert dt.datetime.fromisoformat(created["expires_at"]) - made == dt.timedelta(hours=2)
    snapshot = tess.get(f"/snapshots/{created['snapshot_id']}")
    assert snapshot["name"] == created["name"] and snapshot["owner_username"] == tess.username

    seen: list[tuple[str, str, int]] = []

    def running() -> bool:
        p = tess.get(f"/instances/{iid}/progress")
        state = (p["status"], p["phase"], p["progress_percent"])
        if not seen or seen[-1] != state:
            seen.append(state)
        return p["status"] in ("running", "failed")

    wait_for(running, f"instance {iid} to run")
    assert seen[-1] == ("running", "ready", 100), seen
    percents = [pct for *_, pct in seen]
    assert percents == sorted(percents), seen  # one progress that only grows
    for status, phase, _ in seen:
        allowed = SNAPSHOT_PHASES if status == "waiting_for_snapshot" else INSTANCE_PHASES
        assert phase in allowed, seen
    progress = tess.get(f"/instances/{iid}/progress")
    stages = [(s["stage"], s["kind"]) for s in progress["steps"]]
    assert stages[:2] == [("export", "node"), ("export", "check")]
    assert ("load", "schema") in stages and stages[-1] == ("load", "edge")

    instance = tess.get(f"/instances/{iid}")
    port = plat.row("instances", iid)["port"]
    assert instance["instance_url"] == f"http://127.0.0.1:{port}"
    assert instance["last_activity_at"] is not None
    health = httpx.get(f"{instance['instance_url']}/health", trust_env=False).json()
    assert (health["instance_id"], health["engine"]) == (iid, default_engine(plat.settings))
    assert health["control_plane"] == plat.url
    tess.post(f"/instances/{iid}/terminate")


def test_instance_routes_and_access(
    plat: Plat, tess: Api, admin: Api, ops: Api, ready_snapshot: tuple[int, int]
) -> None:
    _, sid = ready_snapshot
    started = tess.post("/instances", {"snapshot_id": sid, "name": unique("q")}, status=201)
    iid = started["id"]
    assert started["status"] == "starting"
    other = plat.api("uma")
    tess.instance_in(iid, "running")

    listed = tess.get("/instances", params={"snapshot_id": sid, "owner": tess.username})
    assert [i["id"] for i in listed] == [iid]
    assert tess.get("/instances", params={"status": "running", "search": started["name"]})
    assert tess.get("/instances", params={"owner": tess.username, "status": "failed"}) == []

    assert other.put(f"/instances/{iid}", {"name": "x"}, status=403)["code"] == "FORBIDDEN"
    assert tess.put(f"/instances/{iid}", {"description": "mine"})["description"] == "mine"

    for api, role in ((tess, "analyst"), (admin, "admin"), (ops, "ops")):
        assert api.get(f"/instances/{iid}/access") == {
            "username": api.username,
            "role": role,
            "instance_id": iid,
        }
    denied = other.get(f"/instances/{iid}/access", status=403)
    assert f"belongs to {tess.username!r}" in denied["message"]
    assert other.get("/instances/999999/access", status=404)["code"] == "NOT_FOUND"
    anonymous = httpx.get(f"{plat.url}/api/instances/{iid}/access", trust_env=False)
    assert anonymous.status_code == 401

    token = plat.row("instances", iid)["wrapper_token"]
    activity = f"{plat.url}/api/internal/instances/{iid}/activity"
    assert httpx.post(activity, headers={"X-Wrapper-Token": "nope"}).status_code == 401
    assert httpx.post(activity).status_code == 401
    reported = httpx.post(activity, headers={"X-Wrapper-Token": token})
    assert reported.status_code == 200
    last = reported.json()["data"]["last_activity_at"]
    assert tess.get(f"/instances/{iid}")["last_activity_at"] == last
    loaded = f"{plat.url}/api/internal/instances/{iid}/loaded"
    assert httpx.post(loaded, headers={"X-Wrapper-Token": "nope"}).status_code == 401
    assert httpx.post(loaded, headers={"X-Wrapper-Token": token}).status_code == 204

    assert other.post(f"/instances/{iid}/terminate", status=403)["code"] == "FORBIDDEN"
    pid, folder = plat.process(iid), plat.instance_folder(iid)
    assert folder.is_dir()
    ended = tess.post(f"/instances/{iid}/terminate")
    assert (ended["status"], ended["instance_url"]) == ("terminated", None)
    assert gone(pid) and not folder.exists()
    assert tess.post(f"/instances/{iid}/terminate")["status"] == "terminated"  # idempotent
    assert tess.get(f"/instances/{iid}/access", status=409)["code"] == "INVALID_STATE"


def test_cpu_lifecycle_and_extend_ttl(
    plat: Plat, tess: Api, ready_snapshot: tuple[int, int]
) -> None:
    _, sid = ready_snapshot
    created = tess.post("/instances", {"snapshot_id": sid, "name": unique("c"), "ttl": "PT1H"}, 201)
    iid = created["id"]
    early = tess.put(f"/instances/{iid}/cpu", {"cpu_cores": 2}, status=409)
    assert early["code"] == "INVALID_STATE" and "only while it is running" in early["message"]
    instance = tess.instance_in(iid, "running")
    assert tess.put(f"/instances/{iid}/cpu", {"cpu_cores": 9}, status=400)
    assert tess.put(f"/instances/{iid}/cpu", {"cpu_cores": 2})["cpu_cores"] == 2
    health = httpx.get(f"{instance['instance_url']}/health", trust_env=False).json()
    assert health["threads"] == 2
    pid = plat.process(iid)
    if hasattr(os, "sched_getaffinity") and (os.cpu_count() or 1) >= 2:
        assert os.sched_getaffinity(pid) == {0, 1}

    made = dt.datetime.fromisoformat(created["created_at"])
    expires = dt.datetime.fromisoformat(created["expires_at"])
    extended = tess.post(f"/instances/{iid}/extend-ttl", {"hours": 2})
    assert dt.datetime.fromisoformat(extended["expires_at"]) == expires + dt.timedelta(hours=2)
    assert extended["ttl"] == "PT3H"
    error = tess.post(f"/instances/{iid}/extend-ttl", {"hours": 24 * 7}, status=400)
    assert "can live at most P7D from its creation" in error["message"]
    assert error["details"]["max_ttl"] == "P7D"
    changed = tess.put(f"/instances/{iid}/lifecycle", {"ttl": "PT5H", "inactivity_timeout": "PT1H"})
    assert dt.datetime.fromisoformat(changed["expires_at"]) == made + dt.timedelta(hours=5)
    assert changed["inactivity_timeout"] == "PT1H"
    assert tess.put(f"/instances/{iid}/lifecycle", {"ttl": "P8D"}, status=400)
    tess.post(f"/instances/{iid}/terminate")
    assert tess.post(f"/instances/{iid}/extend-ttl", {"hours": 1}, status=409)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("fail", "The instance failed to load: simulated failure loading edge:OWNS"),
        ("exit", "The instance's process exited while starting. Last lines of its log:\n"),
    ],
)
def test_a_wrapper_that_fails_to_start_fails_the_instance(
    plat: Plat, tess: Api, mode: str, expected: str
) -> None:
    mapping = tess.mapping([CUSTOMER, ACCOUNT], [OWNS])
    plat.behave(mapping, mode)
    iid = tess.from_mapping(mapping)["id"]
    failed = tess.instance_in(iid, "failed", "running")
    assert failed["status"] == "failed"
    assert failed["error_message"].startswith(expected), failed["error_message"]
    if mode == "exit":
        assert "cannot load edge:OWNS: simulated crash" in failed["error_message"]
    assert gone(plat.process(iid))
    folder = plat.instance_folder(iid)
    assert [p.name for p in folder.iterdir()] == ["wrapper.log"]  # kept for diagnosis
    progress = tess.get(f"/instances/{iid}/progress")
    assert (progress["phase"], progress["error_message"]) == ("failed", failed["error_message"])
    tess.post(f"/instances/{iid}/terminate")
    assert not folder.exists()


def test_instance_of_a_failing_snapshot_fails(tess: Api) -> None:
    nodes, edges, _, _ = FAILURES["duplicate"]
    created = tess.from_mapping(tess.mapping(nodes, edges))
    failed = tess.instance_in(created["id"], "failed")
    assert failed["error_message"].startswith(f"Snapshot {created['snapshot_id']} failed")
    assert "occur more than once" in failed["error_message"]
    assert tess.get(f"/snapshots/{created['snapshot_id']}")["status"] == "failed"


def test_a_wrapper_ignoring_sigterm_is_killed(plat: Plat, tess: Api) -> None:
    mapping = tess.mapping([CUSTOMER])
    plat.behave(mapping, "stubborn")
    iid = tess.from_mapping(mapping)["id"]
    tess.instance_in(iid, "running")
    pid = plat.process(iid)
    began = time.monotonic()
    assert tess.post(f"/instances/{iid}/terminate")["status"] == "terminated"
    assert 0.9 < time.monotonic() - began < 10  # stop timeout 1 s, then SIGKILL
    assert gone(pid)


def test_snapshot_in_use_and_bulk_delete_of_instances(plat: Plat, tess: Api, admin: Api) -> None:
    mapping = tess.mapping([CUSTOMER])
    prefix = unique("bulk")
    first = tess.from_mapping(mapping, name=f"{prefix}-1")
    sid = first["snapshot_id"]
    tess.instance_in(first["id"], "running")
    error = tess.delete(f"/snapshots/{sid}", status=409)
    assert error["code"] == "RESOURCE_HAS_DEPENDENCIES"
    assert error["details"]["instance_ids"] == [first["id"]]
    pid = plat.process(first["id"])
    body = {
        "resource_type": "instance",
        "filters": {"name_prefix": prefix},
        "reason": "test",
        "expected_count": 1,
    }
    done = admin.call("DELETE", "/admin/resources/bulk", json=body)
    assert done["deleted_ids"] == [first["id"]]
    assert gone(pid) and not plat.instance_folder(first["id"]).exists()
    assert tess.get(f"/instances/{first['id']}", status=404)
    body = {"resource_type": "snapshot", "filters": {"created_by": tess.username}, "reason": "t"}
    assert admin.call("DELETE", "/admin/resources/bulk", json=body)["deleted_ids"] == [sid]
    assert not plat.snapshot_folder(sid).exists()


# -- the runtime end to end, with the stand-in and (once written) the real wrapper ------------

both = pytest.mark.parametrize("kind", ["stand-in", "wrapper"])


@pytest.fixture
def runtime(kind: str, plat: Plat, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plat]:
    if kind == "stand-in":
        yield plat
        return
    with running_platform(tmp_path_factory.mktemp("real") / "data", kind) as real:
        yield real


@both
def test_killed_wrapper_is_failed_by_reconciliation(runtime: Plat, kind: str) -> None:
    api, ops = runtime.api(unique("kim")), runtime.api("ops")
    iid = api.from_mapping(api.mapping(*BANK))["id"]
    api.instance_in(iid, "running")
    pid = runtime.process(iid)
    os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    wait_for(lambda: gone(pid), f"process {pid} to die")
    result = ops.trigger("reconciliation")["result"]
    assert result["marked_failed"] >= 1
    failed = api.get(f"/instances/{iid}")
    assert failed["status"] == "failed"
    assert failed["error_message"].startswith(
        f"The instance's process stopped unexpectedly (pid {pid}); start a new instance."
    )


@both
def test_short_ttl_and_the_lifecycle_job_terminate_an_instance(runtime: Plat, kind: str) -> None:
    api, ops = runtime.api(unique("tia")), runtime.api("ops")
    created = api.from_mapping(api.mapping(*BANK), ttl="PT2S")
    iid = created["id"]
    api.instance_in(iid, "running")
    pid, folder = runtime.process(iid), runtime.instance_folder(iid)
    expires = dt.datetime.fromisoformat(created["expires_at"])
    wait_for(lambda: dt.datetime.now(UTC) > expires, "the TTL to pass", timeout=30)
    assert ops.trigger("lifecycle")["result"]["expired"] >= 1
    assert api.get(f"/instances/{iid}")["status"] == "terminated"
    assert gone(pid) and not folder.exists()


@both
def test_restart_adopts_live_wrappers_and_fails_dead_ones(tmp_path: Path, kind: str) -> None:
    data = tmp_path / "data"
    with running_platform(data, kind, stop_instances_on_exit=False) as first:
        api = first.api("ada")
        mapping = api.mapping(*BANK)
        kept = api.from_mapping(mapping)["id"]
        lost = api.from_mapping(mapping)["id"]
        kept_url = api.instance_in(kept, "running")["instance_url"]
        api.instance_in(lost, "running")
        kept_pid, lost_pid = first.process(kept), first.process(lost)
        port = first.server.port
    assert not gone(kept_pid)  # instances outlive the control plane
    os.kill(lost_pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    wait_for(lambda: gone(lost_pid), f"process {lost_pid} to die")
    with running_platform(data, kind, port=port) as second:
        api = second.api("ada")
        assert api.get(f"/instances/{kept}")["status"] == "running"
        health = httpx.get(f"{kept_url}/health", trust_env=False).json()
        assert health["instance_id"] == kept
        failed = api.get(f"/instances/{lost}")
        assert failed["status"] == "failed"
        assert failed["error_message"].startswith(
            "The platform restarted and the instance's process was gone"
        )
        api.post(f"/instances/{kept}/terminate")  # only adopted processes are signalled
        assert gone(kept_pid) and not second.instance_folder(kept).exists()


@pytest.mark.parametrize("kind", ["stand-in", "wrapper"])
def test_the_wrapper_starts_during_the_export_and_loads_once_told(
    tmp_path: Path, kind: str
) -> None:
    """Issue 16: the wrapper's start-up overlaps the export. Held back, the export leaves
    the instance ``waiting_for_snapshot`` with its wrapper up and reading nothing; once
    the snapshot is ready the same process loads it. A snapshot that fails stops it."""
    with running_platform(tmp_path / "data", kind) as plat:
        exporter = plat.platform.exporter
        exporter.stop()  # nothing is exported until started again
        api = plat.api("ada")
        created = api.from_mapping(api.mapping(*BANK))
        iid = created["id"]
        pid = wait_for(lambda: plat.row("instances", iid)["pid"], "a wrapper during the export")
        row = plat.row("instances", iid)
        url, token = f"http://127.0.0.1:{row['port']}", row["wrapper_token"]

        def progress() -> Any:
            try:
                answer = httpx.get(f"{url}/progress", headers={"X-Wrapper-Token": token})
            except httpx.TransportError:  # still starting
                return None
            return answer.json() if answer.status_code == 200 else None

        waiting = wait_for(progress, "the early wrapper to answer")
        assert (waiting["phase"], waiting["steps"]) == ("waiting_for_snapshot", [])
        assert api.get(f"/instances/{iid}")["status"] == "waiting_for_snapshot"
        assert api.get(f"/instances/{iid}/progress")["phase"] == "queued"  # the export's

        exporter.start()
        exporter.wake()
        running = api.instance_in(iid, "running")
        assert plat.process(iid) == pid  # the process started early, not a second one
        if kind == "wrapper":  # the graph is the snapshot's
            answer = httpx.post(
                f"{running['instance_url']}/query",
                json={"query": "MATCH (c:Customer) RETURN count(c) AS n"},
                headers={"X-Username": "ada"},
            ).json()
            exported = api.get(f"/snapshots/{created['snapshot_id']}")["node_counts"]
            assert answer["rows"] == [[exported["Customer"]]] and exported["Customer"] > 0
        api.post(f"/instances/{iid}/terminate")

        exporter.stop()
        nodes, edges, _, _ = FAILURES["duplicate"]
        failing = api.from_mapping(api.mapping(nodes, edges))
        early = wait_for(lambda: plat.row("instances", failing["id"])["pid"], "an early wrapper")
        exporter.start()
        exporter.wake()
        failed = api.instance_in(failing["id"], "failed")
        assert failed["error_message"].startswith(f"Snapshot {failing['snapshot_id']} failed")
        wait_for(lambda: gone(early), f"the early wrapper (pid {early}) to be stopped")


def test_the_wrapper_says_when_its_load_ends(tmp_path: Path) -> None:
    """The monitor passes only every 10 minutes here: the instance is ``running`` (and a
    failing one ``failed``) only because the wrapper's ``/loaded`` report wakes it."""
    with running_platform(tmp_path / "data", "wrapper", instance_poll_interval=600) as plat:
        api = plat.api("ada")
        iid = api.from_mapping(api.mapping([CUSTOMER]))["id"]
        assert api.instance_in(iid, "running", "failed")["status"] == "running"
        api.post(f"/instances/{iid}/terminate")


def test_progress_answers_are_held_until_the_progress_changes(tmp_path: Path) -> None:
    """``?seen=<token>&wait_ms=N``: the answer waits for a change (the SDK's waits see
    each step and the end as they happen) and, when nothing changes, comes back after
    ``wait_ms`` with the same token."""
    with running_platform(tmp_path / "data") as plat:
        exporter = plat.platform.exporter
        exporter.stop()  # nothing moves until it starts again
        api = plat.api("ada")
        created = api.from_mapping(api.mapping([CUSTOMER]))
        paths = [f"/instances/{created['id']}/progress"]
        paths.append(f"/snapshots/{created['snapshot_id']}/progress")
        for path in paths:
            token = api.get(path)["token"]
            still = api.get(path, params={"seen": token, "wait_ms": 200})
            assert still["token"] == token
            assert still["status"] in ("waiting_for_snapshot", "pending")
            api.get(path, status=400, params={"seen": token, "wait_ms": 30_001})
        exporter.start()
        exporter.wake()
        for path in paths:
            moved = api.get(path, params={"seen": token, "wait_ms": 30_000})
            assert moved["token"] != token
            token = moved["token"]
        running = api.instance_in(created["id"], "running")
        last = api.get(paths[0])
        assert last["status"] == running["status"] == "running"
        api.post(f"/instances/{created['id']}/terminate")


def test_a_restart_adopts_an_early_wrapper_or_starts_it_again(tmp_path: Path) -> None:
    """A wrapper started during the export outlives a control-plane restart like any
    other: the next control plane adopts it if it answers, or starts a new one."""
    data = tmp_path / "data"
    with running_platform(data, stop_instances_on_exit=False) as first:
        first.platform.exporter.stop()
        api = first.api("ada")
        mapping = api.mapping([CUSTOMER])
        kept, lost = (api.from_mapping(mapping)["id"] for _ in range(2))
        kept_pid, lost_pid = (
            wait_for(lambda i=i: first.row("instances", i)["pid"], f"instance {i}'s wrapper")
            for i in (kept, lost)
        )
        port = first.server.port
    os.kill(lost_pid, getattr(signal, "SIGKILL", signal.SIGTERM))
    wait_for(lambda: gone(lost_pid), f"process {lost_pid} to die")
    with running_platform(data, port=port) as second:
        api = second.api("ada")
        for iid in (kept, lost):
            api.instance_in(iid, "running")
        assert second.process(kept) == kept_pid
        assert second.process(lost) not in (lost_pid, kept_pid)


def test_the_module_left_no_process_running(plat: Plat) -> None:
    """Every instance this module started has ended (no leaked wrappers)."""
    admin = plat.api("admin")
    live = [i for i in admin.get("/instances", params={"limit": 100})
            if i["status"] not in ("terminated", "failed")]  # fmt: skip
    for instance in live:
        admin.post(f"/instances/{instance['id']}/terminate")
    for instance in admin.get("/instances", params={"limit": 100}):
        pid = plat.row("instances", instance["id"])["pid"]
        assert pid is None or gone(pid), instance


def test_real_wrapper_asks_access_reports_activity_and_takes_cpu(
    tmp_path_factory: pytest.TempPathFactory, bank: duckdb.DuckDBPyConnection
) -> None:
    """The wrapper's calls to the control plane: access per caller, activity, threads."""
    with running_platform(tmp_path_factory.mktemp("real") / "data", "wrapper") as real:
        owner, other, admin = real.api("olga"), real.api("uma"), real.api("admin")
        instance = owner.instance_in(owner.from_mapping(owner.mapping(*BANK))["id"], "running")
        iid, url = instance["id"], instance["instance_url"]
        before = owner.get(f"/instances/{iid}")["last_activity_at"]
        query = {"query": "MATCH (c:Customer) RETURN count(c) AS n"}

        def ask(api: Api) -> httpx.Response:
            headers = {"X-Username": api.username}
            return httpx.post(f"{url}/query", json=query, headers=headers, trust_env=False)

        answer = ask(owner)
        assert answer.status_code == 200, answer.text
        body = answer.json().get("data", answer.json())
        assert body["rows"] == [[scalar(bank, "SELECT count(*) FROM bank.customers")]]
        assert ask(admin).status_code == 200
        denied = ask(other)
        assert denied.status_code == 403
        assert f"belongs to {owner.username!r}" in denied.json()["error"]["message"]
        wait_for(
            lambda: owner.get(f"/instances/{iid}")["last_activity_at"] != before,
            "the wrapper to report activity",
            timeout=30,
        )
        assert owner.put(f"/instances/{iid}/cpu", {"cpu_cores": 2})["cpu_cores"] == 2
        assert ask(owner).status_code == 200
        owner.post(f"/instances/{iid}/terminate")


# -- on PostgreSQL ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    server.psql("CREATE DATABASE snapshots_instances;")
    socket_dir = server.get_uri().split("host=")[1]
    yield f"postgresql+psycopg://postgres:@/snapshots_instances?host={socket_dir}"
    server.cleanup()


def test_export_admission_and_start_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    with running_platform(tmp_path / "data", database_url=postgres_url) as pg:
        api, ops = pg.api("pat"), pg.api("ops")
        mapping = api.mapping(*BANK)
        ops.put("/config/concurrency", {"per_analyst": 1})
        answers: list[httpx.Response] = []

        def create() -> None:
            body = {"mapping_id": mapping, "name": unique("pg")}
            answers.append(api.http.post("/instances/from-mapping", json=body))

        threads = [threading.Thread(target=create) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(a.status_code for a in answers) == [201, 409, 409]
        created = next(a.json()["data"] for a in answers if a.status_code == 201)
        running = api.instance_in(created["id"], "running")
        snapshot = api.get(f"/snapshots/{created['snapshot_id']}")
        assert snapshot["status"] == "ready" and snapshot["node_counts"]["Customer"] > 0
        assert api.post(f"/instances/{running['id']}/terminate")["status"] == "terminated"
