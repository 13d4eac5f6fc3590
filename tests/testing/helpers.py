"""Checks from outside a test run: what a user's resources look like on the platform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_olap import GraphOLAPClient, NotFoundError

USER_CONFTEST = 'pytest_plugins = ["graph_olap.testing.pytest_plugin"]\n'


def read_ids(path: Path) -> dict[str, list[int]]:
    """The ``[kind, id]`` lines a user test wrote as it created resources."""
    ids: dict[str, list[int]] = {"instance": [], "snapshot": [], "mapping": []}
    for line in path.read_text().splitlines():
        kind, rid = json.loads(line)
        ids[kind].append(rid)
    return ids


def assert_all_gone(client: GraphOLAPClient, ids: dict[str, list[int]]) -> None:
    """Every instance in ``ids`` is terminated, every snapshot and mapping deleted, and the
    user owns nothing else that is alive."""
    for iid in ids["instance"]:
        assert client.instances.get(iid).status == "terminated", f"instance {iid} still alive"
    for sid in ids["snapshot"]:
        with pytest.raises(NotFoundError):
            client.snapshots.get(sid)
    for mid in ids["mapping"]:
        with pytest.raises(NotFoundError):
            client.mappings.get(mid)
    assert_owns_nothing(client)


def assert_owns_nothing(client: GraphOLAPClient) -> None:
    me = client.config.username
    alive = [
        (i.id, i.status)
        for i in client.instances.list(owner=me, limit=100)
        if i.status not in ("terminated", "failed")
    ]
    assert alive == []
    assert [s.id for s in client.snapshots.list(owner=me, limit=100)] == []
    assert [m.id for m in client.mappings.list(owner=me, limit=100)] == []


def plain_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subprocess pytest runs load only the plugins their conftest names: the plugin must
    work without entry points, and the run starts in a second instead of ten."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
