"""``graph-olap``: run the local platform (in the foreground, or in the background with
``start`` / ``stop``), manage API keys, upgrade the metadata database (``db``)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from graph_olap_server.settings import Settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    from graph_olap_server.settings import Settings

    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = Path(args.data_dir).expanduser()
    if args.database_url:
        overrides["database_url"] = args.database_url
    if getattr(args, "warehouse", None):
        overrides["warehouse_sources"] = tuple(Path(p).expanduser() for p in args.warehouse)
    if getattr(args, "no_sample", False):
        overrides["sample_warehouse"] = False
    if getattr(args, "insecure_dev_mode", False):
        overrides["insecure_dev_mode"] = True
    try:
        return Settings.from_env(None, **overrides)
    except ValueError as err:  # a setting from the environment that cannot be used
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from err


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from graph_olap_server.app import create_app
    from graph_olap_server.db import Database
    from graph_olap_server.migrations import MigrationError
    from graph_olap_server.runner import with_own_url

    settings = with_own_url(_settings(args), args.host, args.port)
    if _refused(settings, args):
        return 2
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:  # upgrade (or refuse) before serving, so a refusal is one clear line
        Database(settings.database_url).dispose()
    except MigrationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Graph OLAP local platform on http://{args.host}:{args.port}")
    print(f"  data folder: {settings.data_dir}")
    print(f"  API docs:    http://{args.host}:{args.port}/docs")
    print("  connect:     GraphOLAPClient()  (you are your OS login name; username=... to change)")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _refused(settings: Settings, args: argparse.Namespace) -> bool:
    """Refuse (one ``error:`` line) development mode on a non-loopback host."""
    from graph_olap_server.exposure import dev_mode_refusal

    problem = dev_mode_refusal(settings, args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
    return problem is not None


def _stop_command(args: argparse.Namespace) -> str:
    """The exact command that stops what ``start`` started (the script's full path when
    it is not on PATH, e.g. in a virtualenv that is not activated)."""
    script = Path(sys.executable).with_name("graph-olap")
    found = shutil.which("graph-olap")
    name = "graph-olap" if found and Path(found) == script else str(script)
    if not script.exists() and not found:
        name = f"{sys.executable} -m graph_olap_server.cli"
    return f"{name} stop" + (f" --data-dir {args.data_dir}" if args.data_dir else "")


def _start(args: argparse.Namespace) -> int:
    from graph_olap_server.background import start_background

    settings = _settings(args)
    if _refused(settings, args):
        return 2
    server_args: list[str] = []
    if args.data_dir:
        server_args += ["--data-dir", str(settings.data_dir)]
    for path in args.warehouse or ():
        server_args += ["--warehouse", path]
    if args.no_sample:
        server_args.append("--no-sample")
    if args.insecure_dev_mode:
        server_args.append("--insecure-dev-mode")
    if args.database_url:  # through the environment: a URL may hold a password
        os.environ["GRAPH_OLAP_DATABASE_URL"] = args.database_url
    try:
        running = start_background(
            host=args.host,
            port=args.port,
            data_dir=settings.data_dir,
            server_args=server_args,
            stop_command=_stop_command(args),
            timeout=args.timeout,
        )
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(running.as_json() if args.json else running.line())
    return 0


def _stop(args: argparse.Namespace) -> int:
    from graph_olap_server.background import stop_background

    try:
        print(stop_background(_settings(args).data_dir, timeout=args.timeout))
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _create_key(args: argparse.Namespace) -> int:
    from graph_olap_server.apikeys import create_api_key
    from graph_olap_server.db import Database

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}", args.username):
        print("error: the username may hold 1-128 letters, digits and . _ @ + -", file=sys.stderr)
        return 2
    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            row, key = create_api_key(
                session, username=args.username, role=args.role, created_by="cli"
            )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        database.dispose()
    print(f"API key {row.id} for {args.username} ({args.role}); it is shown only once:")
    print(key)
    return 0


def _db_url(args: argparse.Namespace) -> URL:
    """The metadata database's URL from the options and environment, as the server reads it."""
    from sqlalchemy import make_url

    return make_url(_settings(args).database_url)


