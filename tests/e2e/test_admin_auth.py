"""client.admin (bulk delete), authentication modes and idempotent creation, end to end."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from graph_olap import (
    AuthenticationError,
    ForbiddenError,
    GraphOLAPClient,
    ValidationError,
)
from graph_olap_server.runner import ServerThread
from graph_olap_server.settings import Settings

from ..conftest import INTERNAL_KEY
from .defs import CUSTOMER


def _make(client: GraphOLAPClient, prefix: str, n: int) -> list[int]:
    return [
        client.mappings.create(
            f"{prefix}{i}", "bulk", node_definitions=[CUSTOMER], edge_definitions=[]
        ).id
        for i in range(n)
    ]


def test_bulk_delete_dry_run_then_delete(
    client: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    prefix = f"E2ETest-{uuid.uuid4().hex[:6]}-"
    ids = _make(client, prefix, 3)
    preview = admin_client.admin.bulk_delete(
        "mapping", {"name_prefix": prefix}, "test-cleanup", dry_run=True
    )
    assert preview.dry_run
    assert preview.matched_count == 3
    assert preview.matched_ids == ids
    assert preview.deleted_count == 0
    assert client.mappings.list(search=prefix).total == 3  # dry run deleted nothing

    with pytest.raises(ValidationError, match="expected_count is 2 but the filters match 3"):
        admin_client.admin.bulk_delete(
            "mapping", {"name_prefix": prefix}, "cleanup", expected_count=2
        )
    assert client.mappings.list(search=prefix).total == 3  # a mismatch deletes nothing

    done = admin_client.admin.bulk_delete(
        "mapping", {"name_prefix": prefix, "created_by": "alice"}, "cleanup", expected_count=3
    )
    assert done.deleted_ids == ids
    assert done.failed_ids == []
    assert client.mappings.list(search=prefix).total == 0


def test_bulk_delete_safety_rules(client: GraphOLAPClient, admin_client: GraphOLAPClient) -> None:
    with pytest.raises(ValidationError, match="at least one filter"):
        admin_client.admin.bulk_delete("mapping", {}, "no filter")
    with pytest.raises(ValidationError, match="reason"):
        admin_client.admin.bulk_delete("mapping", {"name_prefix": "x"}, "r" * 501)
    with pytest.raises(ValidationError, match="resource_type"):
        admin_client.admin.bulk_delete("table", {"name_prefix": "x"}, "bad type")
    with pytest.raises(ForbiddenError, match="admin"):
        client.admin.bulk_delete("mapping", {"created_by": "alice"}, "analyst tries", dry_run=True)


def test_bulk_delete_refuses_more_than_100(
    client: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    prefix = f"Many-{uuid.uuid4().hex[:6]}-"
    _make(client, prefix, 101)
    with pytest.raises(ValidationError, match="match 101 mappings; at most 100"):
        admin_client.admin.bulk_delete("mapping", {"name_prefix": prefix}, "too many", dry_run=True)
    first = admin_client.admin.bulk_delete("mapping", {"name_prefix": prefix + "1"}, "narrowed")
    assert first.deleted_count == 12  # 1, 10-19, 100
    rest = admin_client.admin.bulk_delete("mapping", {"name_prefix": prefix}, "the rest")
    assert rest.deleted_count == 89


def test_authentication_modes(
    server: ServerThread, anonymous: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    with pytest.raises(AuthenticationError, match="username") as err:
        anonymous.mappings.list()
    assert err.value.status_code == 401

    bad = GraphOLAPClient(server.url, internal_api_key="wrong", max_retries=0)
    with bad, pytest.raises(AuthenticationError, match="X-Internal-Api-Key"):
        bad.mappings.list()
    with GraphOLAPClient(
        server.url, internal_api_key=INTERNAL_KEY, username="svc-user"
    ) as internal:
        created = internal.mappings.create(
            "internal", "x", node_definitions=[CUSTOMER], edge_definitions=[]
        )
        assert created.owner_username == "svc-user"

    bad_key = GraphOLAPClient(server.url, api_key="gok_not_a_key", max_retries=0)
    with bad_key, pytest.raises(AuthenticationError, match="not valid or has been revoked"):
        bad_key.mappings.list()


def test_api_keys_created_by_admin_carry_a_role(
    server: ServerThread, admin_client: GraphOLAPClient
) -> None:
    raw = httpx.post(
        f"{server.url}/api/admin/api-keys",
        json={"username": "carol", "role": "analyst"},
        headers={"X-Username": "admin"},
    )
    assert raw.status_code == 201
    key = raw.json()["data"]["key"]
    with GraphOLAPClient(server.url, api_key=key) as carol:
        m = carol.mappings.create("carol's", "x", node_definitions=[CUSTOMER], edge_definitions=[])
        assert m.owner_username == "carol"
        with pytest.raises(ForbiddenError):
            carol.admin.bulk_delete("mapping", {"created_by": "carol"}, "x", dry_run=True)
        assert key not in repr(carol) and key not in repr(carol.config)
    listed = httpx.get(f"{server.url}/api/admin/api-keys", headers={"X-Username": "admin"}).json()[
        "data"
    ]
    assert key not in str(listed)  # only the hash is stored; the key is shown once


def test_repeated_post_with_same_idempotency_key_creates_once(
    server: ServerThread, client: GraphOLAPClient
) -> None:
    name = f"idem-{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "description": "x",
        "node_definitions": [CUSTOMER],
        "edge_definitions": [],
    }
    headers = {"X-Username": "alice", "Idempotency-Key": uuid.uuid4().hex}
    with httpx.Client(base_url=server.url, headers=headers) as raw:
        first = raw.post("/api/mappings", json=body)
        second = raw.post("/api/mappings", json=body)
        other_body = raw.post("/api/mappings", json={**body, "name": name + "-x"})
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["data"]["id"] == first.json()["data"]["id"]
    assert other_body.status_code == 422
    assert other_body.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert client.mappings.list(search=name).total == 1


def test_client_error_is_replayed_for_the_same_key(
    server: ServerThread, client: GraphOLAPClient
) -> None:
    """A final 4xx answer is replayed as is; the client must use a new key to try again."""
    bad = {"name": "x", "description": "x", "node_definitions": [], "edge_definitions": []}
    headers = {"X-Username": "alice", "Idempotency-Key": uuid.uuid4().hex}
    with httpx.Client(base_url=server.url, headers=headers) as raw:
        assert raw.post("/api/mappings", json=bad).status_code == 400
        again = raw.post("/api/mappings", json=bad)
    assert again.status_code == 400
    assert again.headers["idempotent-replayed"] == "true"


def test_error_envelope_for_unknown_routes_and_big_bodies(server: ServerThread) -> None:
    missing = httpx.get(f"{server.url}/api/nothing-here", headers={"X-Username": "alice"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    huge = httpx.post(
        f"{server.url}/api/mappings",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={"X-Username": "alice", "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert huge.headers["x-request-id"]


def test_rate_limited_answers_are_not_replayed(tmp_path: Path) -> None:
    """A 429 must reach every retry fresh, with its Retry-After, not as a recorded replay."""
    settings = Settings(data_dir=tmp_path, run_scheduler=False, job_trigger_min_interval=60)
    body = {"job_name": "schema_cache", "reason": "idempotency test"}
    with ServerThread(settings) as server, httpx.Client(base_url=server.url) as raw:
        ok = raw.post("/api/ops/jobs/trigger", json=body, headers={"X-Username": "ops"})
        assert ok.status_code == 200
        headers = {"X-Username": "ops", "Idempotency-Key": uuid.uuid4().hex}
        first = raw.post("/api/ops/jobs/trigger", json=body, headers=headers)
        again = raw.post("/api/ops/jobs/trigger", json=body, headers=headers)
    assert first.status_code == again.status_code == 429
    assert "idempotent-replayed" not in again.headers
    assert 0 < int(again.headers["retry-after"]) <= 60
