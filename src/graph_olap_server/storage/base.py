"""The snapshot store interface: where an export's files end up, and who removes them.

An export always writes into a local staging folder (the warehouse writes Parquet files to
a local path), then :meth:`SnapshotStore.publish` makes the snapshot readable where
wrappers read it: the manifest last, so a half-published snapshot is never complete.
"""

from __future__ import annotations

import abc
from pathlib import Path

__all__ = ["MANIFEST", "SnapshotStore", "StorageError"]

MANIFEST = "manifest.json"


class StorageError(Exception):
    """Object storage refused or failed an operation (the message says which, and why)."""


class SnapshotStore(abc.ABC):
    """Where snapshots live. ``staging(id)`` is the local folder an export writes into.

    Example:
        >>> store = snapshot_store(settings)
        >>> folder = store.staging(3)            # the export writes Parquet + manifest here
        >>> store.publish(3, folder)             # manifest last
        >>> store.uri(3)                         # what a wrapper is given to load
        '/home/me/.local/share/graph-olap/snapshots/3'
        >>> store.remove(3)
    """

    def __init__(self, staging_root: Path) -> None:
        self.staging_root = staging_root

    def staging(self, snapshot_id: int) -> Path:
        """The local folder the export of ``snapshot_id`` writes into."""
        return self.staging_root / str(snapshot_id)

    @abc.abstractmethod
    def uri(self, snapshot_id: int) -> str:
        """The location a wrapper loads ``snapshot_id`` from (a folder or a URL)."""

    @abc.abstractmethod
    def publish(self, snapshot_id: int, folder: Path) -> None:
        """Make the files of ``folder`` (manifest included) the snapshot; manifest last.
        Raises :class:`StorageError`."""

    @abc.abstractmethod
    def remove(self, snapshot_id: int) -> None:
        """Delete every file of ``snapshot_id`` (nothing happens when there is none).
        Raises :class:`StorageError`."""

    @abc.abstractmethod
    def files(self, snapshot_id: int) -> list[str]:
        """The names of the files ``snapshot_id`` holds (relative, sorted)."""

    def is_complete(self, snapshot_id: int) -> bool:
        """Whether ``snapshot_id`` holds its manifest (it was published whole)."""
        return MANIFEST in self.files(snapshot_id)
