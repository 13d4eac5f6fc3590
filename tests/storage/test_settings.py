"""``GRAPH_OLAP_SNAPSHOT_STORAGE`` and its endpoint: parsed, checked, refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph_olap_server.settings import Settings
from graph_olap_server.storage import (
    LocalSnapshotStore,
    ObjectLocation,
    StorageSettingError,
    is_object_uri,
    parse_snapshot_uri,
    snapshot_store,
)
from graph_olap_server.storage.objects import ObjectSnapshotStore


def test_default_is_the_snapshots_folder_of_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"GRAPH_OLAP_DATA_DIR": str(tmp_path)})
    assert settings.snapshot_storage == tmp_path / "snapshots"
    assert settings.snapshot_dir == tmp_path / "snapshots"
    store = snapshot_store(settings)
    assert isinstance(store, LocalSnapshotStore)
    assert store.uri(4) == str(tmp_path / "snapshots" / "4")


def test_a_folder_moves_the_snapshots(tmp_path: Path) -> None:
    elsewhere = tmp_path / "big-disk"
    env = {
        "GRAPH_OLAP_DATA_DIR": str(tmp_path / "d"),
        "GRAPH_OLAP_SNAPSHOT_STORAGE": str(elsewhere),
    }
    settings = Settings.from_env(env)
    assert settings.snapshot_dir == elsewhere
    assert snapshot_store(settings).uri(9) == str(elsewhere / "9")
    as_url = Settings.from_env({**env, "GRAPH_OLAP_SNAPSHOT_STORAGE": elsewhere.as_uri()})
    assert as_url.snapshot_dir == elsewhere


@pytest.mark.parametrize(
    ("text", "scheme", "bucket", "prefix"),
    [
        ("s3://lake/graph/snapshots/", "s3", "lake", "graph/snapshots"),
        ("s3a://lake", "s3", "lake", ""),
        ("gs://lake/g", "gs", "lake", "g"),
        ("az://container/g", "az", "container", "g"),
        ("S3://Lake//g", "s3", "Lake", "g"),
    ],
)
def test_object_storage_urls(
    tmp_path: Path, text: str, scheme: str, bucket: str, prefix: str
) -> None:
    settings = Settings(data_dir=tmp_path, snapshot_storage=text)
    assert settings.snapshot_storage == ObjectLocation(scheme, bucket, prefix)
    assert settings.snapshot_dir == tmp_path / "snapshots"  # where exports stage files
    store = snapshot_store(settings)
    assert isinstance(store, ObjectSnapshotStore)
    assert store.uri(12) == f"{scheme}://{bucket}{'/' + prefix if prefix else ''}/12"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ftp://host/dir", "unsupported scheme 'ftp'"),
        ("s3://", "has no bucket"),
        ("s3:///prefix", "has no bucket"),
        ("s3://lake/a/../b", "'..'"),
        ("s3://lake/g?endpoint=http://x", "GRAPH_OLAP_SNAPSHOT_STORAGE_ENDPOINT"),
    ],
)
def test_bad_storage_urls_are_refused(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(StorageSettingError) as caught:
        Settings.from_env(
            {"GRAPH_OLAP_DATA_DIR": str(tmp_path), "GRAPH_OLAP_SNAPSHOT_STORAGE": text}
        )
    message = str(caught.value)
    assert message.startswith(f"GRAPH_OLAP_SNAPSHOT_STORAGE {text!r}")
    assert says in message
    assert "s3://bucket/prefix" in message  # says what to give instead


def test_endpoint_for_s3_compatible_servers(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GRAPH_OLAP_DATA_DIR": str(tmp_path),
            "GRAPH_OLAP_SNAPSHOT_STORAGE": "s3://lake/g",
            "GRAPH_OLAP_SNAPSHOT_STORAGE_ENDPOINT": "http://minio.local:9000/",
        }
    )
    assert settings.snapshot_storage_endpoint == "http://minio.local:9000"
    uri = snapshot_store(settings).uri(5)
    assert uri == "s3://lake/g/5?endpoint=http%3A%2F%2Fminio.local%3A9000"
    # the wrapper's --snapshot goes through pathlib.Path, which folds "//": still readable
    for given in (uri, str(Path(uri))):
        assert is_object_uri(given)
        assert parse_snapshot_uri(given) == (
            ObjectLocation("s3", "lake", "g/5"),
            "http://minio.local:9000",
        )


@pytest.mark.parametrize(
    ("storage", "endpoint", "says"),
    [
        (None, "http://minio.local:9000", "is not an s3:// URL"),
        ("gs://lake", "http://minio.local:9000", "is not an s3:// URL"),
        ("s3://lake", "minio.local:9000", "is not an http:// or https:// URL"),
        ("s3://lake", "ftp://minio.local", "is not an http:// or https:// URL"),
    ],
)
def test_bad_endpoints_are_refused(
    tmp_path: Path, storage: str | None, endpoint: str, says: str
) -> None:
    with pytest.raises(StorageSettingError, match="GRAPH_OLAP_SNAPSHOT_STORAGE_ENDPOINT") as caught:
        Settings(data_dir=tmp_path, snapshot_storage=storage, snapshot_storage_endpoint=endpoint)
    assert says in str(caught.value)


def test_local_paths_are_not_object_uris(tmp_path: Path) -> None:
    assert not is_object_uri(tmp_path / "snapshots" / "3")
    assert not is_object_uri("relative/snapshots/3")
    with pytest.raises(StorageSettingError, match="not an object-storage snapshot location"):
        parse_snapshot_uri(tmp_path / "3")
