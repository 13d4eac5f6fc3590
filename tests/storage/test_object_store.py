"""The object store and the wrapper's download, against the S3 test server (real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_olap_server.storage import MANIFEST, ObjectLocation, StorageError
from graph_olap_server.storage.download import download_snapshot
from graph_olap_server.storage.objects import ObjectSnapshotStore

from .conftest import BUCKET, S3


def _staged(store: ObjectSnapshotStore, snapshot_id: int, big: int = 3 * 1024 * 1024) -> Path:
    folder = store.staging(snapshot_id)
    (folder / "nodes").mkdir(parents=True)
    (folder / "nodes" / "Customer.parquet").write_bytes(bytes(range(256)) * (big // 256))
    (folder / "edges").mkdir()
    (folder / "edges" / "OWNS.parquet").write_bytes(b"owns")
    (folder / f".{MANIFEST}.tmp").write_text("half written")
    (folder / MANIFEST).write_text(json.dumps({"snapshot_id": snapshot_id}))
    return folder


def _store(s3: S3, prefix: str, tmp_path: Path) -> ObjectSnapshotStore:
    return ObjectSnapshotStore(
        ObjectLocation("s3", BUCKET, prefix), s3.endpoint, staging_root=tmp_path / "staging"
    )


def test_publish_uploads_everything_and_keeps_only_the_manifest_locally(
    s3: S3, prefix: str, tmp_path: Path
) -> None:
    store = _store(s3, prefix, tmp_path)
    folder = _staged(store, 3)
    store.publish(3, folder)
    assert s3.keys(prefix) == [
        f"{prefix}/3/edges/OWNS.parquet",
        f"{prefix}/3/{MANIFEST}",
        f"{prefix}/3/nodes/Customer.parquet",
    ]  # the hidden temporary file was not uploaded
    assert store.files(3) == ["edges/OWNS.parquet", MANIFEST, "nodes/Customer.parquet"]
    assert store.is_complete(3)
    local = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert local == [f".{MANIFEST}.tmp", MANIFEST]


def test_download_copies_the_files_byte_for_byte_manifest_last(
    s3: S3, prefix: str, tmp_path: Path
) -> None:
    store = _store(s3, prefix, tmp_path)
    folder = _staged(store, 4)
    original = (folder / "nodes" / "Customer.parquet").read_bytes()
    store.publish(4, folder)

    dest = tmp_path / "instance" / "snapshot"
    dest.mkdir(parents=True)
    (dest / "stale.parquet").write_bytes(b"from an earlier start")
    listed: list[list[str]] = []
    done: list[tuple[str, int]] = []
    answer = download_snapshot(
        store.uri(4), dest, on_listed=listed.append, on_file=lambda n, b: done.append((n, b))
    )
    assert answer == dest
    assert listed == [["edges/OWNS.parquet", "nodes/Customer.parquet", MANIFEST]]
    assert done == [
        ("edges/OWNS.parquet", 4),
        ("nodes/Customer.parquet", len(original)),
        (MANIFEST, len((dest / MANIFEST).read_bytes())),
    ]
    assert (dest / "nodes" / "Customer.parquet").read_bytes() == original
    assert not (dest / "stale.parquet").exists()
    assert json.loads((dest / MANIFEST).read_text()) == {"snapshot_id": 4}


def test_download_of_an_incomplete_snapshot_says_so(s3: S3, prefix: str, tmp_path: Path) -> None:
    store = _store(s3, prefix, tmp_path)
    store.publish(5, _staged(store, 5))
    s3.client.delete_object(Bucket=BUCKET, Key=f"{prefix}/5/{MANIFEST}")
    with pytest.raises(StorageError) as caught:
        download_snapshot(store.uri(5), tmp_path / "dl")
    assert str(caught.value) == (
        f"snapshot s3://{BUCKET}/{prefix}/5 has no {MANIFEST} (2 other files): it was "
        "deleted or never finished uploading"
    )


def test_remove_deletes_one_snapshot_and_nothing_else(s3: S3, prefix: str, tmp_path: Path) -> None:
    store = _store(s3, prefix, tmp_path)
    for snapshot_id in (6, 66):
        store.publish(snapshot_id, _staged(store, snapshot_id, big=1024))
    store.remove(6)
    store.remove(6)  # nothing left: no error
    assert not store.staging(6).exists()
    assert store.files(6) == []
    assert [k.split("/")[1] for k in s3.keys(prefix)] == ["66", "66", "66"]


def test_an_unreachable_server_gives_a_storage_error(prefix: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = ObjectSnapshotStore(
        ObjectLocation("s3", BUCKET, prefix),
        f"http://127.0.0.1:{port}",
        staging_root=tmp_path,
    )
    with pytest.raises(StorageError, match=rf"^listing s3://{BUCKET}/{prefix}/1 failed: "):
        store.files(1)