def _sqlite_file(url: URL) -> Path | None:
    is_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    return Path(url.database) if is_file and url.database else None


def _db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from graph_olap_server.migrations import MigrationError, head_revision, upgrade_to_head

    url = _db_url(args)
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    try:
        before = upgrade_to_head(engine)
    except MigrationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before.up_to_date:
        print(f"the metadata database is up to date (revision {before.current})")
    else:
        print(
            f"upgraded the metadata database from {before.current or 'no revision'} "
            f"to revision {head_revision()}"
        )
    return 0


def _db_current(args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from graph_olap_server.migrations import read_revisions

    url = _db_url(args)
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        print(f"no metadata database at {path} yet: the first start creates it")
        return 0
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = read_revisions(connection)
    finally:
        engine.dispose()
    print(f"metadata database: {found.describe()}")
    return 0 if found.known else 1


def _db_revision(args: argparse.Namespace) -> int:
    from graph_olap_server.db import Base
    from graph_olap_server.migrations.authoring import new_revision

    path = new_revision(args.message, Base.metadata)
    print(f"wrote {path}: read it, adjust it, and add a test for it")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="graph-olap", description="The Graph OLAP local platform."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="folder for all platform data (GRAPH_OLAP_DATA_DIR)")
        p.add_argument(
            "--database-url", help="SQLAlchemy URL of the metadata DB (GRAPH_OLAP_DATABASE_URL)"
        )

    def listening(p: argparse.ArgumentParser) -> None:
        common(p)
        p.add_argument("--host", default=os.environ.get("GRAPH_OLAP_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("GRAPH_OLAP_PORT", "8000")))
        p.add_argument(
            "--warehouse",
            action="append",
            metavar="PATH",
            help="your own DuckDB file or folder of Parquet/CSV files "
            "(repeatable; GRAPH_OLAP_WAREHOUSE)",
        )
        p.add_argument(
            "--no-sample", action="store_true", help="do not attach the sample warehouse"
        )
        p.add_argument(
            "--insecure-dev-mode",
            action="store_true",
            help="serve development mode (X-Username accepted: anyone reaching the port may "
            "act as admin) on a non-loopback --host too; refused without it "
            "(GRAPH_OLAP_INSECURE_DEV_MODE)",
        )

    serve = sub.add_parser("server", help="run the local platform in the foreground")
    listening(serve)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=_serve)

    start = sub.add_parser(
        "start",
        help="start the local platform in the background (or reuse the running one); "
        "output in <data folder>/server.log",
    )
    listening(start)
    start.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for it to answer"
    )
    start.add_argument("--json", action="store_true", help="print the result as JSON")
    start.set_defaults(func=_start)

    stop = sub.add_parser("stop", help="stop the local platform that start started")
    common(stop)
    stop.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for it")
    stop.set_defaults(func=_stop)

    key = sub.add_parser("create-api-key", help="create an API key (printed once)")
    common(key)
    key.add_argument("--username", required=True)
    key.add_argument("--role", default="analyst", choices=["analyst", "ops", "admin"])
    key.set_defaults(func=_create_key)

    db = sub.add_parser("db", help="the metadata database's schema (migrations)")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_sub.add_parser(
        "upgrade", help="upgrade the metadata database to this version's schema"
    )
    common(db_upgrade)
    db_upgrade.set_defaults(func=_db_upgrade)
    db_current = db_sub.add_parser("current", help="show the metadata database's revision")
    common(db_current)
    db_current.set_defaults(func=_db_current)
    db_revision = db_sub.add_parser(
        "revision", help="(contributors) write a migration for what the models changed"
    )
    db_revision.add_argument("-m", "--message", required=True, help="what the change does")
    db_revision.set_defaults(func=_db_revision)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
