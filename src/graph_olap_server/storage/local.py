"""Snapshots in a local folder (the default): the staging folder is the snapshot."""

from __future__ import annotations

import shutil
from pathlib import Path

from graph_olap_server.storage.base import SnapshotStore

__all__ = ["LocalSnapshotStore"]


class LocalSnapshotStore(SnapshotStore):
    """``<root>/<snapshot id>/``: the export writes there and wrappers read it in place.

    Example:
        >>> store = LocalSnapshotStore(Path("/tmp/go/snapshots"))
        >>> store.uri(3)
        '/tmp/go/snapshots/3'
    """

    def uri(self, snapshot_id: int) -> str:
        return str(self.staging(snapshot_id))

    def publish(self, snapshot_id: int, folder: Path) -> None:
        """Nothing to copy: the staging folder is where the snapshot lives."""

    def remove(self, snapshot_id: int) -> None:
        shutil.rmtree(self.staging(snapshot_id), ignore_errors=True)

    def files(self, snapshot_id: int) -> list[str]:
        folder = self.staging(snapshot_id)
        if not folder.is_dir():
            return []
        return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
