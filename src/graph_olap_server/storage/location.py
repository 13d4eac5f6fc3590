"""Where snapshots live: the ``GRAPH_OLAP_SNAPSHOT_STORAGE`` setting parsed and checked.

A folder (the default, ``<data_dir>/snapshots``) or an object-storage URL
``s3://bucket/prefix`` (also ``gs://`` and ``az://``). A snapshot's location (``uri``) is
the folder or URL of the store plus ``/<snapshot id>``; for an S3-compatible server the
endpoint travels with it as ``?endpoint=<url, percent-encoded>`` so a wrapper started
anywhere reads the same bucket (credentials never do: they come from the environment).
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from pathlib import Path

__all__ = [
    "ObjectLocation",
    "StorageSettingError",
    "check_endpoint",
    "is_object_uri",
    "parse_snapshot_uri",
    "parse_storage",
]

SETTING = "GRAPH_OLAP_SNAPSHOT_STORAGE"
ENDPOINT_SETTING = "GRAPH_OLAP_SNAPSHOT_STORAGE_ENDPOINT"

_SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs", "az": "az", "abfs": "az"}
# "s3:/bucket" too: a URL that went through pathlib.Path lost one slash
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):/+(?P<rest>.*)$")


class StorageSettingError(ValueError):
    """The snapshot storage setting (or a snapshot location) cannot be used."""


@dataclasses.dataclass(frozen=True)
class ObjectLocation:
    """An object-storage prefix: ``scheme://bucket/prefix`` (prefix may be empty).

    Example:
        >>> parse_storage("s3://lake/graph/", data_dir=Path("/tmp")).url
        's3://lake/graph'
    """

    scheme: str
    bucket: str
    prefix: str = ""

    @property
    def url(self) -> str:
        tail = f"/{self.prefix}" if self.prefix else ""
        return f"{self.scheme}://{self.bucket}{tail}"


def _usage(text: str, problem: str) -> StorageSettingError:
    return StorageSettingError(
        f"{SETTING} {text!r} {problem}. Give a folder (default: <data_dir>/snapshots) or an "
        "object-storage URL such as 's3://bucket/prefix', 'gs://bucket/prefix' or "
        "'az://container/prefix'."
    )


def _object_location(text: str, scheme: str, rest: str) -> ObjectLocation:
    if "?" in rest or "#" in rest:
        raise _usage(text, f"has a query or fragment; set the endpoint with {ENDPOINT_SETTING}")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise _usage(text, "has no bucket")
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise _usage(text, "has '.' or '..' in its prefix")
    return ObjectLocation(_SCHEMES[scheme], bucket, "/".join(parts))


def parse_storage(text: str | None, *, data_dir: Path) -> Path | ObjectLocation:
    """The folder or object-storage prefix named by the setting (empty: the default).

    Example:
        >>> parse_storage(None, data_dir=Path("/tmp/go"))
        PosixPath('/tmp/go/snapshots')
        >>> parse_storage("gs://lake", data_dir=Path("/tmp/go"))
        ObjectLocation(scheme='gs', bucket='lake', prefix='')
        >>> parse_storage("ftp://x/y", data_dir=Path("/tmp/go"))
        Traceback (most recent call last):
        graph_olap_server.storage.location.StorageSettingError: GRAPH_OLAP_SNAPSHOT_STORAGE ...
    """
    raw = (text or "").strip()
    if not raw:
        return data_dir / "snapshots"
    match = _URL.match(raw)
    if match is None or len(match["scheme"]) == 1:  # no scheme, or a Windows drive "C:\"
        return Path(raw).expanduser()
    scheme = match["scheme"].lower()
    if scheme == "file":
        return Path(urllib.parse.unquote(urllib.parse.urlsplit(raw).path))
    if scheme not in _SCHEMES:
        raise _usage(raw, f"uses the unsupported scheme {scheme!r}")
    if not raw[len(scheme) :].startswith("://") or raw[len(scheme) :].startswith(":///"):
        raise _usage(raw, f"has no bucket (write {scheme}://bucket/prefix)")
    return _object_location(raw, scheme, match["rest"])


def check_endpoint(endpoint: str | None, storage: Path | ObjectLocation) -> str | None:
    """The endpoint setting checked: an http(s) URL, and only for ``s3://`` storage.

    Example:
        >>> check_endpoint("http://127.0.0.1:9000/", ObjectLocation("s3", "b"))
        'http://127.0.0.1:9000'
    """
    if not endpoint:
        return None
    if not isinstance(storage, ObjectLocation) or storage.scheme != "s3":
        raise StorageSettingError(
            f"{ENDPOINT_SETTING} is set but {SETTING} is not an s3:// URL; the endpoint "
            "only applies to S3-compatible object storage. Unset it or set "
            f"{SETTING}=s3://bucket/prefix."
        )
    url = urllib.parse.urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname or url.query or url.fragment:
        raise StorageSettingError(
            f"{ENDPOINT_SETTING} {endpoint!r} is not an http:// or https:// URL of an "
            "S3-compatible server; give one such as 'https://minio.example.com:9000'."
        )
    return endpoint.rstrip("/")


def is_object_uri(text: str | Path) -> bool:
    """Whether a snapshot location is in object storage (not a folder).

    Example:
        >>> is_object_uri("s3://lake/graph/3"), is_object_uri("/data/snapshots/3")
        (True, False)
    """
    match = _URL.match(str(text))
    return match is not None and match["scheme"].lower() in _SCHEMES


def parse_snapshot_uri(text: str | Path) -> tuple[ObjectLocation, str | None]:
    """A snapshot's object-storage location and its endpoint (``None``: the provider's).

    Example:
        >>> parse_snapshot_uri("s3://lake/g/3?endpoint=http%3A%2F%2F127.0.0.1%3A9000")
        (ObjectLocation(scheme='s3', bucket='lake', prefix='g/3'), 'http://127.0.0.1:9000')
    """
    raw = str(text)
    match = _URL.match(raw)
    if match is None or match["scheme"].lower() not in _SCHEMES:
        raise StorageSettingError(f"{raw!r} is not an object-storage snapshot location")
    rest, _, query = match["rest"].partition("?")
    endpoint = urllib.parse.parse_qs(query).get("endpoint", [None])[0]
    return _object_location(raw, match["scheme"].lower(), rest), endpoint
