"""Every code example of the SDK's design runs, as written, against the local platform.

The examples (``design_doc.examples()``, plus the testing module's "Usage in Tests" block)
are executed one by one, each in a fresh namespace that holds ``client`` (the design's
``e2e-test-user``, an admin here) and ``GraphOLAPClient``, with ``GRAPH_OLAP_API_URL`` and
``GRAPH_OLAP_USERNAME`` set as the design's configuration table says. Their text is not
changed, except the placeholders a reader replaces too: the example URLs become this
platform's, and the example API keys (``your-api-key``, ``sk-xxx``) a real key.

The platform holds what the examples name: the design's warehouse tables
(``analytics.public.users``, ``customers``, ``customer_links``), mapping 1 with three
versions (version 3 adds a node label, so ``diff_versions(1, 2, 3)`` adds one), snapshots
1 and 123, and a running instance 123. The seeded resources belong to another analyst, so
that the examples can run in any order (the bulk delete example deletes what the design's
user created). What each example prints or leaves behind is then checked against what the
platform holds.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from graph_olap import GraphOLAPClient
from graph_olap.display.interactive import enable_itables, itables_enabled
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .design_doc import Example, examples, usage_in_tests

USER = "e2e-test-user"  # the design's GRAPH_OLAP_USERNAME example
SEED_OWNER = "ana"
CUSTOMERS = 25
USERS = 5
PLACEHOLDER_URLS = ("https://graph.example.com", "https://graph-olap.example.com")
PLACEHOLDER_KEYS = ('"your-api-key"', '"sk-xxx"')

CUSTOMER = {
    "label": "Customer",
    "sql": "SELECT id, name, email, city FROM analytics.public.customers",
    "primary_key": {"name": "id", "type": "INT64"},
    "properties": [
        {"name": "name", "type": "STRING"},
        {"name": "email", "type": "STRING"},
        {"name": "city", "type": "STRING"},
    ],
}
KNOWS = {
    "type": "KNOWS",
    "from_node": "Customer",
    "to_node": "Customer",
    "sql": "SELECT src, dst FROM analytics.public.customer_links",
    "from_key": "src",
    "to_key": "dst",
    "properties": [],
}
USER_NODE = {
    "label": "User",
    "sql": "SELECT id, name, email FROM analytics.public.users",
    "primary_key": {"name": "id", "type": "INT64"},
    "properties": [{"name": "name", "type": "STRING"}, {"name": "email", "type": "STRING"}],
}


def _write_warehouse(path: Path) -> None:
    """The design's warehouse: catalog ``analytics``, schema ``public``."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA public")
        con.execute(
            "CREATE TABLE public.customers AS SELECT i AS id, 'customer ' || i AS name, "
            "'c' || i || '@example.com' AS email, ['Paris', 'Lyon', 'Nice'][1 + i % 3] AS city "
            f"FROM range(1, {CUSTOMERS + 1}) t(i)"
        )
        con.execute(
            "CREATE TABLE public.users AS SELECT i AS id, 'user ' || i AS name, "
            f"'u' || i || '@example.com' AS email FROM range(1, {USERS + 1}) t(i)"
        )
        con.execute(  # a ring: customer i knows customer i + 1
            f"CREATE TABLE public.customer_links AS SELECT i AS src, i % {CUSTOMERS} + 1 AS dst "
            f"FROM range(1, {CUSTOMERS + 1}) t(i)"
        )


def _next_id(settings: Settings, table: str, next_id: int) -> None:
    """Make the platform's next ``table`` id ``next_id`` (ids are never reused: SQLite
    AUTOINCREMENT keeps the last one in ``sqlite_sequence``)."""
    database = settings.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(database)) as con, con:
        updated = con.execute(
            "UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (next_id - 1, table)
        ).rowcount
        if not updated:
            con.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, next_id - 1)
            )


@pytest.fixture(autouse=True)
def _itables_as_before() -> Iterator[None]:
    """``notebook.connect()`` in an example turns interactive tables on for the whole
    process; later tests (the display's) expect them as they were."""
    before = itables_enabled()
    yield
    enable_itables(enabled=before)


@pytest.fixture(scope="module")
def design_platform(
    tmp_path_factory: pytest.TempPathFactory, secret_canary: Any
) -> Iterator[tuple[ServerThread, str]]:
    """A platform holding what the design's examples name; yields it and an admin key."""
    root = tmp_path_factory.mktemp("design")
    _write_warehouse(root / "analytics.duckdb")
    settings = Settings(
        data_dir=root / "data",
        warehouse_sources=(root / "analytics.duckdb",),
        admins=frozenset({"admin", USER}),
        stop_instances_on_exit=True,
    )
    with ServerThread(settings) as server:
        with GraphOLAPClient(server.url, username="admin") as admin:
            key = admin.http.post("/api/admin/api-keys", json={"username": USER, "role": "admin"})[
                "data"
            ]["key"]
            secret_canary.add(key)
            admin.ops.update_concurrency_config(per_analyst=20, cluster_total=40)
        with GraphOLAPClient(server.url, username=SEED_OWNER) as ana:
            mapping = ana.mappings.create("customers", "the design's mapping 1", [CUSTOMER], [])
            ana.mappings.update(mapping.id, "customers know customers", [CUSTOMER], [KNOWS])
            ana.mappings.update(mapping.id, "and users", [CUSTOMER, USER_NODE], [KNOWS])
            assert ana.snapshots.create_and_wait(1, "seed").id == 1
            _next_id(settings, "snapshots", 123)
            assert ana.snapshots.create_and_wait(1, "seed 123").id == 123
            _next_id(settings, "instances", 123)
            assert ana.instances.create_and_wait(123, "seed 123").id == 123
        yield server, key


