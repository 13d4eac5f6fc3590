"""Issue 13, the algorithm point: run options declared once, typed returns, and a handle
separate from the execution record.

Nothing here talks to a server: requests are read off the sans-I/O operations before
they are sent, and the overloads are checked by running mypy --strict on a snippet that
uses them. Behaviour against a real instance: tests/e2e/test_algorithms_sdk.py.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import pickle
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_olap import AlgorithmExecution, AsyncGraphOLAPClient, GraphOLAPClient, GraphOLAPError
from graph_olap._core.ops import Call
from graph_olap.http import AsyncHTTPClient, HTTPClient
from graph_olap.instance import ExecutionHandle, InstanceConnection
from graph_olap.instance.algorithms import AlgorithmManager
from graph_olap.instance.networkx import NetworkXManager
from graph_olap.instance.options import (
    NETWORKX_DEFAULTS,
    OPTIONS_DOC,
    RUN_DEFAULTS,
    NetworkXOptions,
    RunOptions,
)

RECORD = {
    "id": "ex-1",
    "algorithm": "louvain",
    "kind": "native",
    "mode": "mutate",
    "status": "running",
    "phase": "computing",
    "property": "community",
    "summary": {"nodes": 34},
}


def _tripwire(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request expected, got {request.method} {request.url}")


@pytest.fixture
def conn() -> Iterator[InstanceConnection[Any]]:
    client = GraphOLAPClient("http://olap.test", username="alice")
    runner = HTTPClient(client.config, transport=httpx.MockTransport(_tripwire))
    connection = InstanceConnection(runner, instance_id=7, control_plane_url="http://olap.test")
    yield connection
    connection.close()
    client.close()


def first_call(op: Any) -> Call:
    """The first request an operation would send (nothing is sent)."""
    step = op.send(None)
    while not isinstance(step, Call):
        step = op.send(0.0)
    op.close()
    return step


def algorithm_methods(manager: Any) -> list[str]:
    names = [n for n in vars(type(manager)) if not n.startswith("_")]
    return [n for n in names if "mode" in inspect.signature(getattr(manager, n)).parameters]


# -- the options, once -------------------------------------------------------------------


def test_each_option_is_declared_typed_defaulted_and_documented_once() -> None:
    typed = list(RunOptions.__annotations__)
    assert list(RUN_DEFAULTS) == typed  # the same names, in signature order
    assert list(NETWORKX_DEFAULTS) == [*typed, "force"] == list(NetworkXOptions.__annotations__)
    documented = OPTIONS_DOC.split("Raises:")[0]
    for name in RUN_DEFAULTS:
        assert f"{name}:" in documented or f"{name}," in documented, name


@pytest.mark.parametrize("which", ["algo", "networkx"])
def test_every_algorithm_method_shows_every_option_with_its_default(
    conn: InstanceConnection[Any], which: str
) -> None:
    manager = getattr(conn, which)
    methods = algorithm_methods(manager)
    assert "run" in methods and (which == "networkx" or len(methods) == 13)
    defaults = NETWORKX_DEFAULTS if which == "networkx" else RUN_DEFAULTS
    for name in methods:
        method = getattr(manager, name)
        params = inspect.signature(method).parameters
        shown = {k: p.default for k, p in params.items() if k in defaults}
        assert shown == defaults, name
        assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in defaults), name
        assert OPTIONS_DOC.splitlines()[0] in (method.__doc__ or ""), name
    run = inspect.signature(manager.run).parameters  # its own keywords come last
    assert list(run)[-1] == "kwargs" and run["kwargs"].kind is inspect.Parameter.VAR_KEYWORD


def test_run_by_name_splits_its_options_from_the_algorithm_parameters(
    conn: InstanceConnection[Any],
) -> None:
    op = AlgorithmManager.run.op(
        conn.algo, "pagerank", damping_factor=0.9, mode="mutate", property="pr", wait=False
    )
    call = first_call(op)
    assert (call.method, call.path) == ("POST", "/algo/pagerank")
    assert call.json["parameters"] == {"damping_factor": 0.9}
    assert (call.json["mode"], call.json["property"], call.json["wait_ms"]) == ("mutate", "pr", 0)

    op = NetworkXManager.run.op(conn.networkx, "pagerank", alpha=0.5, force=True)
    call = first_call(op)
    assert call.path == "/networkx/pagerank" and call.json["force"] is True
    assert call.json["parameters"] == {"alpha": 0.5} and call.json["wait_ms"] > 0


def test_a_typed_method_sends_the_same_request_as_run_by_name(
    conn: InstanceConnection[Any],
) -> None:
    options = {"node_labels": "Account", "orientation": "undirected", "timeout": 30}
    typed = first_call(AlgorithmManager.louvain.op(conn.algo, resolution=2.0, **options))
    named = first_call(
        AlgorithmManager.run.op(
            conn.algo, "louvain", resolution=2.0, max_iterations=32, method="leiden", **options
        )
    )
    assert typed == named


# -- the record and the handle -------------------------------------------------------------


def test_the_record_is_data_only() -> None:
    record = AlgorithmExecution.model_validate(RECORD)
    assert not record.__pydantic_private__  # no connection, manager or transport inside
    assert pickle.loads(pickle.dumps(record)) == record == copy.deepcopy(record)
    assert set(record.model_dump()) == set(AlgorithmExecution.model_fields)
    with pytest.raises(GraphOLAPError, match=r"get a handle on it with conn\.algo\.execution"):
        record.wait()  # type: ignore[attr-defined]


def test_the_handle_holds_the_record_and_reads_its_fields(
    conn: InstanceConnection[Any],
) -> None:
    record = AlgorithmExecution.model_validate(RECORD)
    handle = conn.algo._handle(record)
    assert isinstance(handle, ExecutionHandle) and not isinstance(handle, AlgorithmExecution)
    assert handle.record is record
    for field in AlgorithmExecution.model_fields:  # every field reads through the handle
        assert getattr(handle, field) == getattr(record, field), field
    assert handle["summary"] == record.summary and handle.summary.nodes == 34
    assert repr(handle) == repr(record) and handle._repr_html_() == record._repr_html_()
    with pytest.raises(AttributeError, match=r"its \.record"):
        handle.no_such_field  # type: ignore[attr-defined]  # noqa: B018


def test_a_wait_replaces_the_record_and_returns_the_same_handle(
    conn: InstanceConnection[Any],
) -> None:
    handle = conn.algo._handle(AlgorithmExecution.model_validate(RECORD))
    op = handle._follow(60.0, None, None, known=False)
    step = op.send(None)
    while not isinstance(step, Call):
        step = op.send(0.0)
    assert step.path == "/algo/executions/ex-1" and step.params == {"wait_ms": 30000}
    done = {**RECORD, "status": "completed", "phase": "done", "summary": {"nodes_written": 34}}
    while True:  # every poll is answered "completed"; the clock stands still
        try:
            step = op.send({"data": done} if isinstance(step, Call) else 0.0)
        except StopIteration as stop:
            assert stop.value is handle
            break
    assert handle.status == "completed" and handle.summary.nodes_written == 34
    assert handle.record.status == "completed"


def test_the_handle_calls_are_awaitables_on_the_async_client(
    conn: InstanceConnection[Any],
) -> None:
    aio = InstanceConnection(
        AsyncHTTPClient(AsyncGraphOLAPClient().config),
        instance_id=1,
        control_plane_url="http://olap.test",
    )
    record = AlgorithmExecution.model_validate(RECORD)
    sync_handle, async_handle = conn.algo._handle(record), aio.algo._handle(record)
    for name in ("wait", "result", "cancel", "refresh"):
        s, a = getattr(sync_handle, name), getattr(async_handle, name)
        assert inspect.iscoroutinefunction(a) and not inspect.iscoroutinefunction(s), name
        assert inspect.signature(s) == inspect.signature(a), name
    asyncio.run(aio.aclose())


# -- the overloads, as a type checker sees them ----------------------------------------------

SNIPPET = """\
from typing import Any

