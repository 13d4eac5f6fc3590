"""Bring the metadata database to the schema this platform knows, or refuse clearly.

:func:`upgrade_to_head` runs the Alembic migrations of this package in **one transaction**
that also serializes concurrent starts: ``BEGIN IMMEDIATE`` on SQLite (the second start waits
for the first, then finds nothing to do), an advisory transaction lock on PostgreSQL. A
failed upgrade rolls back whole, so the database is as it was. A database made by
``create_all`` before migrations existed (no ``alembic_version`` table) is adopted by the
baseline revision, rows intact. A database at a revision this platform does not know (a
newer platform upgraded it) is refused, never touched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "MigrationError",
    "Revisions",
    "alembic_config",
    "head_revision",
    "read_revisions",
    "upgrade_to_head",
]

SCRIPT_LOCATION = Path(__file__).resolve().parent
# pg_advisory_xact_lock key shared by every graph-olap process migrating one database
_PG_LOCK_KEY = 0x676F6C6170  # "golap"
# seconds a second SQLite start waits for the first one's migration to finish
_SQLITE_LOCK_TIMEOUT = 600.0


class MigrationError(RuntimeError):
    """The metadata database cannot be brought to this platform's schema."""


@dataclasses.dataclass(frozen=True)
class Revisions:
    """Where a database stands: its revision (``None``: not managed by migrations yet)
    and this platform's newest one."""

    current: str | None
    head: str
    known: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        """One line for people.

        Example:
            >>> Revisions(current="0001_baseline", head="0001_baseline", known=True).describe()
            'revision 0001_baseline (up to date)'
        """
        if self.current is None:
            return f"no revision yet (an upgrade creates or adopts the tables; head {self.head})"
        if not self.known:
            return f"revision {self.current}, unknown to this platform (its head is {self.head})"
        if self.up_to_date:
            return f"revision {self.current} (up to date)"
        return f"revision {self.current} (head is {self.head}: `graph-olap db upgrade` pending)"


def alembic_config(
    connection: Connection | None = None, target_metadata: MetaData | None = None
) -> Config:
    """An Alembic config for this package's migrations, run through ``connection``.

    Example:
        >>> with engine.begin() as conn:
        ...     command.upgrade(alembic_config(conn), "head")
    """
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = connection
    config.attributes["target_metadata"] = target_metadata
    return config


def head_revision() -> str:
    """The newest revision this platform knows.

    Example:
        >>> head_revision()
        '0001_baseline'
    """
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its baseline
        raise MigrationError("the graph-olap package holds no migrations: reinstall it")
    return head


def read_revisions(connection: Connection) -> Revisions:
    """Where the database behind ``connection`` stands (reads, changes nothing).

    Example:
        >>> with engine.connect() as conn:
        ...     print(read_revisions(conn).describe())
        revision 0001_baseline (up to date)
    """
    script = ScriptDirectory.from_config(alembic_config())
    current = MigrationContext.configure(connection).get_current_revision()
    known = current is None or current in {s.revision for s in script.walk_revisions()}
    return Revisions(current=current, head=head_revision(), known=known)


def upgrade_to_head(engine: Engine) -> Revisions:
    """Upgrade the database of ``engine`` to :func:`head_revision` (creating the tables of
    a new one); answer where it stood before.

    Raises:
        MigrationError: the database is at a revision this platform does not know, or an
            upgrade step failed (then nothing was changed); the message says what to run.

    Example:
        >>> upgrade_to_head(create_engine("sqlite:////tmp/go/metadata.db")).describe()
        'no revision yet (an upgrade creates or adopts the tables; head 0001_baseline)'
    """
    with _migration_connection(engine) as connection:
        before = read_revisions(connection)
        if not before.known:
            raise MigrationError(_unknown_message(engine, before))
        if before.up_to_date:
            return before
        try:
            command.upgrade(alembic_config(connection), "head")
        except Exception as err:
            raise MigrationError(_failed_message(engine, before, err)) from err
    return before


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction that holds the migration lock, committed on exit."""
    url = engine.url
    own: Engine | None = None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        # pysqlite would commit before every DDL statement: take the transactions over
        # (BEGIN IMMEDIATE also makes a concurrent start wait), and no foreign_keys pragma,
        # so that batch mode's table copies cascade nothing
        own = create_engine(url, connect_args={"timeout": _SQLITE_LOCK_TIMEOUT})
        event.listen(own, "connect", _sqlite_manual_transactions)
        event.listen(own, "begin", _sqlite_begin_immediate)
    try:
        with (own or engine).begin() as connection:
            if url.get_backend_name() == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": _PG_LOCK_KEY})
            yield connection
    finally:
        if own is not None:
            own.dispose()


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _command(engine: Engine, verb: str) -> str:
    where = _where(engine)
    hint = " (with the password in place of ***)" if "***" in where else ""
    return f"graph-olap db {verb} --database-url '{where}'{hint}"


def _unknown_message(engine: Engine, found: Revisions) -> str:
    return (
        f"The metadata database {_where(engine)} is at schema revision {found.current!r}, "
        f"which this graph-olap does not know (its newest is {found.head!r}): a newer "
        "graph-olap upgraded it. Run that newer version (pip install -U graph-olap), or "
        "point this one at another data folder or database; nothing was changed. "
        f"See where it stands with: {_command(engine, 'current')}"
    )


def _failed_message(engine: Engine, found: Revisions, err: Exception) -> str:
    return (
        f"Upgrading the metadata database {_where(engine)} from "
        f"{found.current or 'its first schema'} to revision {found.head!r} failed, so "
        f"nothing was changed: {type(err).__name__}: {err}. Fix the cause, then upgrade "
        f"it with: {_command(engine, 'upgrade')}"
    )
