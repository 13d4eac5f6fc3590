"""Snapshot storage: a local folder (the default) or object storage (S3, GCS, Azure).

The setting ``GRAPH_OLAP_SNAPSHOT_STORAGE`` picks it (see :mod:`.location`);
:func:`snapshot_store` gives the platform's store. Exports stage files locally and
:meth:`SnapshotStore.publish` them; wrappers load ``store.uri(id)`` (a folder, or a URL
they download with :func:`download_snapshot`); deletion goes through ``store.remove(id)``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from graph_olap_server.storage.base import MANIFEST, SnapshotStore, StorageError
from graph_olap_server.storage.local import LocalSnapshotStore
from graph_olap_server.storage.location import (
    ObjectLocation,
    StorageSettingError,
    is_object_uri,
    parse_snapshot_uri,
    parse_storage,
)

if TYPE_CHECKING:
    from graph_olap_server.settings import Settings

__all__ = [
    "MANIFEST",
    "LocalSnapshotStore",
    "ObjectLocation",
    "SnapshotStore",
    "StorageError",
    "StorageSettingError",
    "is_object_uri",
    "parse_snapshot_uri",
    "parse_storage",
    "snapshot_store",
]


@functools.lru_cache(maxsize=16)
def _store(storage: Path | ObjectLocation, endpoint: str | None, staging: Path) -> SnapshotStore:
    if isinstance(storage, Path):
        return LocalSnapshotStore(storage)
    from graph_olap_server.storage.objects import ObjectSnapshotStore

    return ObjectSnapshotStore(storage, endpoint, staging_root=staging)


def snapshot_store(settings: Settings) -> SnapshotStore:
    """The snapshot store of ``settings`` (one per configuration, reused).

    Example:
        >>> snapshot_store(Settings(data_dir=Path("/tmp/go"))).uri(3)
        '/tmp/go/snapshots/3'
    """
    storage = settings.snapshot_storage
    if not isinstance(storage, (Path, ObjectLocation)):  # Settings parses it on creation
        raise TypeError(f"snapshot_storage was not parsed: {storage!r}")
    return _store(storage, settings.snapshot_storage_endpoint, settings.snapshot_dir)
