"""A wrapper's copy of a snapshot in object storage: every file downloaded, streamed to
disk chunk by chunk (never whole in memory), into a local folder the engine can COPY from.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from graph_olap_server.storage.base import MANIFEST, StorageError
from graph_olap_server.storage.location import parse_snapshot_uri
from graph_olap_server.storage.objects import error_text, open_store

__all__ = ["download_snapshot"]

_CHUNK = 8 * 1024 * 1024


def download_snapshot(
    uri: str,
    dest: Path,
    *,
    on_listed: Callable[[list[str]], object] | None = None,
    on_file: Callable[[str, int], object] | None = None,
) -> Path:
    """Download the snapshot at ``uri`` into ``dest`` (emptied first); answers ``dest``.
    ``on_listed(names)`` is called once the files are known (in download order, the
    manifest last), ``on_file(name, bytes)`` after each file.

    Raises :class:`StorageError` naming the location when the snapshot is missing,
    incomplete or cannot be read.

    Example:
        >>> download_snapshot("s3://lake/graph/3", Path("/tmp/inst/snapshot"))
        PosixPath('/tmp/inst/snapshot')
    """
    import obstore

    location, endpoint = parse_snapshot_uri(uri)
    where = location.url
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    store = open_store(location, endpoint)
    try:
        names = sorted(
            str(meta["path"]) for batch in obstore.list(store, prefix=None) for meta in batch
        )
    except Exception as err:
        raise StorageError(f"listing snapshot {where} failed: {error_text(err)}") from err
    if MANIFEST not in names:
        raise StorageError(
            f"snapshot {where} has no {MANIFEST} ({len(names)} other files): it was deleted "
            "or never finished uploading"
        )
    names.remove(MANIFEST)
    names.append(MANIFEST)
    if on_listed is not None:
        on_listed(list(names))
    for name in names:
        target = dest / name
        if not target.resolve().is_relative_to(dest.resolve()):
            raise StorageError(f"snapshot {where} holds an unsafe file name {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        try:
            result = obstore.get(store, name)
            with target.open("wb") as out:
                for chunk in result.stream(min_chunk_size=_CHUNK):
                    size += out.write(memoryview(chunk))
        except Exception as err:
            raise StorageError(
                f"downloading {name} of snapshot {where} failed: {error_text(err)}"
            ) from err
        if on_file is not None:
            on_file(name, size)
    return dest
