"""Resource ownership with real resources: another analyst cannot change, delete, terminate
or use alice's mapping, snapshot and instance, nor touch her favorites; ops cannot change
them either; the owner and an admin can.

The platform's policy (docs/security.md): every authenticated user may *read* every
mapping, snapshot and instance row (analysts share and copy mappings), including an
instance's ``instance_url``. The URL is not a credential: the wrapper behind it lets in
only the owner, ops and admins. No answer ever carries the wrapper token.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graph_olap import GraphOLAPClient, PermissionDeniedError
from graph_olap_server.runner import ServerThread
from tests.security import policy
from tests.security.conftest import World
from tests.security.test_authorization import fill

OWNER_BODIES: dict[str, Any] = {
    "POST /api/snapshots/{snapshot_id}/cancel": None,
    # valid bodies, so that the owner check (not validation) decides the answer
    "PUT /api/mappings/{mapping_id}": {"change_description": "bob was here"},
    "DELETE /api/mappings/{mapping_id}": None,
    "PUT /api/mappings/{mapping_id}/lifecycle": {"ttl": "P1D"},
    "PUT /api/snapshots/{snapshot_id}": {"name": "bob was here"},
    "DELETE /api/snapshots/{snapshot_id}": None,
    "PUT /api/snapshots/{snapshot_id}/lifecycle": {"ttl": "P1D"},
    "POST /api/snapshots/{snapshot_id}/retry": None,
    "PUT /api/instances/{instance_id}": {"name": "bob was here"},
    "POST /api/instances/{instance_id}/terminate": None,
    "PUT /api/instances/{instance_id}/cpu": {"cpu_cores": 2},
    "PUT /api/instances/{instance_id}/lifecycle": {"inactivity_timeout": "PT2H"},
    "POST /api/instances/{instance_id}/extend-ttl": {"hours": 1},
    "GET /api/instances/{instance_id}/access": None,
}
USES_NOT_CHANGES = {"GET /api/instances/{instance_id}/access"}
"""Using an instance: ops may (to help), only changing needs the owner or an admin."""


def _ids(world: World) -> dict[str, str]:
    return {
        "mapping_id": str(world.mapping_id),
        "snapshot_id": str(world.snapshot_id),
        "instance_id": str(world.instance_id),
    }


def _state(http: httpx.Client, world: World) -> dict[str, Any]:
    """What bob's attempts must not change."""
    admin = {"X-Username": "admin"}
    mapping = http.get(f"/api/mappings/{world.mapping_id}", headers=admin).json()["data"]
    snapshot = http.get(f"/api/snapshots/{world.snapshot_id}", headers=admin).json()["data"]
    instance = http.get(f"/api/instances/{world.instance_id}", headers=admin).json()["data"]
    return {
        "mapping": (mapping["current_version"], mapping["ttl"]),
        "snapshot": (snapshot["name"], snapshot["ttl"], snapshot["status"]),
        "instance": (
            instance["name"],
            instance["status"],
            instance["cpu_cores"],
            instance["inactivity_timeout"],
            instance["expires_at"],
        ),
    }


def test_other_users_cannot_change_or_use_alices_resources(
    server: ServerThread, roles: dict[str, dict[str, str]], world: World
) -> None:
    owner_routes = {k for k, v in policy.CONTROL_PLANE.items() if v == policy.OWNER}
    assert set(OWNER_BODIES) == owner_routes, (
        "every OWNER endpoint needs a valid request body in OWNER_BODIES of "
        f"tests/security/test_ownership.py; missing {sorted(owner_routes - set(OWNER_BODIES))}"
    )
    intruders = {name: roles[name] for name in ("bob (analyst)", "API-key analyst", "ops")}
    problems = []
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
        before = _state(http, world)
        for key, body in OWNER_BODIES.items():
            method, path = key.split(" ", 1)
            for name, headers in intruders.items():
                if name == "ops" and key in USES_NOT_CHANGES:
                    continue
                answer = http.request(method, fill(path, _ids(world)), headers=headers, json=body)
                error = answer.json().get("error", {}) if answer.content else {}
                if answer.status_code != 403 or error.get("details", {}).get("owner") != "alice":
                    problems.append(f"{key} as {name}: {answer.status_code} {answer.text[:200]}")
        assert not problems, "\n".join(problems)
        assert _state(http, world) == before, "a refused request changed alice's resources"

        # ... while the owner, ops (to use) and an admin (to change) are let in
        alice, admin = roles["alice (analyst)"], roles["admin"]
        access = f"/api/instances/{world.instance_id}/access"
        assert http.get(access, headers=alice).json()["data"]["username"] == "alice"
        assert http.get(access, headers=roles["ops"]).status_code == 200
        described = http.put(
            f"/api/instances/{world.instance_id}", headers=alice, json={"description": "mine"}
        )
        assert described.status_code == 200
        by_admin = http.put(
            f"/api/snapshots/{world.snapshot_id}", headers=admin, json={"description": "admin's"}
        )
        assert by_admin.status_code == 200


def test_reading_alices_instance_shows_no_token(
    server: ServerThread, roles: dict[str, dict[str, str]], world: World
) -> None:
    """Bob may read the rows (the policy: analysts see everything), never a token."""
    bob = roles["bob (analyst)"]
    reads = [
        f"/api/instances/{world.instance_id}",
        f"/api/instances/{world.instance_id}/progress",
        "/api/instances?owner=alice",
        f"/api/snapshots/{world.snapshot_id}",
        f"/api/mappings/{world.mapping_id}/tree",
    ]
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
        answers = [http.get(path, headers=bob) for path in reads]
    assert [a.status_code for a in answers] == [200] * len(reads)
    instance = answers[0].json()["data"]
    assert instance["owner_username"] == "alice"
    assert instance["instance_url"] == world.instance_url  # visible, but not a credential
    assert not [k for k in instance if "token" in k or "pid" in k or k == "port"]
    leaked = [path for path, a in zip(reads, answers, strict=True) if world.wrapper_token in a.text]
    assert not leaked, f"the wrapper token appears in the answers of {leaked}"


def test_bob_cannot_query_alices_instance_with_the_sdk(
    server: ServerThread, bob: GraphOLAPClient, world: World
) -> None:
    with (
        pytest.raises(PermissionDeniedError, match="belongs to 'alice'") as denied,
        bob.instances.connect(world.instance_id) as conn,
    ):
        conn.query("MATCH (c:Customer) RETURN count(c)")
    assert denied.value.status_code == 403


def test_favorites_are_per_user(
    server: ServerThread, roles: dict[str, dict[str, str]], world: World
) -> None:
    alice, bob = roles["alice (analyst)"], roles["bob (analyst)"]
    favorite = f"/api/favorites/mapping/{world.mapping_id}"
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as http:
        added = http.post(
            "/api/favorites",
            headers=alice,
            json={"resource_type": "mapping", "resource_id": world.mapping_id},
        )
        assert added.status_code == 201
        try:
            bobs = http.get("/api/favorites", headers=bob).json()["data"]
            assert world.mapping_id not in [f["resource_id"] for f in bobs]
            assert http.delete(favorite, headers=bob).status_code == 404  # not his
            alices = http.get("/api/favorites", headers=alice).json()["data"]
            assert world.mapping_id in [f["resource_id"] for f in alices]
        finally:
            assert http.delete(favorite, headers=alice).status_code == 204