import polars as pl
from typing_extensions import assert_type

from graph_olap import AlgorithmExecution
from graph_olap._core.resource import Async, Sync
from graph_olap.instance import ExecutionHandle, InstanceConnection
from graph_olap.pagination import PaginatedList


def sync(conn: InstanceConnection[Sync], flag: bool) -> None:
    assert_type(conn.algo.pagerank(damping_factor=0.9), pl.DataFrame)
    assert_type(conn.algo.shortest_path(1, 34, orientation="undirected"), pl.DataFrame)
    assert_type(conn.algo.run("wcc", mode="stream"), pl.DataFrame)
    assert_type(conn.algo.degree(backend="pandas"), Any)
    assert_type(conn.algo.louvain(mode="mutate", property="c"), ExecutionHandle[Sync])
    run = conn.algo.wcc(wait=False)
    assert_type(run, ExecutionHandle[Sync])
    assert_type(run.wait(timeout=60), ExecutionHandle[Sync])
    assert_type(run.cancel().refresh(), ExecutionHandle[Sync])
    assert_type(run.record, AlgorithmExecution)
    assert_type(run.summary.nodes_written, int | None)
    assert_type(conn.algo.execution("ex-1"), ExecutionHandle[Sync])
    assert_type(conn.algo.executions(), PaginatedList[AlgorithmExecution])
    assert_type(conn.networkx.run("density"), Any)
    assert_type(conn.networkx.run("pagerank", wait=False), ExecutionHandle[Sync])
    assert_type(conn.algo.kcore(wait=flag), Any)
    conn.algo.kcore(mode="write")
    conn.algo.kcore(backend="arrow")
    conn.algo.execution("ex-1").record.wait()


async def main(conn: InstanceConnection[Async]) -> None:
    assert_type(await conn.algo.pagerank(), pl.DataFrame)
    run = await conn.algo.louvain(wait=False)
    assert_type(run, ExecutionHandle[Async])
    assert_type(await run.wait(), ExecutionHandle[Async])
    assert_type(await conn.algo.triangle_count(mode="mutate"), ExecutionHandle[Async])
    assert_type(await conn.networkx.run("density", mode="mutate"), ExecutionHandle[Async])
"""


def test_mypy_resolves_the_overloads_as_documented(tmp_path: Path) -> None:
    source = tmp_path / "uses.py"
    source.write_text(textwrap.dedent(SNIPPET))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / "cache"), "--config-file", "", str(source)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    errors = [
        (int(line.split(":")[1]), line.split(": error: ", 1)[1].split("  [")[-1])
        for line in run.stdout.splitlines()
        if ": error: " in line
    ]
    lines = SNIPPET.splitlines()
    wrong = {n: lines[n - 1].strip() for n, _ in errors}
    assert [code for _, code in errors] == ["call-overload]", "call-overload]", "attr-defined]"], (
        run.stdout + run.stderr
    )
    assert list(wrong.values()) == [
        'conn.algo.kcore(mode="write")',
        'conn.algo.kcore(backend="arrow")',
        'conn.algo.execution("ex-1").record.wait()',
    ]
