"""Migrations of the metadata database (``graph_olap_server.migrations``), on SQLite and on
PostgreSQL (a real server from the pgserver package).

A database made before migrations existed is built from ``LEGACY``: a frozen copy of the
tables ``db.py`` declared then, created with ``create_all`` as the platform did. It must not
follow ``db.py``: it is what users' data folders and PostgreSQL databases hold.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from tests.e2e.defs import ACCOUNT, CUSTOMER, OWNS

from graph_olap import GraphOLAPClient
from graph_olap_server.cli import main as cli
from graph_olap_server.db import Base, Database
from graph_olap_server.identity import hash_api_key
from graph_olap_server.migrations import MigrationError, head_revision, upgrade_to_head
from graph_olap_server.runner import ServerThread, free_port
from graph_olap_server.settings import Settings

# -- the schema before migrations (frozen: never edit it to follow db.py) -----------------

LEGACY = MetaData()


def _legacy_table(name: str, *columns: Any, **kw: Any) -> Table:
    return Table(name, LEGACY, *columns, **kw)


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _stamps() -> list[Column[dt.datetime]]:
    return [
        Column("created_at", DateTime, nullable=False, index=True),
        Column("updated_at", DateTime, nullable=False),
    ]


S64, S255 = String(64), String(255)
_legacy_table(
    "mappings",
    _pk(),
    Column("name", S255, nullable=False, index=True),
    Column("description", Text),
    Column("owner_username", S255, nullable=False, index=True),
    Column("current_version", Integer, nullable=False),
    Column("ttl", S64),
    Column("inactivity_timeout", S64),
    *_stamps(),
    sqlite_autoincrement=True,
)
_legacy_table(
    "mapping_versions",
    _pk(),
    Column("mapping_id", ForeignKey("mappings.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("node_definitions", JSON, nullable=False),
    Column("edge_definitions", JSON, nullable=False),
    Column("change_description", Text),
    Column("created_by", S255, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("mapping_id", "version"),
)
_legacy_table(
    "snapshots",
    _pk(),
    Column("mapping_id", ForeignKey("mappings.id"), nullable=False, index=True),
    Column("mapping_version", Integer, nullable=False),
    Column("name", S255, nullable=False),
    Column("description", Text),
    Column("owner_username", S255, nullable=False, index=True),
    Column("status", String(32), nullable=False, index=True),
    Column("error_message", Text),
    Column("path", Text),
    Column("size_bytes", Integer),
    Column("node_counts", JSON, nullable=False),
    Column("edge_counts", JSON, nullable=False),
    Column("progress", JSON, nullable=False),
    Column("ttl", S64),
    Column("inactivity_timeout", S64),
    *_stamps(),
    sqlite_autoincrement=True,
)
_legacy_table(
    "instances",
    _pk(),
    Column("snapshot_id", ForeignKey("snapshots.id"), index=True),
    Column("mapping_id", ForeignKey("mappings.id"), index=True),
    Column("mapping_version", Integer),
    Column("name", S255, nullable=False),
    Column("description", Text),
    Column("owner_username", S255, nullable=False, index=True),
    Column("status", String(32), nullable=False, index=True),
    Column("instance_url", S255),
    Column("pid", Integer),
    Column("port", Integer),
    Column("wrapper_token", String(128)),
    Column("cpu_cores", Integer, nullable=False),
    Column("error_message", Text),
    Column("progress", JSON, nullable=False),
    Column("ttl", S64),
    Column("expires_at", DateTime),
    Column("inactivity_timeout", S64),
    Column("last_activity_at", DateTime),
    *_stamps(),
    sqlite_autoincrement=True,
)
_legacy_table(
    "export_jobs",
    _pk(),
    Column("snapshot_id", ForeignKey("snapshots.id"), nullable=False, index=True),
    Column("entity_type", String(16), nullable=False),
    Column("entity_name", S255, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("row_count", Integer),
    Column("error_message", Text),
    *_stamps(),
)
_legacy_table(
    "favorites",
    _pk(),
    Column("username", S255, nullable=False, index=True),
    Column("resource_type", String(16), nullable=False),
    Column("resource_id", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("username", "resource_type", "resource_id"),
)
_legacy_table(
    "config_entries",
    Column("key", S64, primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", S255),
)
_legacy_table(
    "job_state",
    Column("name", S64, primary_key=True),
    Column("last_run_at", DateTime),
    Column("last_success_at", DateTime),
    Column("last_failure_at", DateTime),
    Column("last_triggered_at", DateTime),
    Column("last_error", Text),
    Column("last_result", JSON),
    Column("consecutive_failures", Integer, nullable=False),
    Column("run_count", Integer, nullable=False),
)
_legacy_table(
    "api_keys",
    _pk(),
    Column("key_hash", S64, nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("username", S255, nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", S255),
    Column("revoked_at", DateTime),
)
_legacy_table(
    "idempotency_records",
    _pk(),
    Column("scope_hash", S64, nullable=False, unique=True),
    Column("request_hash", S64, nullable=False),
    Column("state", String(16), nullable=False),
    Column("response_status", Integer),
    Column("response_body", LargeBinary),
    Column("content_type", String(128)),
    Column("created_at", DateTime, nullable=False, index=True),
)
_legacy_table(
    "audit_log",
    _pk(),
    Column("at", DateTime, nullable=False),
    Column("username", S255, nullable=False),
    Column("action", S64, nullable=False),
    Column("resource_type", String(16)),
    Column("resource_id", Integer),
    Column("details", JSON),
)

# -- rows in every table, as the platform wrote them ------------------------------------

API_KEY = "gok_" + "k" * 43
T0 = dt.datetime(2026, 11, 30, 9, 15, 0, 123456)
T1 = T0 + dt.timedelta(hours=1)


def legacy_rows() -> dict[str, list[dict[str, Any]]]:
    """At least one row per table (two where order matters), with every kind of value."""
    mapping = {
        "owner_username": "alice",
        "current_version": 2,
        "ttl": "P7D",
        "inactivity_timeout": "PT4H",
        "created_at": T0,
        "updated_at": T1,
    }
    return {
        "mappings": [
            {"id": 1, "name": "bank", "description": "customers and accounts", **mapping},
            {"id": 2, "name": "empty", "description": None, **mapping, "current_version": 1},
        ],
        "mapping_versions": [
            {
                "id": 1,
                "mapping_id": 1,
                "version": 1,
                "node_definitions": [CUSTOMER, ACCOUNT],
                "edge_definitions": [OWNS],
                "change_description": "first",
                "created_by": "alice",
                "created_at": T0,
            },
            {
                "id": 2,
                "mapping_id": 1,
                "version": 2,
                "node_definitions": [ACCOUNT],
                "edge_definitions": [],
                "change_description": "accounts only",
                "created_by": "alice",
                "created_at": T1,
            },
            {
                "id": 3,
                "mapping_id": 2,
                "version": 1,
                "node_definitions": [CUSTOMER],
                "edge_definitions": [],
                "change_description": None,
                "created_by": "alice",
                "created_at": T0,
            },
        ],
        "snapshots": [
            {
                "id": 1,
                "mapping_id": 1,
                "mapping_version": 1,
                "name": "nightly",
                "description": None,
                "owner_username": "alice",
                "status": "failed",
                "error_message": "the warehouse was away",
                "path": None,
                "size_bytes": 1234,
                "node_counts": {"Customer": 100, "Account": 150},
                "edge_counts": {"OWNS": 150},
                "progress": {"steps": [{"name": "Customer", "status": "done"}]},
                "ttl": None,
                "inactivity_timeout": None,
                "created_at": T0,
                "updated_at": T1,
            }
        ],
        "instances": [
            {
                "id": 1,
                "snapshot_id": 1,
                "mapping_id": 1,
                "mapping_version": 1,
                "name": "explore",
                "description": "ended before the upgrade",
                "owner_username": "alice",
                "status": "terminated",
                "instance_url": None,
                "pid": None,
                "port": None,
                "wrapper_token": None,
                "cpu_cores": 2,
                "error_message": None,
                "progress": {},
                "ttl": "PT8H",
                "expires_at": T1,
                "inactivity_timeout": None,
                "last_activity_at": T0,
                "created_at": T0,
                "updated_at": T1,
            }
        ],
        "export_jobs": [
            {
                "id": 1,
                "snapshot_id": 1,
                "entity_type": "node",
                "entity_name": "Customer",
                "status": "failed",
                "attempts": 3,
                "row_count": None,
                "error_message": "the warehouse was away",
                "created_at": T0,
                "updated_at": T1,
            }
        ],
        "favorites": [
            {
                "id": 1,
                "username": "alice",
                "resource_type": "mapping",
                "resource_id": 1,
                "created_at": T0,
            }
        ],
        "config_entries": [
            {
                "key": "concurrency",
                "value": {"per_analyst": 3, "cluster_total": 17},
                "updated_at": T0,
                "updated_by": "ops",
            }
        ],
        "job_state": [
            {
                "name": "reconciliation",
                "last_run_at": T0,
                "last_success_at": T0,
                "last_failure_at": None,
                "last_triggered_at": None,
                "last_error": None,
                "last_result": {"checked": 1},
                "consecutive_failures": 0,
                "run_count": 41,
            }
        ],
        "api_keys": [
            {
                "id": 1,
                "key_hash": hash_api_key(API_KEY),
                "key_prefix": API_KEY[:8],
                "username": "dana",
                "role": "ops",
                "created_at": T0,
                "created_by": "cli",
                "revoked_at": None,
            }
        ],
        "idempotency_records": [
            {
                "id": 1,
                "scope_hash": "a" * 64,
                "request_hash": "b" * 64,
                "state": "done",
                "response_status": 201,
                "response_body": b'{"data": {"id": 1}}\x00\xff',
                "content_type": "application/json",
                "created_at": T1,
            }
        ],
        "audit_log": [
            {
                "id": 1,
                "at": T0,
                "username": "alice",
                "action": "mapping.create",
                "resource_type": "mapping",
                "resource_id": 1,
                "details": {"name": "bank", "nested": [1, None, "é"]},
            }
        ],
    }


def make_legacy_database(url: str, *, drop: tuple[str, str] | None = None) -> None:
    """Create the pre-migration schema with ``create_all`` and fill every table.
    ``drop=(table, column)`` then removes a column (a database graph-olap did not make)."""
    engine = create_engine(url)
    try:
        LEGACY.create_all(engine)
        with engine.begin() as conn:
            for name, rows in legacy_rows().items():
                conn.execute(LEGACY.tables[name].insert(), rows)
            if engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
                for table in LEGACY.sorted_tables:
                    if "id" in table.c:
                        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                        conn.execute(
                            text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table.name}))")
                        )
            if drop is not None:
                conn.execute(text(f"ALTER TABLE {drop[0]} DROP COLUMN {drop[1]}"))
    finally:
        engine.dispose()


def read_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the legacy tables, by primary key."""
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in LEGACY.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [dict(row._mapping) for row in rows]
    return found


