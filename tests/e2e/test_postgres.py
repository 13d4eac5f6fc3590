"""The control plane on PostgreSQL (a real server from the pgserver package) by URL."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from .defs import ACCOUNT, CUSTOMER, OWNS


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    server.psql("CREATE DATABASE graph_olap;")
    socket_dir = server.get_uri().split("host=")[1]
    yield f"postgresql+psycopg://postgres:@/graph_olap?host={socket_dir}"
    server.cleanup()


def test_control_plane_on_postgres_survives_restart(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=postgres_url, run_scheduler=False)
    name = f"pg-{uuid.uuid4().hex[:6]}"
    with ServerThread(settings) as server, GraphOLAPClient(server.url, username="alice") as client:
        m = client.mappings.create(
            name, "on postgres", node_definitions=[CUSTOMER, ACCOUNT], edge_definitions=[OWNS]
        )
        client.mappings.update(
            m.id, "accounts only", node_definitions=[ACCOUNT], edge_definitions=[]
        )
        assert client.mappings.diff_versions(m.id, 1, 2).summary.nodes_removed == 1
        assert [x.id for x in client.mappings.list(search=name.upper())] == [m.id]
        client.favorites.add("mapping", m.id)
    with ServerThread(settings) as server, GraphOLAPClient(server.url, username="alice") as client:
        assert client.mappings.get(m.id).current_version == 2
        assert [f.resource_id for f in client.favorites.list()] == [m.id]
        with GraphOLAPClient(server.url, username="admin") as admin:
            preview = admin.admin.bulk_delete(
                "mapping", {"name_prefix": name}, "pg test", dry_run=True
            )
            assert preview.matched_ids == [m.id]
        client.mappings.delete(m.id)
        assert client.mappings.list(search=name).total == 0
