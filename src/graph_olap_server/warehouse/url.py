"""The warehouse URL (``GRAPH_OLAP_WAREHOUSE_URL``) read into what an adapter needs.

* ``duckdb:`` (the default): the embedded DuckDB warehouse over the sample and
  ``GRAPH_OLAP_WAREHOUSE`` sources;
* ``postgresql://user:password@host:5432/database?catalog=name`` (also ``postgres://`` and
  ``postgresql+psycopg://``; libpq parameters such as ``host=/socket/dir`` pass through);
* ``trino://user:password@host:port/catalog?http_scheme=https&catalogs=a,b``.

Messages never show a password: :func:`redact` replaces it with ``***``.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

__all__ = ["PostgresTarget", "TrinoTarget", "parse_warehouse_url", "redact"]

_POSTGRES = ("postgresql", "postgres", "postgresql+psycopg")
_EXAMPLES = (
    "'duckdb:' (the default), 'postgresql://user:password@host:5432/database' or "
    "'trino://user@host:8080/catalog'"
)


@dataclasses.dataclass(frozen=True)
class PostgresTarget:
    """A libpq URL and the catalog name the database is shown as (None: its name)."""

    conninfo: str = dataclasses.field(repr=False)
    catalog: str | None


@dataclasses.dataclass(frozen=True)
class TrinoTarget:
    """What ``trino.dbapi.connect`` needs, and the catalogs to browse (empty: all)."""

    host: str
    port: int
    user: str
    password: str | None = dataclasses.field(repr=False)
    http_scheme: str
    catalog: str | None
    schema: str | None
    catalogs: tuple[str, ...]


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***``.

    Example:
        >>> redact("postgresql://bob:s3cret@db/shop")
        'postgresql://bob:***@db/shop'
    """
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def _bad(url: str, problem: str) -> ValueError:
    return ValueError(f"GRAPH_OLAP_WAREHOUSE_URL {redact(url)!r} {problem}. Use {_EXAMPLES}.")


def parse_warehouse_url(url: str) -> PostgresTarget | TrinoTarget | None:
    """None for the DuckDB warehouse, else the PostgreSQL or Trino target; ValueError
    (without the password) when the URL cannot be used.

    Example:
        >>> parse_warehouse_url("trino://ana@trino.example:443/hive").http_scheme
        'https'
        >>> parse_warehouse_url("duckdb:") is None
        True
    """
    text = url.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if not text or scheme == "duckdb":
        if text.lower().rstrip("/") not in ("", "duckdb:", "duckdb://"):
            raise _bad(
                url,
                "has a path: the DuckDB warehouse takes its sources from "
                "GRAPH_OLAP_WAREHOUSE, so write just 'duckdb:'",
            )
        return None
    if scheme in _POSTGRES:
        return _postgres(text, url)
    if scheme == "trino":
        return _trino(text, url)
    raise _bad(url, f"has the unknown scheme {scheme or '(none)'!r}")


def _postgres(text: str, url: str) -> PostgresTarget:
    parts = urllib.parse.urlsplit(text)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    catalog = next((v for k, v in query if k == "catalog"), None)
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "catalog"])
    if not parts.path.strip("/") and not any(k == "dbname" for k, _ in query):
        raise _bad(url, "names no database: add it as the path ('.../database')")
    conninfo = urllib.parse.urlunsplit(parts._replace(scheme="postgresql", query=rest))
    return PostgresTarget(conninfo, catalog or None)


def _trino(text: str, url: str) -> TrinoTarget:
    parts = urllib.parse.urlsplit(text)
    query = dict(urllib.parse.parse_qsl(parts.query))
    if not parts.hostname:
        raise _bad(url, "has no host")
    if not parts.username:
        raise _bad(url, "has no user: Trino needs one ('trino://user@host:port/catalog')")
    try:
        port = parts.port or (443 if query.get("http_scheme") == "https" else 8080)
    except ValueError:
        raise _bad(url, "has a port that is not a number") from None
    scheme = query.get("http_scheme") or ("https" if port == 443 else "http")
    if scheme not in ("http", "https"):
        raise _bad(url, f"has http_scheme {scheme!r}: use http or https")
    path = [urllib.parse.unquote(p) for p in parts.path.split("/") if p]
    if len(path) > 2:
        raise _bad(url, "has a path of more than catalog/schema")
    listed = tuple(c.strip() for c in query.get("catalogs", "").split(",") if c.strip())
    return TrinoTarget(
        host=parts.hostname,
        port=port,
        user=urllib.parse.unquote(parts.username),
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        http_scheme=scheme,
        catalog=path[0] if path else None,
        schema=path[1] if len(path) > 1 else None,
        catalogs=listed,
    )