def stored_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending_changes(engine: Engine) -> list[Any]:
    """What autogenerate would write: the difference of the models and the database."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


# -- databases --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[Callable[[], str]]:
    """A factory of new, empty PostgreSQL databases on one pgserver."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

            server = pgserver.get_server(Path(folder), cleanup_mode="stop")
        socket_dir = server.get_uri().split("host=")[1]

        def new_database() -> str:
            name = f"go_{uuid.uuid4().hex[:10]}"
            server.psql(f"CREATE DATABASE {name};")
            return f"postgresql+psycopg://postgres:@/{name}?host={socket_dir}"

        yield new_database
        server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of new, empty databases of the parametrised kind."""
    if request.param == "sqlite":
        counter = iter(range(1000))
        yield lambda: f"sqlite:///{tmp_path / f'metadata-{next(counter)}.db'}"
    else:
        yield request.getfixturevalue("postgres")


@contextmanager
def engine_of(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


# -- tests ------------------------------------------------------------------------------


def test_a_database_from_before_migrations_is_upgraded_with_every_row_intact(
    new_url: Callable[[], str], tmp_path: Path
) -> None:
    url = new_url()
    make_legacy_database(url)
    with engine_of(url) as engine:
        assert stored_revision(engine) is None
        Database(url).dispose()  # what every start does
        assert stored_revision(engine) == head_revision()
        assert read_rows(engine) == legacy_rows()
        assert pending_changes(engine) == []

    settings = Settings(data_dir=tmp_path / "data", database_url=url, run_scheduler=False)
    with ServerThread(settings) as server:
        with GraphOLAPClient(server.url, username="alice") as alice:
            bank = alice.mappings.get(1)
            assert (bank.name, bank.current_version, bank.owner_username) == ("bank", 2, "alice")
            assert bank.created_at == T0.replace(tzinfo=dt.timezone.utc)
            v1 = alice.mappings.get_version(1, 1)
            assert [n.label for n in v1.node_definitions] == ["Customer", "Account"]
            assert alice.mappings.diff_versions(1, 1, 2).summary.nodes_removed == 1
            assert [f.resource_id for f in alice.favorites.list()] == [1]
            snapshot = alice.snapshots.get(1)
            assert (snapshot.status, snapshot.error_message) == (
                "failed",
                "the warehouse was away",
            )
            assert alice.instances.get(1).status == "terminated"
            made = alice.mappings.create("after", "the upgrade", [CUSTOMER], [])
            assert made.id == 3  # ids go on after the old rows
        with GraphOLAPClient(server.url, api_key=API_KEY) as dana:  # the stored key works
            assert dana.ops.get_concurrency_config().per_analyst == 3
            jobs = {job.name: job for job in dana.ops.get_job_status().jobs}
            assert jobs["reconciliation"].run_count == 41
            assert [j.entity_name for j in dana.ops.get_export_jobs(status="failed")] == [
                "Customer"
            ]


def test_a_new_database_is_created_by_the_migrations_as_the_models_say(
    new_url: Callable[[], str],
) -> None:
    """The autogenerate check: a column added to db.py without a migration fails here."""
    url = new_url()
    Database(url).dispose()
    with engine_of(url) as engine:
        assert stored_revision(engine) == head_revision()
        assert pending_changes(engine) == []
        assert set(inspect(engine).get_table_names()) == {*Base.metadata.tables, "alembic_version"}


def test_concurrent_starts_upgrade_once(new_url: Callable[[], str]) -> None:
    """Two starts at once on a database from before migrations: one upgrades, the other
    waits for it and finds nothing to do; neither fails, no row is lost."""
    url = new_url()
    make_legacy_database(url)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start() -> None:
        engine = create_engine(url)
        try:
            barrier.wait()
            outcomes.append(upgrade_to_head(engine).current)
        except Exception as err:  # the test reports it below
            outcomes.append(err)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(map(str, outcomes)) == sorted(["None", head_revision()])
    with engine_of(url) as engine:
        assert stored_revision(engine) == head_revision()
        assert read_rows(engine) == legacy_rows()


def test_an_unknown_revision_is_refused_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    Database(url).dispose()
    with sqlite3.connect(tmp_path / "metadata.db") as con:
        con.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    with pytest.raises(MigrationError) as refused:
        Database(url)
    message = str(refused.value)
    assert "'0999_from_the_future'" in message
    assert f"its newest is '{head_revision()}'" in message
    assert "a newer graph-olap upgraded it" in message
    assert f"graph-olap db current --database-url '{url}'" in message

    assert cli(["db", "upgrade", "--database-url", url]) == 1
    assert "0999_from_the_future" in capsys.readouterr().err
    assert cli(["db", "current", "--database-url", url]) == 1
    assert "unknown to this platform" in capsys.readouterr().out

    server = subprocess.run(  # the platform refuses to start, saying why
        [
            sys.executable,
            "-m",
            "graph_olap_server.cli",
            "server",
            "--database-url",
            url,
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert server.returncode != 0
    assert "0999_from_the_future" in server.stderr
    assert "graph-olap db current" in server.stderr
    with sqlite3.connect(tmp_path / "metadata.db") as con:  # untouched
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0999_from_the_future",)
        ]


def test_a_failed_upgrade_changes_nothing(new_url: Callable[[], str]) -> None:
    """A database the baseline cannot adopt (a column missing): refused, rolled back whole."""
    url = new_url()
    make_legacy_database(url, drop=("audit_log", "details"))
    with engine_of(url) as engine:
        tables_before = set(inspect(engine).get_table_names())
        with pytest.raises(MigrationError) as failed:
            upgrade_to_head(engine)
        message = str(failed.value)
        assert "'audit_log' lacks the column(s) ['details']" in message
        assert "nothing was changed" in message
        assert "graph-olap db upgrade --database-url" in message
        assert set(inspect(engine).get_table_names()) == tables_before
        assert stored_revision(engine) is None


def test_the_db_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert cli(["db", "current", "--data-dir", data]) == 0
    assert "no metadata database" in capsys.readouterr().out
    assert not (tmp_path / "data" / "metadata.db").exists()  # looking creates nothing

    make_legacy_database(f"sqlite:///{tmp_path / 'old.db'}")
    old = f"sqlite:///{tmp_path / 'old.db'}"
    assert cli(["db", "current", "--database-url", old]) == 0
    assert "no revision yet" in capsys.readouterr().out
    assert cli(["db", "upgrade", "--database-url", old]) == 0
    assert f"from no revision to revision {head_revision()}" in capsys.readouterr().out
    assert cli(["db", "upgrade", "--database-url", old]) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli(["db", "current", "--database-url", old]) == 0
    assert f"revision {head_revision()} (up to date)" in capsys.readouterr().out
