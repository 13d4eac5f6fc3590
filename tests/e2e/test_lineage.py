"""Lineage on every result (issue 15, point 1), end to end on the real local platform.

One instance of a small mapping (Zachary's karate club and the bank). Each kind of
result (a query, a polars and a pandas ``query_df`` frame, a native algorithm's frame,
an execution handle, a NetworkX value) carries the instance, snapshot and mapping version
the platform reports, the engine the wrapper reports, what ran and its timings;
``lineage.rerun(client)`` gives the same answer again, and after the instance is
terminated it names the snapshot and mapping version to start a new one from.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pandas as pd
import polars as pl
import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    GraphOLAPClient,
    InstanceConnection,
    InstanceGoneError,
    QueryResult,
)
from graph_olap.instance import ExecutionHandle
from graph_olap.lineage import Lineage, lineage_of
from graph_olap_server.runner import ServerThread

from .defs import ACCOUNT, CUSTOMER, KARATE_MEMBER, KARATE_TIE, OWNS

pytestmark = pytest.mark.timeout(300)

USER = "lina"  # her own analyst: other modules' instances never count against her limit
KARATE = KARATE_MEMBER["label"]
MEMBER_KEY = KARATE_MEMBER["primary_key"]["name"]
QUERY = f"MATCH (m:{KARATE}) WHERE m.{MEMBER_KEY} < $below RETURN m.{MEMBER_KEY} AS id ORDER BY id"


@pytest.fixture(scope="module")
def lina(server: ServerThread) -> Iterator[GraphOLAPClient]:
    with GraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        yield client


@pytest.fixture(scope="module")
def mapping_id(lina: GraphOLAPClient) -> int:
    mapping = lina.mappings.create(
        f"lineage-{uuid.uuid4().hex[:8]}",
        "karate club and the bank",
        node_definitions=[KARATE_MEMBER, CUSTOMER, ACCOUNT],
        edge_definitions=[KARATE_TIE, OWNS],
    )
    return mapping.id


@pytest.fixture(scope="module")
def instance_id(lina: GraphOLAPClient, mapping_id: int) -> Iterator[int]:
    instance = lina.instances.create_from_mapping_and_wait(
        mapping_id, f"lineage-{uuid.uuid4().hex[:8]}", timeout=240
    )
    yield instance.id
    lina.instances.terminate(instance.id)


@pytest.fixture(scope="module")
def conn(lina: GraphOLAPClient, instance_id: int) -> Iterator[InstanceConnection[Any]]:
    with lina.instances.connect(instance_id) as connection:
        yield connection


def check_origin(lineage: Lineage | None, client: GraphOLAPClient, conn: Any) -> Lineage:
    """The lineage names the instance, snapshot, mapping version and engine the platform
    and the wrapper report."""
    assert lineage is not None
    record = client.instances.get(conn.instance_id)
    engine = httpx.get(f"{conn.instance_url}/health", timeout=10).json()["engine"]
    assert (lineage.instance_id, lineage.snapshot_id) == (record.id, record.snapshot_id)
    assert (lineage.mapping_id, lineage.mapping_version) == (
        record.mapping_id,
        record.mapping_version,
    )
    assert lineage.snapshot_id is not None and lineage.mapping_version is not None
    assert lineage.engine == engine and engine
    assert Lineage.from_dict(json.loads(json.dumps(lineage.to_dict()))) == lineage
    return lineage


def test_a_query_result_carries_its_lineage_and_reruns(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    before = datetime.now(timezone.utc)
    result = conn.query(QUERY, {"below": 5})
    after = datetime.now(timezone.utc)
    lineage = check_origin(result.lineage, lina, conn)
    assert lineage.kind == "query" and conn.last_lineage is lineage
    assert (lineage.query, lineage.parameters) == (QUERY, {"below": 5})
    assert before <= lineage.ran_at <= after
    assert lineage.server_ms == result.execution_time_ms
    assert lineage.round_trip_ms is not None and lineage.round_trip_ms >= 0
    assert lineage.decode_ms is not None and lineage.decode_ms >= 0
    caption = lineage.caption()
    assert caption.startswith(
        f"instance {lineage.instance_id} · snapshot {lineage.snapshot_id} · "
        f"mapping {lineage.mapping_id} v{lineage.mapping_version} · {lineage.engine} · "
    )
    assert caption in result._repr_html_()
    assert f"from instance {lineage.instance_id}" in repr(result)

    again = lineage.rerun(lina)
    assert isinstance(again, QueryResult) and again is not result
    assert again.rows == result.rows and again.columns == result.columns
    assert again.lineage is not None and again.lineage.ran_at >= lineage.ran_at


def test_a_polars_frame_has_its_lineage_by_identity(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    df = conn.query_df(QUERY, {"below": 6})
    lineage = check_origin(lineage_of(df), lina, conn)
    assert lineage is conn.last_lineage
    assert (lineage.kind, lineage.backend, lineage.parameters) == (
        "query_df",
        "polars",
        {"below": 6},
    )
    assert lineage.server_ms is not None  # the wrapper's X-Execution-Time-Ms header
    assert lineage_of(df.sort("id", descending=True)) is None  # a new frame: documented
    again = lineage.rerun(lina)
    assert isinstance(again, pl.DataFrame) and again.equals(df)
    assert lineage_of(again) is not None and lineage_of(again) is not lineage


def test_a_pandas_frame_keeps_its_lineage_in_attrs(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    df = conn.query_df(QUERY, {"below": 4}, backend="pandas")
    lineage = check_origin(lineage_of(df), lina, conn)
    assert (lineage.kind, lineage.backend) == ("query_df", "pandas")
    assert lineage_of(df.head(2)) == lineage  # pandas copies attrs to derived frames
    again = lineage.rerun(lina)
    assert isinstance(again, pd.DataFrame) and again.equals(df)


def test_an_algorithm_frame_and_its_execution_carry_the_lineage(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    df = conn.algo.pagerank(node_labels=KARATE, orientation="undirected", damping_factor=0.8)
    lineage = check_origin(lineage_of(df), lina, conn)
    assert (lineage.kind, lineage.algorithm) == ("algorithm", "pagerank")
    assert lineage.parameters["damping_factor"] == 0.8
    assert lineage.options["node_labels"] == [KARATE]
    assert lineage.options["orientation"] == "undirected"
    assert lineage.execution_id is not None and lineage.server_ms is not None
    assert lineage.caption().endswith(" s") and " · pagerank · " in lineage.caption()

    run = conn.algo.execution(lineage.execution_id)  # the same run, found by id
    assert run.lineage is not None
    assert (run.lineage.execution_id, run.lineage.algorithm) == (lineage.execution_id, "pagerank")
    assert run.lineage.options == lineage.options

    again = lineage.rerun(lina)
    assert isinstance(again, pl.DataFrame)
    assert again.sort(MEMBER_KEY).equals(df.sort(MEMBER_KEY))
    fresh = lineage_of(again)
    assert fresh is not None and fresh.execution_id != lineage.execution_id


def test_a_handle_started_without_waiting_carries_it_to_its_result(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    run = conn.algo.wcc(node_labels=KARATE, wait=False)
    assert isinstance(run, ExecutionHandle)
    lineage = check_origin(run.lineage, lina, conn)
    assert (lineage.algorithm, lineage.execution_id) == ("wcc", run.id)
    df = run.wait(timeout=120).result(backend="pandas")
    from_frame = lineage_of(df)
    assert from_frame is not None and from_frame.execution_id == run.id
    assert from_frame.backend == "pandas"


def test_a_networkx_value_has_it_as_the_last_lineage(
    lina: GraphOLAPClient, conn: InstanceConnection[Any]
) -> None:
    density = conn.networkx.density(node_labels=KARATE, orientation="undirected")
    lineage = check_origin(conn.last_lineage, lina, conn)
    assert (lineage.kind, lineage.algorithm) == ("networkx", "density")
    assert lineage.rerun(lina) == density


@pytest.mark.anyio
async def test_rerun_on_the_async_client(
    server: ServerThread, conn: InstanceConnection[Any]
) -> None:
    result = conn.query(QUERY, {"below": 3})
    assert result.lineage is not None
    async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        again = await result.lineage.rerun(client)
    assert again.rows == result.rows


@pytest.mark.anyio
async def test_runs_gathered_on_one_async_connection_keep_their_own_lineage(
    server: ServerThread, instance_id: int
) -> None:
    async with AsyncGraphOLAPClient(server.url, username=USER, max_retries=1) as client:
        aconn = await client.instances.connect(instance_id)
        ranks, degrees, components = await asyncio.gather(
            aconn.algo.pagerank(node_labels=KARATE),
            aconn.algo.degree(node_labels=KARATE),
            aconn.algo.wcc(node_labels=KARATE),
        )
    lineages = [lineage_of(df) for df in (ranks, degrees, components)]
    assert [x.algorithm if x else None for x in lineages] == ["pagerank", "degree", "wcc"]
    assert len({x.execution_id for x in lineages if x}) == 3


def test_rerun_after_terminate_names_what_to_start_again_from(
    lina: GraphOLAPClient, mapping_id: int, instance_id: int
) -> None:
    snapshot_id = lina.instances.get(instance_id).snapshot_id
    assert snapshot_id is not None
    short_lived = lina.instances.create_and_wait(snapshot_id, f"gone-{uuid.uuid4().hex[:8]}")
    with lina.instances.connect(short_lived.id) as gone_conn:
        lineage = gone_conn.query(QUERY, {"below": 2}).lineage
    assert lineage is not None
    lina.instances.terminate(short_lived.id)
    with pytest.raises(InstanceGoneError) as caught:
        lineage.rerun(lina)
    message = str(caught.value)
    assert f"instance {short_lived.id} no longer runs" in message
    assert f"create_and_wait({snapshot_id}, name)" in message
    assert (
        f"create_from_mapping_and_wait({mapping_id}, name, "
        f"mapping_version={lineage.mapping_version})" in message
    )
