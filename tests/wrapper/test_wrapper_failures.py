"""Broken snapshots end the load in ``failed`` with a message naming what broke.

The wrappers of all cases start together (one process each) and are checked afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wrapper.conftest import EDGES, NODES, TOKEN, Wrapper, build_snapshot

CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # case: (engines, words the failure message must contain)
    "duplicate_key": (("kuzu", "ryugraph"), ("node Account", "duplicated primary key", "A5")),
    "missing_endpoint": (("kuzu", "ryugraph"), ("edge OWNS", "Customer->Account", "4000")),
    "bad_type": (
        ("kuzu", "ryugraph"),
        ("node Account", "column 'kind' holds STRING values but is declared INT64"),
    ),
    "missing_file": (("kuzu",), ("edge TRANSFER", "missing")),
}


def _case_snapshot(case: str, folder: Path) -> Path:
    nodes, edges = dict(NODES), dict(EDGES)
    # no DECIMAL column: its Arrow load path costs each process a second of imports
    customer_sql, customer_key, customer_props = nodes["Customer"]
    no_decimal = customer_sql.replace(", (i * 12.34)::DECIMAL(12,2) AS balance", "")
    nodes["Customer"] = (no_decimal, customer_key, customer_props[:-1])
    sql, key, props = nodes["Account"]
    if case == "duplicate_key":
        nodes["Account"] = (
            f"{sql} UNION ALL SELECT 'A5', 'savings', TIMESTAMP '2020-01-01'",
            key,
            props,
        )
    elif case == "bad_type":
        nodes["Account"] = (sql, key, [("kind", "INT64"), ("opened", "TIMESTAMP")])
    elif case == "missing_endpoint":
        owns_sql, ends, owns_props = edges["OWNS"]
        edges["OWNS"] = (
            f"{owns_sql} UNION ALL SELECT 4000, 'A1', DATE '2022-01-01'",
            ends,
            owns_props,
        )
    only = ("TRANSFER",) if case == "missing_file" else ()
    return build_snapshot(folder, nodes, edges, manifest_only=only)


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Wrapper]]:
    wrappers: dict[tuple[str, str], Wrapper] = {}
    try:
        for case, (engines, _) in CASES.items():
            snapshot = _case_snapshot(case, tmp_path_factory.mktemp(f"snap-{case}"))
            for engine in engines:
                data_dir = tmp_path_factory.mktemp(f"inst-{case}-{engine}")
                wrappers[case, engine] = Wrapper(snapshot, data_dir, engine)
        for running in wrappers.values():
            running.wait()
        yield wrappers
    finally:
        for running in wrappers.values():
            running.terminate()
        for running in wrappers.values():
            running.stop()


@pytest.mark.parametrize(
    ("case", "engine"), [(c, e) for c, (engines, _) in CASES.items() for e in engines]
)
def test_a_broken_snapshot_fails_with_a_message(
    failed: dict[tuple[str, str], Wrapper], case: str, engine: str
) -> None:
    running = failed[case, engine]
    health = running.http.get("/health").json()
    assert health["status"] == "failed" and health["phase"] == "failed"
    message = health["error"]
    for word in CASES[case][1]:
        assert word in message, message
    progress = running.http.get("/progress", headers={"X-Wrapper-Token": TOKEN}).json()
    assert progress["phase"] == "failed" and progress["error_message"] == message
    if case != "missing_file":  # found while loading: the failing step says so
        broken = [s for s in progress["steps"] if s["status"] == "failed"]
        assert len(broken) == 1 and broken[0]["error"] in message
    not_ready = running.http.get("/ready")
    assert (
        not_ready.status_code == 503 and not_ready.json()["error"]["details"]["phase"] == "failed"
    )
    query = running.query("RETURN 1")
    assert query.status_code == 503 and message in query.json()["error"]["message"]
