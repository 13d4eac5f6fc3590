"""The platform's warehouse, chosen by ``Settings.warehouse_url``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph_olap_server.warehouse.base import WarehouseAdapter
from graph_olap_server.warehouse.duck import Warehouse
from graph_olap_server.warehouse.url import TrinoTarget, parse_warehouse_url

if TYPE_CHECKING:
    from graph_olap_server.settings import Settings

__all__ = ["open_warehouse", "trino_connector"]


def trino_connector(target: TrinoTarget) -> Any:
    """A callable opening a ``trino.dbapi`` connection to ``target`` (imports ``trino``
    now, with a clear error when the optional extra is missing)."""
    try:
        import trino
    except ImportError:
        raise ImportError(
            "GRAPH_OLAP_WAREHOUSE_URL names a Trino warehouse but the 'trino' package is not "
            "installed: pip install 'graph-olap[trino]' (or pip install trino)"
        ) from None
    auth = None
    if target.password:
        auth = trino.auth.BasicAuthentication(target.user, target.password)

    def connect() -> Any:
        return trino.dbapi.connect(  # type: ignore[no-untyped-call]
            host=target.host,
            port=target.port,
            user=target.user,
            catalog=target.catalog,
            schema=target.schema,
            http_scheme=target.http_scheme,
            auth=auth,
        )

    return connect


def open_warehouse(settings: Settings, sources: Sequence[Path] = ()) -> WarehouseAdapter:
    """The warehouse ``settings.warehouse_url`` names: DuckDB over ``sources`` (the
    default), PostgreSQL or Trino.

    Example:
        >>> wh = open_warehouse(Settings(data_dir=Path("/tmp/go")), [])  # doctest: +SKIP
        >>> wh.catalogs()  # doctest: +SKIP
        []
    """
    target = parse_warehouse_url(settings.warehouse_url)
    if target is None:
        return Warehouse(list(sources), export_dirs=[settings.snapshot_dir])
    # imported here: the default DuckDB warehouse never loads psycopg or the Trino adapter
    if isinstance(target, TrinoTarget):
        from graph_olap_server.warehouse.trino import TrinoWarehouse

        return TrinoWarehouse(
            trino_connector(target),
            catalogs=target.catalogs,
            session=(target.catalog, target.schema),
        )
    from graph_olap_server.warehouse.postgres import PostgresWarehouse

    return PostgresWarehouse(target.conninfo, catalog=target.catalog)
