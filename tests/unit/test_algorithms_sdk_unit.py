"""The pure parts of ``conn.algo`` / ``conn.networkx``: request bodies, option checks,
model parsing, error classes, attribute access and the waiting loop's operations.

Nothing here talks to a server: the connection's transport fails the test if it is ever
called, and the waiting loop is stepped by hand (it is a sans-I/O generator). The
behaviour against a real instance is tested in tests/e2e/test_algorithms_sdk.py.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph_olap import (
    AlgorithmCancelledError,
    AlgorithmExecution,
    AlgorithmFailedError,
    AlgorithmInfo,
    AlgorithmNotFoundError,
    AsyncGraphOLAPClient,
    GraphOLAPClient,
    GraphOLAPError,
    GraphTooLargeError,
    InstanceConnection,
    LockStatus,
    NotFoundError,
    ResourceLockedError,
    ResultExpiredError,
    TimeoutError,
    ValidationError,
)
from graph_olap._core.ops import Call, Now, Sleep
from graph_olap.exceptions import error_for_status
from graph_olap.http import AsyncHTTPClient, HTTPClient
from graph_olap.instance._requests import (
    RUN_DEFAULTS,
    resolve_parameters,
    run_request,
    split_options,
    typed_parameters,
)
from graph_olap.instance.executions import LONG_POLL_MS, PROGRESS_WINDOW_MS, unsuccessful

EXECUTION = {
    "id": "ex-4f3a9c1b",
    "algorithm": "pagerank",
    "kind": "native",
    "mode": "stream",
    "status": "running",
    "phase": "computing",
    "progress": {"phase": "computing", "completed_steps": 2, "total_steps": 4, "message": "x"},
    "username": "alice",
    "node_labels": ["Account"],
    "relationship_types": ["TRANSFERRED_TO"],
    "property": None,
    "parameters": {"damping_factor": 0.85},
    "started_at": "2025-01-01T10:00:00Z",
    "finished_at": None,
    "duration_ms": None,
    "summary": {"nodes": 1000, "relationships": 5000, "modularity": 0.41},
    "result_kind": None,
    "error": None,
    "some_future_field": 1,
}

ALGORITHMS = [
    "pagerank",
    "betweenness",
    "degree",
    "wcc",
    "scc",
    "louvain",
    "label_propagation",
    "kcore",
    "triangle_count",
    "local_clustering_coefficient",
    "shortest_path",
    "single_source_shortest_paths",
]


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


def execution(**changes: Any) -> AlgorithmExecution:
    return AlgorithmExecution.model_validate({**EXECUTION, **changes})


# -- request bodies ----------------------------------------------------------------------


def test_run_request_has_every_field_of_the_contract() -> None:
    body = run_request(parameters={"damping_factor": 0.9})
    assert body == {
        "mode": "stream",
        "node_labels": None,
        "relationship_types": None,
        "weight_property": None,
        "orientation": None,
        "property": None,
        "parameters": {"damping_factor": 0.9},
        "wait_ms": 0,
        "force": False,
    }


def test_run_request_takes_a_single_name_or_a_list() -> None:
    body = run_request(
        parameters={},
        node_labels="Account",
        relationship_types=("TRANSFERRED_TO", "OWNS"),
        weight_property="amount",
        orientation="undirected",
        mode="mutate",
        property="rank",
        wait_ms=2000,
        force=True,
    )
    assert body["node_labels"] == ["Account"]
    assert body["relationship_types"] == ["TRANSFERRED_TO", "OWNS"]
    assert (body["mode"], body["property"], body["orientation"]) == ("mutate", "rank", "undirected")
    assert (body["wait_ms"], body["force"], body["weight_property"]) == (2000, True, "amount")


@pytest.mark.parametrize(
    ("field", "kwargs", "words"),
    [
        ("mode", {"mode": "write"}, "'stream', 'mutate'"),
        ("orientation", {"orientation": "undirectd"}, "'natural', 'reverse', 'undirected'"),
        ("node_labels", {"node_labels": [1]}, "a name or a list of names"),
        ("relationship_types", {"relationship_types": ["OWNS", ""]}, "list of names"),
        ("property", {"property": "  "}, "non-empty"),
        ("weight_property", {"weight_property": 3}, "non-empty"),
        ("wait_ms", {"wait_ms": 30001}, "0..30000"),
        ("parameters", {"parameters": [1]}, "must be a dict"),
    ],
)
def test_run_request_refuses_what_can_never_be_valid(
    field: str, kwargs: dict[str, Any], words: str
) -> None:
    kwargs.setdefault("parameters", {})
    with pytest.raises(ValidationError) as caught:
        run_request(**kwargs)
    assert words in caught.value.message
    assert caught.value.details.get("parameter", caught.value.details.get("field")) == field


def test_typed_parameters_leave_unset_ones_to_the_server() -> None:
    assert typed_parameters(samples=None, resolution=1.0, seed=None) == {"resolution": 1.0}


def test_parameters_given_twice_are_refused() -> None:
    assert resolve_parameters({"k": 1}, {"seed": 2}, "run") == {"k": 1, "seed": 2}
    with pytest.raises(ValidationError, match="k given both"):
        resolve_parameters({"k": 1}, {"k": 2}, "conn.networkx.run('x')")


def test_unknown_keyword_suggests_the_closest_name() -> None:
    with pytest.raises(ValidationError, match=r"'dampingfactor'\. Did you mean 'damping_factor'"):
        split_options("conn.algo.pagerank()", {"dampingfactor": 0.9}, ["damping_factor"])
    with pytest.raises(ValidationError, match="Did you mean 'node_labels'"):
        split_options("conn.algo.wcc()", {"node_label": "Account"})
    assert split_options("x", {"mode": "mutate"})["mode"] == "mutate"


def test_typed_method_checks_its_options_before_any_request(
    conn: InstanceConnection[Any],
) -> None:
    with pytest.raises(ValidationError, match="Did you mean 'damping_factor'"):
        conn.algo.pagerank(dampingfactor=0.9)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="orientation must be one of"):
        conn.algo.wcc(orientation="both")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="timeout must be a positive number"):
        conn.algo.louvain(timeout=0)
    with pytest.raises(ValidationError, match="backend must be 'polars' or 'pandas'"):
        conn.algo.degree(backend="arrow")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="source must be a node's primary key"):
        conn.algo.shortest_path(1.5, 2)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="name must be a non-empty string"):
        conn.algo.run("")


# -- signatures and documentation ----------------------------------------------------------


def test_typed_methods_show_every_option_with_its_default(
    conn: InstanceConnection[Any],
) -> None:
    for name in ALGORITHMS:
        params = inspect.signature(getattr(conn.algo, name)).parameters
        for option, default in RUN_DEFAULTS.items():
            assert params[option].default == default, (name, option)
            assert params[option].kind is inspect.Parameter.KEYWORD_ONLY
        doc = getattr(conn.algo, name).__doc__
        assert "Options (every algorithm takes them)" in doc and "Example:" in doc, name
        assert doc.index("Options") < doc.index("Example:"), name
    pagerank = inspect.signature(conn.algo.pagerank).parameters
    assert pagerank["damping_factor"].default == 0.85
    assert pagerank["max_iterations"].default == 100
    assert pagerank["tolerance"].default == 1e-10
    assert inspect.signature(conn.algo.louvain).parameters["resolution"].default == 1.0
    betweenness = inspect.signature(conn.algo.betweenness).parameters
    assert betweenness["samples"].default is None and betweenness["seed"].default is None


def test_methods_are_the_same_sync_and_async(conn: InstanceConnection[Any]) -> None:
    aio = InstanceConnection(
        AsyncHTTPClient(AsyncGraphOLAPClient().config),
        instance_id=1,
        control_plane_url="http://olap.test",
    )
    for manager in ("algo", "networkx"):
        sync_mgr, async_mgr = getattr(conn, manager), getattr(aio, manager)
        names = [n for n in dir(type(sync_mgr)) if not n.startswith("__")]
        methods = [n for n in names if inspect.isfunction(getattr(sync_mgr, n, None))]
        assert {"run", "list", "describe"} <= set(methods)
        for name in methods:
            s, a = getattr(sync_mgr, name), getattr(async_mgr, name)
            assert inspect.signature(s) == inspect.signature(a), name
            assert inspect.iscoroutinefunction(a) and not inspect.iscoroutinefunction(s), name
    assert conn.algo is conn.algo and conn.networkx is conn.networkx  # created once


# -- NetworkX attribute access ---------------------------------------------------------------


def test_networkx_attributes_are_algorithms_without_a_request(
    conn: InstanceConnection[Any],
) -> None:
    density = conn.networkx.density
    assert callable(density) and density.__name__ == "density"
    assert "conn.networkx.describe('density')" in (density.__doc__ or "")
    assert conn.networkx.betweenness_centrality.__name__ == "betweenness_centrality"
    louvain = conn.networkx.community.louvain_communities
    assert louvain.__qualname__ == "community.louvain_communities"
    assert repr(louvain) == "<NetworkX function 'community.louvain_communities'>"
    with pytest.raises(AttributeError):
        louvain._private  # noqa: B018


@pytest.mark.parametrize(
    "name", ["_private", "__wrapped__", "_repr_html_", "_ipython_canary_method_should_not_exist_"]
)
def test_networkx_private_names_are_not_algorithms(
    conn: InstanceConnection[Any], name: str
) -> None:
    with pytest.raises(AttributeError):
        getattr(conn.networkx, name)
    assert not hasattr(conn.networkx, name)


def test_networkx_dir_lists_names_once_fetched(conn: InstanceConnection[Any]) -> None:
    assert "run" in dir(conn.networkx) and "pagerank" not in dir(conn.networkx)
    conn.networkx._names = ["pagerank", "density"]
    assert {"pagerank", "density", "run", "list", "describe"} <= set(dir(conn.networkx))


# -- models ------------------------------------------------------------------------------------


def test_execution_parses_the_contract_and_ignores_unknown_fields() -> None:
    run = execution()
    assert (run.id, run.algorithm, run.status, run.phase) == (
        "ex-4f3a9c1b",
        "pagerank",
        "running",
        "computing",
    )
    assert run.progress is not None and run.progress.completed_steps == 2
    assert run.summary.nodes == 1000 and run.summary.nodes_written is None
    assert run.summary["modularity"] == 0.41 and run.summary.get("missing", 3) == 3
    assert run.summary.modularity == 0.41  # type: ignore[attr-defined]
    assert run.started_at is not None and run.started_at.year == 2025
    assert not run.is_finished and not run.succeeded
    assert repr(run) == (
        "<AlgorithmExecution ex-4f3a9c1b native pagerank (stream) running, phase computing>"
    )


@pytest.mark.parametrize(
    ("status", "finished", "succeeded"),
    [
        ("queued", False, False),
        ("running", False, False),
        ("completed", True, True),
        ("failed", True, False),
        ("cancelled", True, False),
    ],
)
def test_status_helpers(status: str, finished: bool, succeeded: bool) -> None:
    run = execution(status=status)
    assert (run.is_finished, run.succeeded) == (finished, succeeded)


def test_an_execution_not_got_from_a_connection_says_how_to_get_one() -> None:
    run = execution()
    for method in (run.wait, run.result, run.cancel, run.refresh):
        with pytest.raises(GraphOLAPError, match=r"conn\.algo\.execution\('ex-4f3a9c1b'\)"):
            method()


def test_algorithm_info_parses_and_prints() -> None:
    info = AlgorithmInfo.model_validate(
        {
            "name": "pagerank",
            "kind": "native",
            "title": "PageRank",
            "description": "Importance by random walks.",
            "parameters": [
                {"name": "damping_factor", "type": "float", "default": 0.85, "required": False,
                 "description": "jump", "choices": None, "minimum": 0, "maximum": 1},
            ],
            "modes": ["stream", "mutate"],
            "result_columns": ["pagerank"],
            "default_property": "pagerank",
            "default_orientation": "natural",
            "orientations": ["natural", "reverse", "undirected"],
            "weighted": True,
            "signature": None,
            "documentation": None,
        }
    )  # fmt: skip
    assert info.parameter("damping_factor").maximum == 1
    with pytest.raises(KeyError):
        info.parameter("nope")
    assert (
        repr(info) == "<AlgorithmInfo native pagerank(damping_factor) modes=['stream', 'mutate']>"
    )
    assert repr(info.parameters[0]) == (
        "<AlgorithmParameter damping_factor: float in [0, 1], default 0.85>"
    )
    assert "damping_factor: float, default 0.85 - jump" in str(info)


def test_lock_status_names_the_execution() -> None:
    free = LockStatus.model_validate({"locked": False})
    assert repr(free) == "LockStatus(unlocked)"
    held = LockStatus.model_validate(
        {
            "locked": True,
            "holder_id": "ex-1",
            "holder_username": "alan",
            "algorithm": "louvain",
            "execution_id": "ex-1",
            "locked_at": "2025-01-01T10:00:00Z",
        }
    )
    assert held.execution_id == "ex-1"
    assert "locked by alan running louvain, execution ex-1" in repr(held)


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "ALGORITHM_NOT_FOUND", AlgorithmNotFoundError),
        (400, "INVALID_PARAMETER", ValidationError),
        (400, "GRAPH_TOO_LARGE", GraphTooLargeError),
        (410, "RESULT_EXPIRED", ResultExpiredError),
        (409, "RESOURCE_LOCKED", ResourceLockedError),
    ],
)
def test_algorithm_codes_pick_their_class(status: int, code: str, cls: type) -> None:
    assert error_for_status(status, code) is cls


def test_error_classes_expose_their_details() -> None:
    missing = AlgorithmNotFoundError("x", details={"suggestions": ["pagerank"]})
    assert isinstance(missing, NotFoundError) and missing.suggestions == ["pagerank"]
    assert AlgorithmNotFoundError("x").suggestions == []
    assert issubclass(GraphTooLargeError, ValidationError)
    locked = ResourceLockedError(
        "x", details={"holder_username": "alan", "algorithm": "louvain", "execution_id": "ex-1"}
    )
    assert (locked.holder_username, locked.algorithm, locked.execution_id) == (
        "alan",
        "louvain",
        "ex-1",
    )


def test_failed_and_cancelled_executions_become_errors() -> None:
    assert unsuccessful(execution()) is None
    assert unsuccessful(execution(status="completed")) is None
    failed = unsuccessful(
        execution(
            status="failed",
            phase="done",
            progress={"phase": "computing"},
            error={"code": "ALGORITHM_FAILED", "message": "Graph is not connected."},
        )
    )
    assert isinstance(failed, AlgorithmFailedError)
    assert failed.message.startswith(
        "pagerank execution ex-4f3a9c1b failed in phase computing: Graph is not connected."
    )
    assert (failed.execution_id, failed.algorithm, failed.code) == (
        "ex-4f3a9c1b",
        "pagerank",
        "ALGORITHM_FAILED",
    )
    cancelled = unsuccessful(execution(status="cancelled"))
    assert isinstance(cancelled, AlgorithmCancelledError)
    assert "was cancelled" in cancelled.message and cancelled.execution_id == "ex-4f3a9c1b"


# -- the wait, stepped by hand -------------------------------------------------------------


class Driver:
    """Steps an operation generator: answers ``Now`` from a fake clock and each ``Call``
    with the next scripted execution, recording what was asked."""

    def __init__(self, answers: list[dict[str, Any]], clock_steps: list[float]) -> None:
        self.answers = answers
        self.clock = 0.0
        self.clock_steps = clock_steps
        self.calls: list[Call] = []

    def run(self, op: Any) -> Any:
        value: Any = None
        while True:
            try:
                step = op.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, Sleep):
                raise AssertionError("a long-polling wait never sleeps")
            if isinstance(step, Now):
                value = self.clock
            else:
                assert isinstance(step, Call)
                self.calls.append(step)
                self.clock += self.clock_steps.pop(0) if self.clock_steps else 0.0
                value = self.answers.pop(0)


def test_wait_long_polls_within_the_deadline_without_sleeping(
    conn: InstanceConnection[Any],
) -> None:
    progress = {"phase": "computing", "completed_steps": 2, "total_steps": 4}
    running = {**EXECUTION, "status": "running", "progress": {**progress, "token": "computing:2"}}
    done = {
        **EXECUTION,
        "status": "completed",
        "phase": "done",
        "progress": {"phase": "done", "completed_steps": 2, "total_steps": 4},
        "mode": "mutate",
    }
    driver = Driver([running, running, done], clock_steps=[30.0, 30.0, 1.0])
    start = conn.algo._handle(execution())
    seen: list[tuple[str, int, int]] = []
    op = start._follow(100.0, lambda *a: seen.append(a), None, known=True)
    result = driver.run(op)
    assert result is start and start.status == "completed"  # updated in place
    waits = [c.params["wait_ms"] for c in driver.calls if c.params]
    assert waits == [PROGRESS_WINDOW_MS] * 3  # progress shown: short windows
    # ... and the wrapper is told what was seen, so it answers as soon as progress moves
    assert [c.params.get("seen") for c in driver.calls if c.params][1:] == ["computing:2"] * 2
    assert all(c.path == "/algo/executions/ex-4f3a9c1b" for c in driver.calls)
    assert seen[0] == ("computing", 2, 4) and seen[-1] == ("done", 2, 4)


def test_wait_windows_shrink_to_the_deadline_then_time_out(
    conn: InstanceConnection[Any],
) -> None:
    running = {**EXECUTION, "status": "running"}
    driver = Driver([running] * 3, clock_steps=[30.0, 10.0, 0.0])
    op = conn.algo._handle(execution())._follow(40.0, None, None, known=False)
    with pytest.raises(TimeoutError) as caught:
        driver.run(op)
    waits = [c.params["wait_ms"] for c in driver.calls if c.params]
    assert waits == [LONG_POLL_MS, 10000]
    message = caught.value.message
    assert message.startswith("pagerank execution ex-4f3a9c1b is still 'running'")
    assert "conn.algo.execution('ex-4f3a9c1b').wait()" in message
    assert "cancel it with conn.algo.execution('ex-4f3a9c1b').cancel()" in message
    assert caught.value.details["execution_id"] == "ex-4f3a9c1b"


def test_wait_raises_the_failure_and_updates_the_handle(conn: InstanceConnection[Any]) -> None:
    failed = {**EXECUTION, "status": "failed", "error": {"code": "ALGORITHM_FAILED",
                                                         "message": "boom"}}  # fmt: skip
    handle = conn.algo._handle(execution())
    with pytest.raises(AlgorithmFailedError, match="boom"):
        Driver([failed], []).run(handle._follow(10.0, None, None, known=False))
    assert handle.status == "failed"


def test_interrupting_a_wait_says_the_execution_keeps_running(
    conn: InstanceConnection[Any],
) -> None:
    op = conn.algo._handle(execution())._follow(10.0, None, None, known=False)
    step = op.send(None)
    while not isinstance(step, Call):  # the clock, then the first long poll
        assert isinstance(step, Now)
        step = op.send(0.0)
    with pytest.raises(KeyboardInterrupt) as caught:
        op.throw(KeyboardInterrupt())
    text = str(caught.value)
    assert "Stopped waiting for pagerank execution ex-4f3a9c1b" in text
    assert "keeps running" in text and "conn.algo.execution('ex-4f3a9c1b').wait()" in text
