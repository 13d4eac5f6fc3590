"""Wire shapes of the warehouse metadata served from the schema cache."""

from __future__ import annotations

from graph_olap_server.api.schemas.common import Out

__all__ = ["CacheStatsOut", "CatalogOut", "ColumnOut", "RefreshOut", "SchemaOut", "TableOut"]


class CatalogOut(Out):
    catalog_name: str
    schema_count: int


class SchemaOut(Out):
    catalog_name: str
    schema_name: str
    table_count: int


class TableOut(Out):
    catalog_name: str
    schema_name: str
    table_name: str
    table_type: str
    column_count: int


class ColumnOut(Out):
    catalog_name: str
    schema_name: str
    table_name: str
    column_name: str
    data_type: str
    ordinal_position: int
    is_nullable: bool


class CacheStatsOut(Out):
    """Size and age of the schema cache; ``last_refresh`` is ISO 8601 with ``+00:00``."""

    total_catalogs: int
    total_schemas: int
    total_tables: int
    total_columns: int
    last_refresh: str | None
    cache_age_seconds: int | float | None
    refresh_count: int


class RefreshOut(Out):
    """What a refresh of the schema cache read, and how long it took."""

    status: str
    catalogs: int
    schemas: int
    tables: int
    columns: int
    duration_ms: int | float
