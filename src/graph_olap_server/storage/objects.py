"""Snapshots in object storage (S3, GCS, Azure) through obstore, one URL-configured store.

``<url>/<snapshot id>/<file>``. The export stages the files locally, :meth:`publish`
uploads them (streamed from disk, multipart for large files) and the manifest last; the
staging folder keeps only the manifest afterwards (the local mark that the snapshot is
complete). Credentials come from the environment the provider's usual way (``AWS_*``,
``GOOGLE_*``, ``AZURE_*`` variables, instance roles); ``endpoint`` is for S3-compatible
servers (MinIO, Ceph, a test server).
"""

from __future__ import annotations

import logging
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_olap_server.storage.base import MANIFEST, SnapshotStore, StorageError
from graph_olap_server.storage.location import ObjectLocation

if TYPE_CHECKING:
    from obstore.store import ObjectStore

__all__ = ["ObjectSnapshotStore", "error_text", "open_store"]

log = logging.getLogger("graph_olap_server")

_DELETE_BATCH = 1000  # the most keys one S3 DeleteObjects call takes


def open_store(location: ObjectLocation, endpoint: str | None) -> ObjectStore:
    """An obstore store rooted at ``location`` (credentials from the environment).

    Example:
        >>> open_store(ObjectLocation("s3", "lake", "graph"), "http://127.0.0.1:9000")
        S3Store(bucket="lake", prefix="graph")
    """
    try:
        from obstore.store import from_url
    except ImportError as err:  # the object-storage extra is optional
        raise StorageError(
            f"Snapshot storage {location.url} needs the obstore package; install it with "
            "pip install 'graph-olap[object-storage]'."
        ) from err
    config: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if endpoint:
        config["endpoint"] = endpoint
        options["allow_http"] = endpoint.startswith("http://")
    try:
        return from_url(location.url, config=config or None, client_options=options or None)  # type: ignore[arg-type]
    except Exception as err:
        raise StorageError(
            f"Snapshot storage {location.url} cannot be opened: {error_text(err)}. Check "
            "the URL and the provider's credentials in the environment."
        ) from err


def error_text(err: BaseException) -> str:
    """The first line of an obstore error, shortened (its debug detail stays in logs).

    Example:
        >>> error_text(FileNotFoundError("Object at location a not found: GET ...\\n<xml>"))
        'Object at location a not found: GET ...'
    """
    lines = str(err).strip().splitlines() or [type(err).__name__]
    text = lines[0].strip()
    return text if len(text) <= 300 else text[:297] + "..."


class ObjectSnapshotStore(SnapshotStore):
    """Snapshots under ``location`` in object storage, staged in ``staging_root``.

    Example:
        >>> store = ObjectSnapshotStore(ObjectLocation("s3", "lake", "graph"), None,
        ...                             staging_root=Path("/tmp/go/snapshots"))
        >>> store.uri(3)
        's3://lake/graph/3'
    """

    def __init__(
        self, location: ObjectLocation, endpoint: str | None, *, staging_root: Path
    ) -> None:
        super().__init__(staging_root)
        self.location = location
        self.endpoint = endpoint
        self._store: ObjectStore | None = None

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = open_store(self.location, self.endpoint)
        return self._store

    def uri(self, snapshot_id: int) -> str:
        base = f"{self.location.url}/{snapshot_id}"
        if self.endpoint:
            return f"{base}?endpoint={urllib.parse.quote(self.endpoint, safe='')}"
        return base

    def _where(self, snapshot_id: int) -> str:
        return f"{self.location.url}/{snapshot_id}"

    def publish(self, snapshot_id: int, folder: Path) -> None:
        import obstore

        names = [
            p.relative_to(folder).as_posix()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")
        ]
        if MANIFEST not in names:
            raise StorageError(f"{folder} has no {MANIFEST}: the export is not complete")
        names.remove(MANIFEST)
        for name in [*names, MANIFEST]:  # the manifest last: complete only once it is there
            try:
                obstore.put(self.store, f"{snapshot_id}/{name}", folder / name)
            except Exception as err:
                raise StorageError(
                    f"uploading {name} to {self._where(snapshot_id)} failed: {error_text(err)}"
                ) from err
        for name in names:  # the manifest stays: the local mark of a complete snapshot
            (folder / name).unlink(missing_ok=True)
        for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
            shutil.rmtree(sub, ignore_errors=True)
        log.info("snapshot %s uploaded to %s", snapshot_id, self._where(snapshot_id))

    def _keys(self, snapshot_id: int) -> Iterator[str]:
        import obstore

        for batch in obstore.list(self.store, prefix=str(snapshot_id)):
            for meta in batch:
                yield str(meta["path"])

    def files(self, snapshot_id: int) -> list[str]:
        head = f"{snapshot_id}/"
        try:
            return sorted(k.removeprefix(head) for k in self._keys(snapshot_id))
        except Exception as err:
            raise StorageError(
                f"listing {self._where(snapshot_id)} failed: {error_text(err)}"
            ) from err

    def remove(self, snapshot_id: int) -> None:
        import obstore

        shutil.rmtree(self.staging(snapshot_id), ignore_errors=True)
        try:
            keys = list(self._keys(snapshot_id))
            keys.sort(key=lambda k: k.endswith(f"/{MANIFEST}"), reverse=True)  # manifest first
            for start in range(0, len(keys), _DELETE_BATCH):
                obstore.delete(self.store, keys[start : start + _DELETE_BATCH])
        except Exception as err:
            raise StorageError(
                f"deleting {self._where(snapshot_id)} failed: {error_text(err)}"
            ) from err
        if keys:
            log.info("snapshot %s: %s objects deleted", snapshot_id, len(keys))
