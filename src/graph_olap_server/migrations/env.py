"""Alembic's entry point for the metadata database's migrations.

Alembic runs this file; nothing imports it. It always migrates through the connection that
:mod:`graph_olap_server.migrations.upgrade` passes in ``config.attributes["connection"]``,
inside that connection's transaction (no ``alembic.ini``, no offline SQL scripts).
Autogenerate compares against ``config.attributes["target_metadata"]`` when given.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Connection


def run_migrations(config: Config) -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "the graph-olap migrations run only through a live connection: "
            "use `graph-olap db upgrade` (offline SQL scripts are not supported)"
        )
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("target_metadata"),
        render_as_batch=True,  # SQLite alters a table by copying it: batch mode does that
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Write a column of our own type (``UTCDateTime``) as the type it stores, so a
    revision never imports the models."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{type(obj.impl).__name__}()"
    return False


if getattr(context, "_proxy", None) is not None:  # run by Alembic, not imported
    run_migrations(context.config)
