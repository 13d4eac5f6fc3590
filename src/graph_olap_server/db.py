"""The metadata database: tables, engine and sessions (SQLite file by default, any
SQLAlchemy URL such as PostgreSQL otherwise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from graph_olap_server.migrations import upgrade_to_head

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "BulkDeleteJob",
    "ConfigEntry",
    "Database",
    "ExportJob",
    "Favorite",
    "IdempotencyRecord",
    "Instance",
    "JobState",
    "Mapping",
    "MappingVersion",
    "Snapshot",
    "take_write_lock",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class _Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Mapping(_Timestamps, Base):
    __tablename__ = "mappings"
    # ids are never reused: favorites, audit rows and users' code name mappings by id
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    owner_username: Mapped[str] = mapped_column(String(255), index=True)
    current_version: Mapped[int] = mapped_column(default=1)
    ttl: Mapped[str | None] = mapped_column(String(64))
    inactivity_timeout: Mapped[str | None] = mapped_column(String(64))


class MappingVersion(Base):
    __tablename__ = "mapping_versions"
    __table_args__ = (UniqueConstraint("mapping_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("mappings.id", ondelete="CASCADE"))
    version: Mapped[int]
    node_definitions: Mapped[list[Any]]
    edge_definitions: Mapped[list[Any]]
    change_description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Snapshot(_Timestamps, Base):
    __tablename__ = "snapshots"
    # ids are never reused: a deleted snapshot's id names its (removed) folder and audit rows
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    mapping_id: Mapped[int] = mapped_column(ForeignKey("mappings.id"), index=True)
    mapping_version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    owner_username: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32), default="pending", index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None]
    node_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    edge_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ttl: Mapped[str | None] = mapped_column(String(64))
    inactivity_timeout: Mapped[str | None] = mapped_column(String(64))


class Instance(_Timestamps, Base):
    __tablename__ = "instances"
    # ids are never reused: the runtime and wrappers know instances by id
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"), index=True)
    mapping_id: Mapped[int | None] = mapped_column(ForeignKey("mappings.id"), index=True)
    mapping_version: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    owner_username: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    instance_url: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    port: Mapped[int | None]
    # shared secret of the control plane and this instance's wrapper (internal calls)
    wrapper_token: Mapped[str | None] = mapped_column(String(128))
    cpu_cores: Mapped[int] = mapped_column(default=1)
    error_message: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ttl: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime | None]
    inactivity_timeout: Mapped[str | None] = mapped_column(String(64))
    last_activity_at: Mapped[dt.datetime | None]


class ExportJob(_Timestamps, Base):
    __tablename__ = "export_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))  # node | edge
    entity_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    row_count: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)


class Favorite(Base):
    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("username", "resource_type", "resource_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(255), index=True)
    resource_type: Mapped[str] = mapped_column(String(16))
    resource_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConfigEntry(Base):
    __tablename__ = "config_entries"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(255))


class JobState(Base):
    __tablename__ = "job_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    last_failure_at: Mapped[dt.datetime | None]
    last_triggered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    run_count: Mapped[int] = mapped_column(default=0)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[dt.datetime | None]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    scope_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str | None] = mapped_column(String(16))
    resource_id: Mapped[int | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BulkDeleteJob(_Timestamps, Base):
    """An admin bulk delete, recorded as a job: its request, progress and result."""

    __tablename__ = "bulk_delete_jobs"
    # ids are never reused: a job id ("bulk_delete-5") a user kept must not name another
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_username: Mapped[str] = mapped_column(String(255), index=True)
    resource_type: Mapped[str] = mapped_column(String(16))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    matched_ids: Mapped[list[Any]] = mapped_column(default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    finished_at: Mapped[dt.datetime | None]


class Database:
    """Engine and session factory over a database upgraded to this platform's schema.

    Opening it runs the migrations (:func:`graph_olap_server.migrations.upgrade_to_head`):
    a new database gets its tables, an older one is upgraded, and one a newer platform
    upgraded is refused with :class:`graph_olap_server.migrations.MigrationError`.

    Example:
        >>> database = Database("sqlite:////tmp/go/metadata.db")
        >>> with database.transaction() as session:
        ...     session.add(Favorite(username="alice", resource_type="mapping", resource_id=1))
    """

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.url = url
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            upgrade_to_head(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._factory() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def take_write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now (``BEGIN IMMEDIATE``, waiting up to
    the busy timeout) unless a transaction is open. A transaction that reads before it
    writes (a savepoint starts one) fails at its first write with "database is locked"
    when another connection committed meanwhile: WAL cannot upgrade a stale read, and
    SQLite does not wait in that case. A no-op on other databases (row locks).

    Example:
        >>> take_write_lock(session)      # then read and write in one transaction
        >>> with session.begin_nested():
        ...     session.delete(row)
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
