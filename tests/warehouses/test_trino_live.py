"""The live Trino tier: browse, validate and export on a real Trino or Starburst cluster.

Skipped unless ``GRAPH_OLAP_TRINO_URL`` is set, e.g. for a local server with the TPC-H
catalog (``docker run -p 8080:8080 trinodb/trino``)::

    GRAPH_OLAP_TRINO_URL=trino://me@localhost:8080/tpch .venv/bin/pytest -m trino tests/warehouses

``GRAPH_OLAP_TRINO_TABLE`` names the table read (default ``tpch.tiny.nation``, 25 rows).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from graph_olap_server.settings import Settings
from graph_olap_server.warehouse import SqlValidationError, open_warehouse
from graph_olap_server.warehouse.trino import TrinoWarehouse

URL = os.environ.get("GRAPH_OLAP_TRINO_URL", "")
TABLE = os.environ.get("GRAPH_OLAP_TRINO_TABLE", "tpch.tiny.nation")

pytestmark = [
    pytest.mark.trino,
    pytest.mark.skipif(not URL, reason="GRAPH_OLAP_TRINO_URL is not set (no Trino server)"),
]


def test_browse_validate_export_on_a_live_cluster(tmp_path: Path) -> None:
    warehouse = open_warehouse(Settings(data_dir=tmp_path, warehouse_url=URL))
    assert isinstance(warehouse, TrinoWarehouse)
    catalog, schema, table = TABLE.split(".")
    assert catalog in warehouse.catalogs()
    assert (catalog, schema, table) in warehouse.table_names()
    columns = warehouse.describe(f"SELECT * FROM {TABLE}")
    assert columns
    with pytest.raises(SqlValidationError, match="Did you mean"):
        warehouse.describe(f"SELECT * FROM {TABLE}x")
    path = tmp_path / "t.parquet"
    count = warehouse.export_parquet(f"SELECT * FROM {TABLE}", path)
    expected = count_rows(warehouse, TABLE, tmp_path / "count.parquet")
    assert count == expected == pq.read_table(path).num_rows
    assert pq.read_schema(path).names == [c.name for c in columns]


def count_rows(warehouse: TrinoWarehouse, table: str, path: Path) -> int:
    warehouse.export_parquet(f"SELECT count(*) AS n FROM {table}", path)
    return int(pq.read_table(path).column("n")[0].as_py())
