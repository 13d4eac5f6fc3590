"""The local folder store (the default): the staging folder is the snapshot."""

from __future__ import annotations

from pathlib import Path

from graph_olap_server.storage import MANIFEST, LocalSnapshotStore


def test_staging_is_the_snapshot_and_publish_leaves_it_in_place(tmp_path: Path) -> None:
    store = LocalSnapshotStore(tmp_path / "snapshots")
    folder = store.staging(7)
    assert folder == tmp_path / "snapshots" / "7"
    assert store.uri(7) == str(folder)
    assert store.files(7) == [] and not store.is_complete(7)

    (folder / "nodes").mkdir(parents=True)
    (folder / "nodes" / "Customer.parquet").write_bytes(b"PAR1")
    assert not store.is_complete(7)
    (folder / MANIFEST).write_text("{}")
    store.publish(7, folder)
    assert store.files(7) == [MANIFEST, "nodes/Customer.parquet"]
    assert store.is_complete(7)


def test_remove_deletes_one_snapshot_and_is_idempotent(tmp_path: Path) -> None:
    store = LocalSnapshotStore(tmp_path)
    for snapshot_id in (1, 11):
        store.staging(snapshot_id).mkdir()
        (store.staging(snapshot_id) / MANIFEST).write_text("{}")
    store.remove(1)
    store.remove(1)
    store.remove(404)
    assert not store.staging(1).exists()
    assert store.files(11) == [MANIFEST]
