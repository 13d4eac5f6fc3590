"""Warehouse metadata: catalogs, schemas, tables and columns (served from a cache)."""

from __future__ import annotations

from datetime import datetime

from graph_olap.models.common import APIModel

__all__ = ["CacheStats", "Catalog", "Column", "Schema", "Table"]


class Catalog(APIModel):
    catalog_name: str
    schema_count: int = 0


class Schema(APIModel):
    catalog_name: str
    schema_name: str
    table_count: int = 0


class Table(APIModel):
    catalog_name: str
    schema_name: str
    table_name: str
    table_type: str = "BASE TABLE"
    column_count: int = 0

    @property
    def qualified_name(self) -> str:
        """``catalog.schema.table``, ready to paste into mapping SQL."""
        return f"{self.catalog_name}.{self.schema_name}.{self.table_name}"


class Column(APIModel):
    catalog_name: str
    schema_name: str
    table_name: str
    column_name: str
    data_type: str
    ordinal_position: int = 0
    is_nullable: bool = True


class CacheStats(APIModel):
    total_catalogs: int
    total_schemas: int
    total_tables: int
    total_columns: int
    last_refresh: datetime | None = None
    cache_age_seconds: float | None = None
    refresh_count: int = 0
