"""``client.schema``: browse and search the warehouse's metadata (served from a cache)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_text
from graph_olap.models.common import ModelList
from graph_olap.models.schema import CacheStats, Catalog, Column, Schema, Table

__all__ = ["SchemaResource"]


def _seg(value: str, name: str) -> str:
    return quote(require_text(value, name), safe="")


class SchemaResource(Resource[M]):
    """Browse catalogs, schemas, tables and columns to write mapping SQL.

    Example:
        >>> [c.catalog_name for c in client.schema.list_catalogs()]
        ['sample']
        >>> [t.table_name for t in client.schema.list_tables("sample", "bank")]
        ['accounts', 'card_payments', 'customers', 'merchants', 'transactions']
        >>> [c.column_name for c in client.schema.search_columns("customer_id")][:2]
        ['customer_id', 'customer_id']
    """

    @api_method
    def list_catalogs(self) -> Op[list[Catalog]]:
        """All catalogs, sorted by name.

        Example:
            >>> client.schema.list_catalogs()[0].schema_count
            1
        """
        body = yield Call("GET", "/api/schema/catalogs")
        return ModelList(Catalog.model_validate(item) for item in body["data"])

    @api_method
    def list_schemas(self, catalog: str) -> Op[list[Schema]]:
        """The schemas of a catalog.

        Raises:
            NotFoundError: The catalog is not in the cache (the message lists those that are).

        Example:
            >>> [s.schema_name for s in client.schema.list_schemas("sample")]
            ['bank']
        """
        body = yield Call("GET", f"/api/schema/catalogs/{_seg(catalog, 'catalog')}/schemas")
        return ModelList(Schema.model_validate(item) for item in body["data"])

    @api_method
    def list_tables(self, catalog: str, schema: str) -> Op[list[Table]]:
        """The tables and views of a schema.

        Example:
            >>> client.schema.list_tables("sample", "bank")[0].qualified_name
            'sample.bank.accounts'
        """
        path = (
            f"/api/schema/catalogs/{_seg(catalog, 'catalog')}"
            f"/schemas/{_seg(schema, 'schema')}/tables"
        )
        body = yield Call("GET", path)
        return ModelList(Table.model_validate(item) for item in body["data"])

    @api_method
    def list_columns(self, catalog: str, schema: str, table: str) -> Op[list[Column]]:
        """The columns of a table, in order.

        Example:
            >>> [(c.column_name, c.data_type)
            ...  for c in client.schema.list_columns("sample", "bank", "customers")][:2]
            [('customer_id', 'BIGINT'), ('name', 'VARCHAR')]
        """
        path = (
            f"/api/schema/catalogs/{_seg(catalog, 'catalog')}/schemas/{_seg(schema, 'schema')}"
            f"/tables/{_seg(table, 'table')}/columns"
        )
        body = yield Call("GET", path)
        return ModelList(Column.model_validate(item) for item in body["data"])

    @api_method
    def search_tables(self, pattern: str, limit: int = 100) -> Op[list[Table]]:
        """Tables whose name starts with ``pattern`` (case-insensitive).

        Args:
            pattern: Name prefix, e.g. ``"cust"``.
            limit: At most this many results (1-1000).

        Example:
            >>> [t.table_name for t in client.schema.search_tables("trans")]
            ['transactions']
        """
        params = {"q": require_text(pattern, "pattern"), "limit": limit}
        body = yield Call("GET", "/api/schema/search/tables", params=params)
        return ModelList(Table.model_validate(item) for item in body["data"])

    @api_method
    def search_columns(self, pattern: str, limit: int = 100) -> Op[list[Column]]:
        """Columns whose name starts with ``pattern`` (case-insensitive).

        Example:
            >>> {c.table_name for c in client.schema.search_columns("account_id")}
            {'accounts', 'card_payments'}
        """
        params = {"q": require_text(pattern, "pattern"), "limit": limit}
        body = yield Call("GET", "/api/schema/search/columns", params=params)
        return ModelList(Column.model_validate(item) for item in body["data"])

    @api_method
    def admin_refresh(self) -> Op[dict[str, Any]]:
        """Refresh the metadata cache from the warehouse now (admin only).

        Returns:
            ``{"status": "completed", "catalogs": ..., "schemas": ..., "tables": ...,
            "columns": ..., "duration_ms": ...}``

        Raises:
            ForbiddenError: You are not an admin.

        Example:
            >>> client.schema.admin_refresh()["status"]
            'completed'
        """
        body = yield Call("POST", "/api/schema/admin/refresh")
        return dict(body["data"])

    @api_method
    def get_stats(self) -> Op[CacheStats]:
        """Counts and age of the metadata cache (admin only).

        Example:
            >>> client.schema.get_stats().total_tables
            5
        """
        body = yield Call("GET", "/api/schema/stats")
        return CacheStats.model_validate(body["data"])
