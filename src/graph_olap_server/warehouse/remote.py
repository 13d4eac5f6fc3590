"""What the PostgreSQL and Trino adapters share: naming unknown tables with a hint.

A remote warehouse's own message for a missing table (``relation "bank.custmers" does not
exist``) names neither the catalog nor the closest real table; :func:`missing_tables_message`
does, from the warehouse's table list, as the DuckDB warehouse does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from graph_olap_server.warehouse.base import WarehouseError
from graph_olap_server.warehouse.names import QualifiedName, table_references, unknown_tables

__all__ = ["RemoteWarehouse", "missing_tables_message"]


_W = TypeVar("_W", bound="RemoteWarehouse")


class RemoteWarehouse:
    """What a warehouse reached over the network shares: it keeps no connection open
    between operations, so closing it only makes later calls fail.

    Example:
        >>> with RemoteWarehouse() as wh:
        ...     wh.check_open()
        >>> try:
        ...     wh.check_open()
        ... except WarehouseError as err:
        ...     print(err)
        the warehouse is closed: restart the platform
    """

    _closed = False

    def check_open(self) -> None:
        """Raise WarehouseError once :meth:`close` was called."""
        if self._closed:
            raise WarehouseError("the warehouse is closed: restart the platform")

    def close(self) -> None:
        """Later calls raise WarehouseError; safe to call twice."""
        self._closed = True

    def __enter__(self: _W) -> _W:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _resolved(
    parts: Sequence[str], catalog: str | None, schema: str | None
) -> tuple[str, ...] | None:
    """``parts`` completed with the session's catalog and schema, lowercase; None when
    they do not name a table (too few parts for the session)."""
    defaults = (catalog, schema)[: 3 - len(parts)] if 1 <= len(parts) <= 3 else (None,)
    if any(d is None for d in defaults):
        return None
    return tuple(str(p).lower() for p in (*defaults, *parts))


def missing_tables_message(
    duck_sql: str,
    known: Sequence[QualifiedName],
    catalogs: Sequence[str],
    session: tuple[str | None, str | None] = (None, None),
) -> str | None:
    """The message naming the tables ``duck_sql`` reads that are not ``known`` (with the
    closest real ones), or None when every table it names exists. ``session``: the
    catalog and schema that complete a name of fewer than three parts (None: such a name
    names no table).

    Example:
        >>> missing_tables_message("SELECT * FROM bank.custmers",
        ...                        [("shop", "bank", "customers")], ["shop"])
        'Table bank.custmers not found. Did you mean shop.bank.customers?'
    """
    tables = {tuple(p.lower() for p in name) for name in known}
    missing = [p for p in table_references(duck_sql) if _resolved(p, *session) not in tables]
    return unknown_tables(missing, known, catalogs) if missing else None
