"""The local platform as a user meets it: the `graph-olap` command, restarts, own data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import polars as pl
import pytest

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import free_port

from .defs import ACCOUNT, CUSTOMER, OWNS


class Platform:
    """`graph-olap server` in its own process, as a user starts it."""

    def __init__(self, data_dir: Path, *extra: str, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Platform:
        cmd = [
            sys.executable, "-m", "graph_olap_server.cli", "server",
            "--port", str(self.port), "--data-dir", str(self.data_dir),
            "--log-level", "warning", *self.extra,
        ]  # fmt: skip
        self.log = self.data_dir.parent / f"platform-{self.port}.log"
        with self.log.open("wb") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.log.read_text()
                raise AssertionError(f"the platform exited with {self.proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)  # polling the port with a deadline, not waiting on a race
        self.stop()
        raise AssertionError(f"the platform did not answer within 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


@pytest.fixture
def platform_factory() -> Iterator[list[Platform]]:
    started: list[Platform] = []
    yield started
    for p in started:
        p.stop()


def test_state_survives_a_restart(tmp_path: Path, platform_factory: list[Platform]) -> None:
    first = Platform(tmp_path).start()
    platform_factory.append(first)
    with GraphOLAPClient(first.url, username="alice") as client:
        m = client.mappings.create(
            "durable", "x", node_definitions=[CUSTOMER, ACCOUNT], edge_definitions=[OWNS]
        )
        client.mappings.update(m.id, "v2", edge_definitions=[])
        client.favorites.add("mapping", m.id)
    with GraphOLAPClient(first.url, username="ops") as ops:
        ops.ops.update_concurrency_config(per_analyst=7)
    first.stop()

    second = Platform(tmp_path, port=first.port).start()
    platform_factory.append(second)
    with GraphOLAPClient(second.url, username="alice") as client:
        again = client.mappings.get(m.id)
        assert (again.name, again.current_version) == ("durable", 2)
        assert [v.version for v in client.mappings.list_versions(m.id)] == [1, 2]
        assert client.mappings.get_version(m.id, 1).edge_definitions[0].type == "OWNS"
        assert [f.resource_id for f in client.favorites.list()] == [m.id]
    with GraphOLAPClient(second.url, username="ops") as ops:
        assert ops.ops.get_concurrency_config().per_analyst == 7


def test_warehouse_on_the_users_own_files(tmp_path: Path, platform_factory: list[Platform]) -> None:
    lake = tmp_path / "lake"
    (lake / "crm").mkdir(parents=True)
    pl.DataFrame({"person_id": [1, 2, 3], "name": ["Ann", "Bo", "Cy"]}).write_parquet(
        lake / "people.parquet"
    )
    pl.DataFrame({"src": [1, 2], "dst": [2, 3]}).write_csv(lake / "crm" / "knows.csv")
    own_db = tmp_path / "shop.duckdb"
    with duckdb.connect(str(own_db)) as con:
        con.execute(
            "CREATE TABLE orders AS "
            "SELECT range AS order_id, range % 3 + 1 AS person_id FROM range(10)"
        )

    platform = Platform(
        tmp_path / "data", "--warehouse", str(lake), "--warehouse", str(own_db), "--no-sample"
    )
    platform_factory.append(platform.start())
    with GraphOLAPClient(platform.url, username="alice") as client:
        assert [c.catalog_name for c in client.schema.list_catalogs()] == ["lake", "shop"]
        assert [t.table_name for t in client.schema.list_tables("lake", "crm")] == ["knows"]
        assert [t.table_name for t in client.schema.list_tables("shop", "main")] == ["orders"]
        person = {
            "label": "Person",
            "sql": "SELECT person_id, name FROM lake.main.people",
            "primary_key": {"name": "person_id", "type": "INT64"},
            "properties": [{"name": "name"}],
        }
        knows = {
            "type": "KNOWS", "from_node": "Person", "to_node": "Person",
            "sql": "SELECT src, dst FROM lake.crm.knows", "from_key": "src", "to_key": "dst",
        }  # fmt: skip
        m = client.mappings.create(
            "people", "own data", node_definitions=[person], edge_definitions=[knows]
        )
        assert m.current_version == 1


def test_environment_variable_points_the_warehouse(
    tmp_path: Path, platform_factory: list[Platform]
) -> None:
    own_db = tmp_path / "finance.duckdb"
    with duckdb.connect(str(own_db)) as con:
        con.execute("CREATE TABLE ledger AS SELECT 1 AS entry_id")
    env_before = os.environ.get("GRAPH_OLAP_WAREHOUSE")
    os.environ["GRAPH_OLAP_WAREHOUSE"] = str(own_db)
    try:
        platform = Platform(tmp_path / "data")
        platform_factory.append(platform.start())
    finally:
        if env_before is None:
            del os.environ["GRAPH_OLAP_WAREHOUSE"]
        else:
            os.environ["GRAPH_OLAP_WAREHOUSE"] = env_before
    with GraphOLAPClient(platform.url, username="alice") as client:
        assert [c.catalog_name for c in client.schema.list_catalogs()] == ["finance", "sample"]


def test_bad_warehouse_path_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "graph_olap_server.cli", "server", "--port", str(free_port()),
         "--data-dir", str(tmp_path), "--warehouse", str(tmp_path / "missing.duckdb")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "missing.duckdb" in proc.stdout + proc.stderr


def test_create_api_key_command(tmp_path: Path, platform_factory: list[Platform]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graph_olap_server.cli", "create-api-key",
         "--data-dir", str(tmp_path), "--username", "dana", "--role", "ops"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    key = out.strip().splitlines()[-1]
    assert key.startswith("gok_")
    platform = Platform(tmp_path)
    platform_factory.append(platform.start())
    with GraphOLAPClient(platform.url, api_key=key) as dana:
        assert dana.ops.get_concurrency_config().per_analyst >= 1  # ops role from the key
