"""Fixtures of the security tests: callers of every role, and a running instance of alice's.

Every key created here is registered with the session's secret canary, so a leak of any
of them anywhere in the run fails it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph_olap import GraphOLAPClient
from graph_olap_server.runner import ServerThread
from tests.conftest import INTERNAL_KEY
from tests.e2e.defs import CUSTOMER
from tests.security.canary import SecretCanary


@dataclasses.dataclass(frozen=True)
class Keys:
    """API keys created through the admin API: carol's (an analyst who owns nothing) and
    one of alice's own (an analyst key for the owner of the instance)."""

    carol: str
    alice: str


@pytest.fixture(scope="session")
def api_keys(server: ServerThread, secret_canary: SecretCanary) -> Keys:
    made: dict[str, str] = {}
    with httpx.Client(
        base_url=server.url, headers={"X-Username": "admin"}, trust_env=False
    ) as admin:
        for user in ("carol", "alice"):
            answer = admin.post("/api/admin/api-keys", json={"username": user, "role": "analyst"})
            assert answer.status_code == 201, f"creating {user}'s API key: {answer.status_code}"
            made[user] = answer.json()["data"]["key"]
            secret_canary.add(made[user], f"{user}'s API key")
    return Keys(**made)


@pytest.fixture(scope="session")
def roles(api_keys: Keys) -> dict[str, dict[str, str]]:
    """The headers of each kind of caller of the matrix."""
    return {
        "anonymous": {},
        "alice (analyst)": {"X-Username": "alice"},
        "bob (analyst)": {"X-Username": "bob"},
        "ops": {"X-Username": "ops"},
        "admin": {"X-Username": "admin"},
        "internal key": {"X-Internal-Api-Key": INTERNAL_KEY},
        "API-key analyst": {"Authorization": f"Bearer {api_keys.carol}"},
    }


@dataclasses.dataclass(frozen=True)
class World:
    """Alice's resources: a mapping, the snapshot and the running instance made from it."""

    mapping_id: int
    snapshot_id: int
    instance_id: int
    instance_url: str
    wrapper_token: str
    wrapper_pid: int


def _row(server: ServerThread, table: str, ident: int) -> dict[str, Any]:
    path = server.settings.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.row_factory = sqlite3.Row
        found = con.execute(f"SELECT * FROM {table} WHERE id = ?", (ident,)).fetchone()
    assert found is not None, (table, ident)
    return dict(found)


@pytest.fixture(scope="session")
def world(server: ServerThread, api_keys: Keys, secret_canary: SecretCanary) -> Iterator[World]:
    """Alice's running instance. It is started while the control plane's environment holds
    the internal key and an API key (as a deployment's would), so the tests can check the
    wrapper process inherits neither."""
    with GraphOLAPClient(server.url, username="alice", max_retries=1) as alice:
        mapping = alice.mappings.create(
            f"sec-{uuid.uuid4().hex[:8]}", "security tests", [CUSTOMER], []
        )
        with pytest.MonkeyPatch.context() as env:
            env.setenv("GRAPH_OLAP_INTERNAL_API_KEY", INTERNAL_KEY)
            env.setenv("GRAPH_OLAP_API_KEY", api_keys.alice)
            instance = alice.instances.create_from_mapping_and_wait(
                mapping.id, f"sec-{uuid.uuid4().hex[:8]}", timeout=120
            )
        try:
            row = _row(server, "instances", instance.id)
            secret_canary.add(row["wrapper_token"], "alice's wrapper token")
            assert instance.instance_url and instance.snapshot_id
            yield World(
                mapping_id=mapping.id,
                snapshot_id=instance.snapshot_id,
                instance_id=instance.id,
                instance_url=instance.instance_url,
                wrapper_token=row["wrapper_token"],
                wrapper_pid=int(row["pid"]),
            )
        finally:
            alice.instances.terminate(instance.id)
