"""The whole snapshot path with snapshots in object storage, through the SDK.

A platform of this module's own (a real socket, real wrapper processes, the sample
warehouse) whose ``snapshot_storage`` is ``s3://graph-snapshots/<prefix>`` on the S3 test
server: export uploads there, wrappers download from there, deletion, the lifecycle job
and failed exports remove the objects. The bucket is read with boto3, not the platform's
code; expected counts come from DuckDB reading the sample warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import update

from graph_olap import (
    GraphOLAPClient,
    InstanceFailedError,
    ServiceUnavailableError,
    SnapshotFailedError,
)
from graph_olap_server import db
from graph_olap_server.db import Database
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings
from tests.e2e.defs import ACCOUNT, CUSTOMER, OWNS, TRANSFER, with_changes

from .conftest import BUCKET, S3

pytestmark = pytest.mark.timeout(300)

USER = "stella"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def store_prefix() -> str:
    return f"platform-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def server(
    s3: S3, store_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerThread]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("s3-platform"),
        snapshot_storage=f"s3://{BUCKET}/{store_prefix}",
        snapshot_storage_endpoint=s3.endpoint,
        job_trigger_min_interval=0.0,
        run_scheduler=False,
        instance_poll_interval=0.05,
        stop_instances_on_exit=True,
    )
    with ServerThread(settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def ops(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username="ops", max_retries=1) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def bank(client: GraphOLAPClient) -> int:
    mapping = client.mappings.create(
        _name("bank"),
        "bank",
        node_definitions=[CUSTOMER, ACCOUNT],
        edge_definitions=[OWNS, TRANSFER],
    )
    return mapping.id


@pytest.fixture(scope="module")
def warehouse(server: ServerThread) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(server.settings.sample_warehouse_path), read_only=True)
    yield con
    con.close()


def _count(warehouse: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(warehouse.execute(f"SELECT count(*) FROM bank.{table}").fetchone()[0])  # type: ignore[index]


def _objects(s3: S3, store_prefix: str, snapshot_id: int) -> list[str]:
    head = f"{store_prefix}/{snapshot_id}/"
    return [k.removeprefix(head) for k in s3.keys(head)]


def _staging(server: ServerThread, snapshot_id: int) -> Path:
    return server.settings.snapshot_dir / str(snapshot_id)


def _ready_snapshot(client: GraphOLAPClient, mapping_id: int, **fields: Any) -> int:
    return client.snapshots.create_and_wait(
        mapping_id, _name("snap"), timeout=120, poll_interval=0.2, **fields
    ).id


def test_export_load_query_delete_through_the_bucket(
    client: GraphOLAPClient,
    bank: int,
    s3: S3,
    store_prefix: str,
    server: ServerThread,
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    instance = client.instances.create_from_mapping_and_wait(
        bank, _name("bank"), timeout=240, poll_interval=0.2
    )
    snapshot_id = instance.snapshot_id
    assert snapshot_id is not None
    try:
        with client.instances.connect(instance.id) as conn:
            assert conn.query_scalar("MATCH (n:Customer) RETURN count(n)") == _count(
                warehouse, "customers"
            )
            assert conn.query_scalar("MATCH (n:Account) RETURN count(n)") == _count(
                warehouse, "accounts"
            )
            assert conn.query_scalar("MATCH ()-[r:TRANSFERRED_TO]->() RETURN count(r)") == (
                _count(warehouse, "transactions")
            )

        # the snapshot is in the bucket: its manifest and every file the manifest lists
        manifest_key = f"{store_prefix}/{snapshot_id}/manifest.json"
        body = s3.client.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read()
        manifest = json.loads(body)
        listed = [e["file"] for e in manifest["nodes"] + manifest["edges"]]
        assert len(listed) == 4
        assert _objects(s3, store_prefix, snapshot_id) == sorted([*listed, "manifest.json"])
        # the control plane kept only the manifest of its staging folder
        staged = sorted(p.name for p in _staging(server, snapshot_id).rglob("*") if p.is_file())
        assert staged == ["manifest.json"]
        # the wrapper downloaded each file, a step each, before loading
        steps = client.instances.get_progress(instance.id).steps
        downloads = [s["name"] for s in steps if s.get("kind") == "download"]
        assert sorted(downloads) == sorted(f"download:{f}" for f in [*listed, "manifest.json"])
        assert all(s["status"] == "completed" for s in steps)
    finally:
        client.instances.terminate(instance.id)

    client.snapshots.delete(snapshot_id)
    assert _objects(s3, store_prefix, snapshot_id) == []
    assert not _staging(server, snapshot_id).exists()


def test_lifecycle_expiry_deletes_the_objects(
    client: GraphOLAPClient, ops: GraphOLAPClient, bank: int, s3: S3, store_prefix: str,
    server: ServerThread,
) -> None:  # fmt: skip
    expiring = _ready_snapshot(client, bank, ttl="P1D")
    kept = _ready_snapshot(client, bank, ttl="P1D")
    assert _objects(s3, store_prefix, expiring) and _objects(s3, store_prefix, kept)
    database = Database(server.settings.database_url)
    try:
        with database.transaction() as session:  # created two days ago: past its 1-day TTL
            session.execute(
                update(db.Snapshot)
                .where(db.Snapshot.id == expiring)
                .values(created_at=db.utcnow() - dt.timedelta(days=2))
            )
    finally:
        database.dispose()

    result = ops.ops.trigger_job("lifecycle", reason="snapshot expiry").result
    assert result["expired_snapshots"] == 1
    assert _objects(s3, store_prefix, expiring) == []
    assert not _staging(server, expiring).exists()
    assert [s.id for s in client.snapshots.list() if s.id in (expiring, kept)] == [kept]
    assert len(_objects(s3, store_prefix, kept)) == 5


def test_a_failed_export_leaves_nothing_behind(
    client: GraphOLAPClient, s3: S3, store_prefix: str, server: ServerThread
) -> None:
    duplicate_keys = with_changes(
        CUSTOMER,
        sql="SELECT customer_id % 10 AS customer_id, name, city FROM sample.bank.customers",
    )
    mapping = client.mappings.create(
        _name("dup"), "duplicate keys", node_definitions=[duplicate_keys], edge_definitions=[]
    )
    snapshot = client.snapshots.create(mapping.id, _name("dup"))
    with pytest.raises(SnapshotFailedError, match="customer_id"):
        client.snapshots.wait_until_ready(snapshot.id, timeout=120, poll_interval=0.2)
    assert _objects(s3, store_prefix, snapshot.id) == []
    assert not _staging(server, snapshot.id).exists()


def test_an_upload_failure_fails_the_snapshot_and_removes_what_was_uploaded(
    client: GraphOLAPClient,
    bank: int,
    s3: S3,
    store_prefix: str,
    server: ServerThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import obstore

    real_put = obstore.put
    uploaded: list[str] = []

    def put_then_refuse(store: Any, path: str, file: Any, **kwargs: Any) -> Any:
        if uploaded:  # fault: the second upload is refused (the first went through)
            raise PermissionError("Access Denied (injected)")
        uploaded.append(path)
        return real_put(store, path, file, **kwargs)

    monkeypatch.setattr(obstore, "put", put_then_refuse)
    snapshot = client.snapshots.create(bank, _name("refused"))
    with pytest.raises(SnapshotFailedError) as caught:
        client.snapshots.wait_until_ready(snapshot.id, timeout=120, poll_interval=0.2)
    monkeypatch.undo()
    message = str(caught.value)
    assert "Storing the snapshot failed: uploading" in message
    assert f"to s3://{BUCKET}/{store_prefix}/{snapshot.id} failed: Access Denied" in message
    assert "GRAPH_OLAP_SNAPSHOT_STORAGE" in message
    assert len(uploaded) == 1 and not uploaded[0].endswith("manifest.json")
    assert _objects(s3, store_prefix, snapshot.id) == []  # the one uploaded file went too
    assert not _staging(server, snapshot.id).exists()


def test_a_refused_delete_keeps_the_snapshot_and_says_why(
    client: GraphOLAPClient,
    bank: int,
    s3: S3,
    store_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import obstore

    snapshot_id = _ready_snapshot(client, bank)

    def refuse(store: Any, paths: Any) -> None:
        raise PermissionError("Access Denied (injected)")

    monkeypatch.setattr(obstore, "delete", refuse)
    with pytest.raises(ServiceUnavailableError) as caught:
        client.snapshots.delete(snapshot_id)
    monkeypatch.undo()
    assert f"The files of snapshot {snapshot_id} could not be deleted" in str(caught.value)
    assert "The snapshot was kept" in str(caught.value)
    assert client.snapshots.get(snapshot_id).status == "ready"
    assert len(_objects(s3, store_prefix, snapshot_id)) == 5

    client.snapshots.delete(snapshot_id)
    assert _objects(s3, store_prefix, snapshot_id) == []


def test_a_snapshot_gone_from_the_bucket_fails_the_instance_clearly(
    client: GraphOLAPClient, bank: int, s3: S3, store_prefix: str
) -> None:
    snapshot_id = _ready_snapshot(client, bank)
    s3.empty(f"{store_prefix}/{snapshot_id}/")
    with pytest.raises(InstanceFailedError) as caught:
        client.instances.create_and_wait(snapshot_id, _name("gone"), timeout=120, poll_interval=0.2)
    message = str(caught.value)
    assert "The snapshot could not be downloaded" in message
    assert f"snapshot s3://{BUCKET}/{store_prefix}/{snapshot_id} has no manifest.json" in message
    assert "create a new one" in message


def test_bulk_delete_removes_the_objects_of_each_snapshot(
    client: GraphOLAPClient, bank: int, s3: S3, store_prefix: str, server: ServerThread
) -> None:
    name = _name("bulk")
    ids = [
        client.snapshots.create_and_wait(bank, f"{name}-{n}", timeout=120, poll_interval=0.2).id
        for n in range(2)
    ]
    assert all(len(_objects(s3, store_prefix, i)) == 5 for i in ids)
    with GraphOLAPClient(server.url, username="admin", max_retries=1) as admin:
        result = admin.admin.bulk_delete(
            "snapshot", {"name_prefix": name}, "storage test", expected_count=2
        )
    assert sorted(result.deleted_ids) == sorted(ids)
    assert all(_objects(s3, store_prefix, i) == [] for i in ids)
    assert not any(_staging(server, i).exists() for i in ids)


def test_export_reconciliation_removes_the_objects_of_a_stuck_export(
    client: GraphOLAPClient,
    ops: GraphOLAPClient,
    bank: int,
    s3: S3,
    store_prefix: str,
    server: ServerThread,
) -> None:
    """A worker that died mid-export (elsewhere) left objects behind: the job that fails
    the export removes them."""
    snapshot_id = _ready_snapshot(client, bank)
    database = Database(server.settings.database_url)
    try:
        with database.transaction() as session:  # as a worker left it two hours ago
            long_ago = db.utcnow() - dt.timedelta(hours=2)
            session.execute(
                update(db.Snapshot).where(db.Snapshot.id == snapshot_id).values(status="creating")
            )
            session.execute(
                update(db.ExportJob)
                .where(db.ExportJob.snapshot_id == snapshot_id)
                .values(status="claimed", updated_at=long_ago)
            )
    finally:
        database.dispose()

    result = ops.ops.trigger_job("export_reconciliation", reason="stuck export").result
    assert result["failed_snapshots"] == 1
    assert client.snapshots.get(snapshot_id).status == "failed"
    assert _objects(s3, store_prefix, snapshot_id) == []
    assert not _staging(server, snapshot_id).exists()
