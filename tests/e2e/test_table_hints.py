""" "Did you mean" end to end: a platform started with ``--warehouse warehouse.duckdb``
(as the issue's user did), and the SDK's errors for tables named without their catalog or
misspelt, when a mapping is created or updated, when the schema is browsed, and when a
snapshot exports a table that has gone since the mapping was saved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from graph_olap import GraphOLAPClient, NotFoundError, SnapshotFailedError, ValidationError
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .server_helpers import unique

pytestmark = pytest.mark.socket


def _character(sql: str) -> dict[str, object]:
    return {
        "label": "Character",
        "sql": sql,
        "primary_key": {"name": "id", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}],
    }


def _write_warehouse(source: Path) -> None:
    with duckdb.connect(str(source)) as con:
        con.execute("CREATE SCHEMA lesmis")
        con.execute("CREATE TABLE lesmis.characters AS SELECT 1 AS id, 'Valjean' AS name")


def _settings(root: Path, source: Path) -> Settings:
    return Settings(
        data_dir=root / "data",
        sample_warehouse=False,
        warehouse_sources=(source,),
        run_scheduler=False,
    )


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphOLAPClient]:
    """Alice on a platform whose only warehouse is the user's ``warehouse.duckdb``."""
    root = tmp_path_factory.mktemp("hints")
    _write_warehouse(root / "warehouse.duckdb")
    with (
        ServerThread(_settings(root, root / "warehouse.duckdb")) as server,
        GraphOLAPClient(server.url, username="alice", max_retries=1) as alice,
    ):
        yield alice


def test_create_names_the_qualified_table(client: GraphOLAPClient) -> None:
    name = unique("lesmis")
    with pytest.raises(ValidationError) as err:
        client.mappings.create(
            name,
            "characters",
            node_definitions=[_character("SELECT id, name FROM lesmis.characters")],
            edge_definitions=[],
        )
    assert err.value.status_code == 400
    assert err.value.message == (
        "node_definitions[0] (Character): the SQL is not valid on the warehouse: "
        "Table lesmis.characters not found. Did you mean warehouse.lesmis.characters?"
    )
    assert client.mappings.list(search=name).total == 0
    fixed = _character("SELECT id, name FROM warehouse.lesmis.characters")  # as suggested
    created = client.mappings.create(
        name, "characters", node_definitions=[fixed], edge_definitions=[]
    )
    assert created.node_definitions[0].sql == fixed["sql"]


def test_update_names_the_misspelt_table(client: GraphOLAPClient) -> None:
    good = _character("SELECT id, name FROM warehouse.lesmis.characters")
    mapping = client.mappings.create(
        unique("lesmis"), "characters", node_definitions=[good], edge_definitions=[]
    )
    typo = _character("SELECT id, name FROM warehouse.lesmis.charactrs")
    with pytest.raises(ValidationError) as err:
        client.mappings.update(mapping.id, "typo", node_definitions=[typo], edge_definitions=[])
    assert err.value.message.endswith(
        "Table warehouse.lesmis.charactrs not found. Did you mean warehouse.lesmis.characters?"
    )
    assert client.mappings.get(mapping.id).current_version == 1


def test_a_misspelt_column_still_names_the_column(client: GraphOLAPClient) -> None:
    typo = _character("SELECT id, nme AS name FROM warehouse.lesmis.characters")
    with pytest.raises(ValidationError, match=r'"nme" not found.*Candidate bindings: "name"'):
        client.mappings.create(
            unique("lesmis"), "characters", node_definitions=[typo], edge_definitions=[]
        )


def test_browsing_with_a_schema_for_a_catalog_names_it(client: GraphOLAPClient) -> None:
    with pytest.raises(NotFoundError) as err:
        client.schema.list_tables("lesmis", "characters")
    assert err.value.message.startswith(
        "Catalog 'lesmis' not found. Did you mean warehouse.lesmis?"
    )
    with pytest.raises(NotFoundError, match=r"'charactrs' not found .*Did you mean 'characters'"):
        client.schema.list_columns("warehouse", "lesmis", "charactrs")
    tables = client.schema.list_tables("warehouse", "lesmis")
    assert [t.qualified_name for t in tables] == ["warehouse.lesmis.characters"]


def test_export_of_a_renamed_warehouse_names_the_new_table(tmp_path: Path) -> None:
    """The mapping was saved over ``old.lesmis.characters``; the file is then renamed to
    ``warehouse.duckdb`` and the platform restarted: the snapshot fails, naming the table."""
    old, new = tmp_path / "old.duckdb", tmp_path / "warehouse.duckdb"
    _write_warehouse(old)
    sql = "SELECT id, name FROM old.lesmis.characters"
    with (
        ServerThread(_settings(tmp_path, old)) as server,
        GraphOLAPClient(server.url, username="alice", max_retries=1) as alice,
    ):
        mapping = alice.mappings.create(
            unique("old"), "characters", node_definitions=[_character(sql)], edge_definitions=[]
        )
    old.rename(new)
    with (
        ServerThread(_settings(tmp_path, new)) as server,
        GraphOLAPClient(server.url, username="alice", max_retries=1) as alice,
    ):
        snapshot = alice.snapshots.create(mapping.id, unique("snap"))
        with pytest.raises(SnapshotFailedError):
            alice.snapshots.wait_until_ready(snapshot.id, timeout=60, poll_interval=0.05)
        failed = alice.snapshots.get(snapshot.id)
    assert failed.status == "failed"
    assert failed.error_message == (
        "node_definitions[0] (Character): the SQL is no longer valid on the warehouse: Table "
        "old.lesmis.characters not found. Did you mean warehouse.lesmis.characters? "
        "Fix the mapping (a new version) and create a new snapshot."
    )
