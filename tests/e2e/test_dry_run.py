"""client.mappings.dry_run end to end: a real local platform over a warehouse this module
builds (a DuckDB file with duplicate keys, dangling edges and a text column declared
INT64, next to clean tables), and a real instance to hold the estimate against."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient, ValidationError
from graph_olap.models.dry_run import DryRunReport
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .server_helpers import unique

PEOPLE = 200  # dirty people: ids 0..199, then extra rows repeating some ids
REPEATED = {1: 3, 2: 2}  # id -> how many rows carry it in the end
BAD_AGE_EVERY = 10  # every 10th person's age is text ('x<i>'), declared INT64
DANGLING_FROM = [500, 501]  # knows.src values that are no person
DANGLING_TO = [900]  # plus PEOPLE (the edge i -> i+1 of the last person)
CLEAN_NODES, CLEAN_EDGES = 2000, 8000


def _warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE people AS SELECT i::BIGINT AS id, 'p' || i AS name, CASE WHEN "
        f"i % {BAD_AGE_EVERY} = 0 THEN 'x' || i ELSE (20 + i % 50)::VARCHAR END AS age "
        f"FROM range({PEOPLE}) t(i)"
    )
    for key, rows in REPEATED.items():
        for _ in range(rows - 1):
            con.execute("INSERT INTO people VALUES (?, 'again', '30')", [key])
    con.execute(
        f"CREATE TABLE knows AS SELECT i::BIGINT AS src, (i + 1)::BIGINT AS dst "
        f"FROM range({PEOPLE}) t(i)"
    )
    for src in DANGLING_FROM:
        con.execute("INSERT INTO knows VALUES (?, 3)", [src])
    for dst in DANGLING_TO:
        con.execute("INSERT INTO knows VALUES (4, ?)", [dst])
    con.execute(
        "CREATE TABLE nodes AS SELECT i::BIGINT AS id, 'n' || i AS name, (i / 7)::DOUBLE "
        f"AS score FROM range({CLEAN_NODES}) t(i)"
    )
    con.execute(
        f"CREATE TABLE links AS SELECT (i % {CLEAN_NODES})::BIGINT AS src, "
        f"((i * 7 + 3) % {CLEAN_NODES})::BIGINT AS dst, (i / 3)::DOUBLE AS weight "
        f"FROM range({CLEAN_EDGES}) t(i)"
    )
    con.close()


PERSON = {
    "label": "Person",
    "sql": "SELECT id, name, age FROM dirty.main.people",
    "primary_key": {"name": "id", "type": "INT64"},
    "properties": [{"name": "name", "type": "STRING"}, {"name": "age", "type": "INT64"}],
}
KNOWS = {
    "type": "KNOWS",
    "from_node": "Person",
    "to_node": "Person",
    "sql": "SELECT src, dst FROM dirty.main.knows",
    "from_key": "src",
    "to_key": "dst",
    "properties": [],
}
NODE = {
    "label": "Node",
    "sql": "SELECT id, name, score FROM dirty.main.nodes",
    "primary_key": {"name": "id", "type": "INT64"},
    "properties": [{"name": "name", "type": "STRING"}, {"name": "score", "type": "DOUBLE"}],
}
LINK = {
    "type": "LINK",
    "from_node": "Node",
    "to_node": "Node",
    "sql": "SELECT src, dst, weight FROM dirty.main.links",
    "from_key": "src",
    "to_key": "dst",
    "properties": [{"name": "weight", "type": "DOUBLE"}],
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    root = tmp_path_factory.mktemp("dry-run")
    _warehouse(root / "dirty.duckdb")
    settings = Settings(
        data_dir=root / "platform",
        warehouse_sources=(root / "dirty.duckdb",),
        sample_warehouse=False,
        stop_instances_on_exit=True,
    )
    with ServerThread(settings) as running:
        yield running


@pytest.fixture
def alice(platform: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(platform.url, username="alice", max_retries=1) as client:
        yield client


def test_each_problem_is_found_with_its_counts(alice: GraphOLAPClient) -> None:
    mapping = alice.mappings.create(
        unique("dirty"), "dirty data", node_definitions=[PERSON], edge_definitions=[KNOWS]
    )
    report = alice.mappings.dry_run(mapping.id)

    assert isinstance(report, DryRunReport)
    assert (report.mapping_id, report.mapping_version) == (mapping.id, 1)
    assert not report.ok and report.exact
    person = report.node("Person")
    assert person.row_count == PEOPLE + sum(n - 1 for n in REPEATED.values())
    assert person.null_keys == 0
    assert person.duplicate_keys.count == len(REPEATED)
    assert {(d.value, d.occurrences) for d in person.duplicate_keys.examples} == {
        (str(k), n) for k, n in REPEATED.items()
    }
    [age] = person.type_errors
    assert (age.column, age.type) == ("age", "INT64")
    assert age.count == len(range(0, PEOPLE, BAD_AGE_EVERY))
    assert all(v.startswith("x") for v in age.examples) and age.examples

    knows = report.edge("KNOWS")
    assert knows.row_count == PEOPLE + len(DANGLING_FROM) + len(DANGLING_TO)
    ends = {d.end: d for d in knows.dangling}
    assert (ends["from"].edges, ends["from"].label) == (len(DANGLING_FROM), "Person")
    assert ends["from"].examples == [str(k) for k in DANGLING_FROM]
    missing_to = sorted([PEOPLE, *DANGLING_TO])
    assert ends["to"].edges == ends["to"].distinct_keys == len(missing_to)
    assert ends["to"].examples == [str(k) for k in missing_to]
    assert knows.type_errors == []
    # one sentence per problem: duplicates, two dangling ends, one type
    assert len(report.problems) == 4
    assert any("repeat" in p and "Person" in p for p in report.problems)
    assert "4 problem(s)" in report._repr_html_()


def test_clean_unsaved_definitions_have_no_problems(alice: GraphOLAPClient) -> None:
    before = alice.mappings.list().total
    report = alice.mappings.dry_run(node_definitions=[NODE], edge_definitions=[LINK])

    assert report.ok and report.problems == [] and report.exact
    assert report.mapping_id is None and report.mapping_version is None
    assert report.node("Node").row_count == CLEAN_NODES
    assert report.edge("LINK").row_count == CLEAN_EDGES
    assert report.estimate.nodes == CLEAN_NODES and report.estimate.edges == CLEAN_EDGES
    assert alice.mappings.list().total == before  # nothing saved


def test_sampling_above_the_threshold_says_so(alice: GraphOLAPClient) -> None:
    report = alice.mappings.dry_run(
        node_definitions=[PERSON], edge_definitions=[KNOWS], sample_above=50, sample_rows=30
    )

    assert not report.exact
    person = report.node("Person")
    assert (person.exact, person.sampled_rows) == (False, 30)
    assert person.row_count == PEOPLE + sum(n - 1 for n in REPEATED.values())  # still exact
    # the first 30 people carry 3 text ages (0, 10, 20); the sample sees those only
    assert person.type_errors[0].count == len(range(0, 30, BAD_AGE_EVERY))
    assert report.options["sample_above"] == 50


def test_invalid_definitions_are_refused_with_the_reason(alice: GraphOLAPClient) -> None:
    wrong = {**PERSON, "sql": "SELECT id, name FROM dirty.main.people"}
    with pytest.raises(ValidationError, match="'age' is not returned by the SQL"):
        alice.mappings.dry_run(node_definitions=[wrong], edge_definitions=[])
    with pytest.raises(ValueError, match="either mapping_id"):
        alice.mappings.dry_run()


@pytest.mark.anyio
async def test_async_client_dry_runs_too(platform: ServerThread) -> None:
    client = AsyncGraphOLAPClient(platform.url, username="bob", max_retries=1)
    try:
        report = await client.mappings.dry_run(node_definitions=[NODE], edge_definitions=[LINK])
    finally:
        await client.aclose()
    assert report.ok and report.node("Node").row_count == CLEAN_NODES


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for the wrapper process {pid}")


def _actual(platform: ServerThread, instance_id: int) -> dict[str, Any]:
    data_dir = platform.settings.data_dir
    with sqlite3.connect(data_dir / "metadata.db") as con:
        (pid,) = con.execute("SELECT pid FROM instances WHERE id = ?", (instance_id,)).fetchone()
    folder = data_dir / "instances" / str(instance_id)
    return {
        "memory_bytes": _rss_bytes(int(pid)),
        "disk_bytes": sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()),
    }


def test_estimate_is_within_a_factor_of_two_of_the_instance(
    alice: GraphOLAPClient, platform: ServerThread
) -> None:
    mapping = alice.mappings.create(
        unique("clean"), "clean graph", node_definitions=[NODE], edge_definitions=[LINK]
    )
    estimate = alice.mappings.dry_run(mapping.id).estimate
    started = time.perf_counter()
    instance = alice.instances.create_from_mapping_and_wait(
        mapping.id, unique("clean"), timeout=240, poll_interval=0.1
    )
    load_seconds = time.perf_counter() - started
    try:
        actual = _actual(platform, instance.id)
    finally:
        alice.instances.terminate(instance.id)
    for metric in ("memory_bytes", "disk_bytes"):
        ratio = getattr(estimate, metric) / actual[metric]
        assert 0.5 <= ratio <= 2, (metric, getattr(estimate, metric), actual[metric])
    # load time depends on how busy the machine is: shown, not asserted
    print(f"load time: estimate {estimate.load_seconds:.2f} s, actual {load_seconds:.2f} s")


def test_a_postgresql_warehouse_runs_the_same_checks(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> None:
    """The queries are translated to PostgreSQL; it has no TRY_CAST, so a value that does
    not convert is refused with PostgreSQL's message instead of being counted."""
    # pgdata outside pytest's temp root: a concurrent pytest session sets that root to
    # mode 0700, which the postgres system user (running as root) could then not traverse
    pgdata = Path(tempfile.mkdtemp(prefix="graph-olap-dry-run-pg-"))
    request.addfinalizer(lambda: shutil.rmtree(pgdata, ignore_errors=True))
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        pg = pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
    request.addfinalizer(pg.cleanup)
    pg.psql("CREATE DATABASE club;")
    url = f"postgresql://postgres:@/club?host={pg.get_uri().split('host=')[1]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "CREATE TABLE people AS SELECT i::bigint AS id, 'p' || i AS name, CASE WHEN "
            f"i % {BAD_AGE_EVERY} = 0 THEN 'x' || i ELSE i::text END AS age "
            f"FROM generate_series(0, {PEOPLE - 1}) i"
        )
        con.execute("INSERT INTO people VALUES (1, 'again', '3'), (1, 'again', '4')")
        con.execute(
            f"CREATE TABLE knows AS SELECT i AS src, i + 1 AS dst FROM generate_series(0, "
            f"{PEOPLE - 1}) i"
        )
    person = {**PERSON, "sql": "SELECT id, name, age FROM club.public.people"}
    knows = {**KNOWS, "sql": "SELECT src, dst FROM club.public.knows"}
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("pg-platform"), warehouse_url=url, sample_warehouse=False
    )
    with (
        ServerThread(settings) as running,
        GraphOLAPClient(running.url, username="alice", max_retries=1) as client,
    ):
        as_text = {**person, "properties": [{"name": "name"}, {"name": "age"}]}
        report = client.mappings.dry_run(node_definitions=[as_text], edge_definitions=[knows])
        with pytest.raises(ValidationError, match=r'invalid input syntax .*"x0".* TRY_CAST'):
            client.mappings.dry_run(node_definitions=[person], edge_definitions=[knows])

    assert report.node("Person").row_count == PEOPLE + 2
    assert [(d.value, d.occurrences) for d in report.node("Person").duplicate_keys.examples] == [
        ("1", 3)
    ]
    dangling = {d.end: d for d in report.edge("KNOWS").dangling}
    assert (dangling["from"].edges, dangling["to"].edges) == (0, 1)
    assert dangling["to"].examples == [str(PEOPLE)]