def _prepare(example: Example, url: str, key: str) -> str:
    source = example.source
    for placeholder in PLACEHOLDER_URLS:
        source = source.replace(placeholder, url)
    for placeholder in PLACEHOLDER_KEYS:
        source = source.replace(placeholder, f'"{key}"')
    return source


def _lines(out: str) -> list[str]:
    return out.strip().splitlines()


def _has(pattern: str) -> Callable[[dict[str, Any], str], None]:
    def check(ns: dict[str, Any], out: str) -> None:
        assert re.search(pattern, out, re.M), f"no line matches {pattern!r} in:\n{out}"

    return check


def _checks(ns: dict[str, Any], out: str, where: str, index: int) -> None:
    """What each example must print or leave behind, from what the platform holds."""
    nodes = CUSTOMERS + USERS
    if where == "GraphOLAPClient":
        assert ns["instance"].snapshot_id == 123 and ns["instance"].status == "starting"
    elif where == "quick_start":
        assert ns["result"].scalar() == nodes
    elif where == "diff_versions":
        assert _lines(out) == ["Added 1 nodes"]
        assert isinstance(ns["diff"], dict) and ns["diff"]["summary"]["nodes_added"] == 1
    elif where == "create_and_wait" and "snapshot" in ns:
        assert ns["snapshot"].status == "ready"
        _has(r"^\w+: \d+/\d+$")(ns, out)  # show_progress lines: phase: completed/total
    elif where == "create_and_wait":
        assert ns["instance"].status == "running" and ns["conn"].instance_id == ns["instance"].id
    elif where == "extend_ttl":
        assert ns["instance"].id == 123 and ns["instance"].expires_at is not None
    elif where == "connect" and "df" in ns:
        assert len(ns["result"]) == 10
        assert len(ns["df"]) == CUSTOMERS  # the ring's edges
    elif where == "create_from_mapping":
        _has(r"^Instance \d+ status: waiting_for_snapshot$")(ns, out)
    elif where == "create_from_mapping_and_wait":
        assert ns["result"].scalar() == nodes
        assert ns["instance"].status == "running"
    elif where == "update_cpu":
        assert _lines(out) == ["Instance now has 4 CPU cores"]
    elif where == "OpsResource":
        _has(r"^Status: (healthy|degraded|unhealthy)$")(ns, out)
        _has(r"^Total: \d+, Available: \d+$")(ns, out)
    elif where == "trigger_job":
        _has(r"^Job reconciliation status: \w+")(ns, out)
    elif where == "get_job_status":
        assert isinstance(ns["status"], dict)
        assert {job["name"] for job in ns["status"]["jobs"]} >= {"reconciliation", "lifecycle"}
        assert out == ""  # no job is unhealthy on this platform
    elif where == "get_export_jobs":
        assert ns["failed_jobs"] == [] and out == ""  # no export failed here
    elif where == "get_state":
        _has(r"^Running instances: \d+$")(ns, out)
        _has(r"^Instances without pod: \d+$")(ns, out)
    elif where == "get_metrics":
        assert all(line.startswith("instances_by_status_total") for line in _lines(out))
        _has(r'^instances_by_status_total\{status="running"\} \d')(ns, out)
    elif where in ("AdminResource", "bulk_delete"):
        would = re.search(r"Would delete (\d+) instances", out)
        assert would, out
        assert ns["result"]["deleted_count"] == int(would.group(1))
        assert ns["result"]["dry_run"] is False
    elif where == "HealthResource":
        _has(r"^Status: healthy, Version: \S+$")(ns, out)
        _has(r"^Database: \S+")(ns, out)
    elif where == "FavoriteResource":
        assert "favorites" in ns
    elif where == "SchemaResource":
        for line in (
            "analytics: 1 schemas",
            "public: 3 tables",
            "customers (BASE TABLE)",
            "email: VARCHAR",
            "analytics.public.customers",
            "analytics.public.users.email",
        ):
            assert line in _lines(out), f"{line!r} not printed:\n{out}"
    elif where == "connect":  # notebook.connect(), from the environment then explicit
        assert ns["client"].config.username == USER and ns["mappings"].total == 1
    elif where == "quick start":
        assert ns["client"].config.username == USER and ns["client"].health.check()
    elif where == "Usage in Tests":
        assert ns["instance"].status == "running"
    else:  # pragma: no cover - a new example in the design needs its check here
        raise AssertionError(f"example {index} ({where}) has no check: add one")


ALL = [*examples(), usage_in_tests()]


@pytest.mark.parametrize(
    ("index", "example"),
    list(enumerate(ALL)),
    ids=[f"{i:02d}-{e.where}" for i, e in enumerate(ALL)],
)
def test_design_example_runs_as_written(
    index: int,
    example: Example,
    design_platform: tuple[ServerThread, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, key = design_platform
    for name in ("GRAPH_OLAP_API_KEY", "GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_IN_CLUSTER_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAPH_OLAP_API_URL", server.url)
    monkeypatch.setenv("GRAPH_OLAP_USERNAME", USER)
    source = _prepare(example, server.url, key)
    with GraphOLAPClient(server.url, username=USER) as client:
        ns: dict[str, Any] = {"client": client, "GraphOLAPClient": GraphOLAPClient}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"<design example {index}: {example.where}>", "exec"), ns)
        _checks(ns, out.getvalue(), example.where, index)
        for conn_name in ("conn",):
            conn = ns.get(conn_name)
            if conn is not None and hasattr(conn, "close"):
                conn.close()


def test_every_example_was_found() -> None:
    """The design has 22 doctest examples and the quick start; a parser change that
    loses one fails here, not silently."""
    assert len(examples()) == 23
    assert sum(1 for e in examples() if e.where == "create_and_wait") == 2
