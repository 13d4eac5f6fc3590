"""Fuzzing targets of their own: a control plane (stand-in instance wrappers) seeded with
a few resources, and a real wrapper process over a small snapshot. Fuzzed DELETEs and
POSTs land there, never on the session's shared platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.defs import ACCOUNT, CUSTOMER, OWNS
from tests.e2e.server_helpers import running_platform
from tests.fuzz.harness import OPERATIONS, REQUESTS, Target, control_plane_document
from tests.fuzz.harness import wrapper_document as build_wrapper_document
from tests.wrapper.conftest import build_snapshot, loaded_wrapper


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A control plane with alice's mapping, ready snapshot and running instance, bob's
    mapping and alice's favorite (ids 1 and 2 exist, so fuzzed ids reach real rows)."""
    with running_platform(tmp_path_factory.mktemp("fuzz-platform")) as plat:
        alice, bob = plat.api("alice"), plat.api("bob")
        mapping = alice.mapping([CUSTOMER, ACCOUNT], [OWNS])
        bob.mapping([CUSTOMER])
        snapshot = alice.snapshot(mapping)
        assert alice.settled_snapshot(snapshot)["status"] == "ready"
        instance = alice.post("/instances", {"snapshot_id": snapshot, "name": "fuzzed"}, 201)
        alice.instance_in(instance["id"], "running")
        alice.post("/favorites", {"resource_type": "mapping", "resource_id": mapping}, 201)
        target = Target("control-plane", plat.url, control_plane_document())
        try:
            yield target
        finally:
            target.close()


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A loaded kuzu wrapper process that trusts alice (X-Username)."""
    snapshot = build_snapshot(tmp_path_factory.mktemp("fuzz-snapshot"))
    with loaded_wrapper(snapshot, tmp_path_factory.mktemp("fuzz-instance")) as running:
        target = Target("wrapper", running.url, build_wrapper_document())
        try:
            yield target
        finally:
            target.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REQUESTS:
        return
    parts = [
        f"{name}: {REQUESTS[name]} requests over {len(OPERATIONS[name])} operations"
        for name in sorted(REQUESTS)
    ]
    terminalreporter.write_line(f"fuzzing: {sum(REQUESTS.values())} requests; " + "; ".join(parts))
