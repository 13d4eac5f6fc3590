"""Routes: warehouse metadata, served from the schema cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Query

from graph_olap_server.api.deps import AdminUser, CurrentUser, PlatformDep
from graph_olap_server.api.schemas.common import Envelope, Out
from graph_olap_server.api.schemas.schema import (
    CacheStatsOut,
    CatalogOut,
    ColumnOut,
    RefreshOut,
    SchemaOut,
    TableOut,
)
from graph_olap_server.errors import APIError
from graph_olap_server.warehouse.cache import CacheMiss

router = APIRouter(tags=["schema"], prefix="/schema")
T = TypeVar("T")
M = TypeVar("M", bound=Out)


def _many(model: type[M], rows: list[dict[str, Any]]) -> Envelope[list[M]]:
    return Envelope(data=[model.model_validate(row) for row in rows])


def _cached(read: Callable[[], T]) -> T:
    try:
        return read()
    except CacheMiss as miss:
        raise APIError(404, "NOT_FOUND", str(miss.args[0] if miss.args else miss)) from miss


@router.get("/catalogs", summary="List catalogs")
def list_catalogs(platform: PlatformDep, _user: CurrentUser) -> Envelope[list[CatalogOut]]:
    return _many(CatalogOut, platform.schema_cache.catalogs())


@router.get("/catalogs/{catalog}/schemas", summary="List the schemas of a catalog")
def list_schemas(
    catalog: str, platform: PlatformDep, _user: CurrentUser
) -> Envelope[list[SchemaOut]]:
    return _many(SchemaOut, _cached(lambda: platform.schema_cache.schemas(catalog)))


@router.get("/catalogs/{catalog}/schemas/{schema}/tables", summary="List the tables of a schema")
def list_tables(
    catalog: str, schema: str, platform: PlatformDep, _user: CurrentUser
) -> Envelope[list[TableOut]]:
    return _many(TableOut, _cached(lambda: platform.schema_cache.tables(catalog, schema)))


@router.get(
    "/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns",
    summary="List the columns of a table",
)
def list_columns(
    catalog: str, schema: str, table: str, platform: PlatformDep, _user: CurrentUser
) -> Envelope[list[ColumnOut]]:
    columns = _cached(lambda: platform.schema_cache.columns(catalog, schema, table))
    return _many(ColumnOut, columns)


@router.get("/search/tables", summary="Search tables by name prefix")
def search_tables(
    platform: PlatformDep,
    _user: CurrentUser,
    q: str = Query(min_length=1, max_length=255),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Envelope[list[TableOut]]:
    return _many(TableOut, platform.schema_cache.search_tables(q, limit))


@router.get("/search/columns", summary="Search columns by name prefix")
def search_columns(
    platform: PlatformDep,
    _user: CurrentUser,
    q: str = Query(min_length=1, max_length=255),
    limit: int = Query(default=100, ge=1, le=1000),
) -> Envelope[list[ColumnOut]]:
    return _many(ColumnOut, platform.schema_cache.search_columns(q, limit))


@router.post("/admin/refresh", summary="Refresh the schema cache now (admin)")
def admin_refresh(platform: PlatformDep, _user: AdminUser) -> Envelope[RefreshOut]:
    return Envelope(data=RefreshOut.model_validate(platform.schema_cache.refresh()))


@router.get("/stats", summary="Schema cache statistics (admin)")
def stats(platform: PlatformDep, _user: AdminUser) -> Envelope[CacheStatsOut]:
    return Envelope(data=CacheStatsOut.model_validate(platform.schema_cache.stats()))
