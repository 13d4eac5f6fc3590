"""The warehouse layer of the local platform: read-only DuckDB sources queried in Trino SQL.

* :class:`Warehouse` attaches DuckDB files and folders of Parquet/CSV/JSON files as catalogs,
  validates and transpiles queries, describes their columns and exports them to Parquet;
* :class:`SchemaCache` keeps an in-memory copy of the catalog/schema/table/column tree for
  browsing and search;
* :func:`generate_sample_warehouse` writes the deterministic sample bank database;
* :class:`WarehouseAdapter` is what every warehouse offers; :func:`open_warehouse` opens the
  one ``GRAPH_OLAP_WAREHOUSE_URL`` names: DuckDB (default), ``postgres.PostgresWarehouse`` or
  ``trino.TrinoWarehouse`` (imported only when chosen).

This package never imports the SDK (``graph_olap``).
"""

from __future__ import annotations

from graph_olap_server.warehouse.base import (
    ColumnInfo,
    ColumnMeta,
    SqlValidationError,
    TableMeta,
    WarehouseAdapter,
    WarehouseError,
)
from graph_olap_server.warehouse.cache import CacheMiss, SchemaCache
from graph_olap_server.warehouse.duck import Warehouse
from graph_olap_server.warehouse.factory import open_warehouse
from graph_olap_server.warehouse.sample import generate_sample_warehouse, sample_is_current

__all__ = [
    "CacheMiss",
    "ColumnInfo",
    "ColumnMeta",
    "SchemaCache",
    "SqlValidationError",
    "TableMeta",
    "Warehouse",
    "WarehouseAdapter",
    "WarehouseError",
    "generate_sample_warehouse",
    "open_warehouse",
    "sample_is_current",
]
