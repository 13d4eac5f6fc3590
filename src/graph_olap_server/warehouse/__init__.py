"""The warehouse layer of the local platform: read-only DuckDB sources queried in Trino SQL.

* :class:`Warehouse` attaches DuckDB files and folders of Parquet/CSV/JSON files as catalogs,
  validates and transpiles queries, describes their columns and exports them to Parquet;
* :class:`SchemaCache` keeps an in-memory copy of the catalog/schema/table/column tree for
  browsing and search;
* :func:`generate_sample_warehouse` writes the deterministic sample bank database.

This package never imports the SDK (``graph_olap``).
"""

from __future__ import annotations

from graph_olap_server.warehouse.cache import CacheMiss, SchemaCache
from graph_olap_server.warehouse.duck import (
    ColumnInfo,
    ColumnMeta,
    SqlValidationError,
    TableMeta,
    Warehouse,
    WarehouseError,
)
from graph_olap_server.warehouse.sample import generate_sample_warehouse, sample_is_current

__all__ = [
    "CacheMiss",
    "ColumnInfo",
    "ColumnMeta",
    "SchemaCache",
    "SqlValidationError",
    "TableMeta",
    "Warehouse",
    "WarehouseError",
    "generate_sample_warehouse",
    "sample_is_current",
]
