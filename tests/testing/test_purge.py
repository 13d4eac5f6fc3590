"""``purge_leftovers`` removes what an earlier, crashed run left (a running instance, its
snapshot, its mapping), and nothing younger than the age limit or owned by someone else."""

from __future__ import annotations

import datetime as dt

import pytest

from graph_olap import GraphOLAPClient, NotFoundError
from graph_olap.testing import TestFixtures, purge_leftovers, random_name
from graph_olap_server.runner import ServerThread
from tests.testing.helpers import assert_owns_nothing


def test_purge_removes_a_crashed_runs_leftovers(server: ServerThread) -> None:
    user, other_user = random_name("crashed"), random_name("bystander")
    with (
        GraphOLAPClient(server.url, username=user, max_retries=1) as client,
        GraphOLAPClient(server.url, username=other_user, max_retries=1) as other,
    ):
        crashed = TestFixtures(client)  # an earlier run that never got to clean up
        instance = crashed.create_instance(name="left-running")
        extra = crashed.create_mapping(name="left-idle", edge_definitions=[])
        bystander = TestFixtures(other).create_mapping(name="not-mine", edge_definitions=[])
        try:
            young = purge_leftovers(client)  # default: only older than an hour
            assert (young.instances, young.snapshots, young.mappings) == ([], [], [])
            assert client.instances.get(instance.id).status == "running"

            preview = purge_leftovers(client, older_than=dt.timedelta(0), dry_run=True)
            assert preview.instances == [instance.id]
            assert preview.snapshots == [instance.snapshot_id]
            assert preview.mappings == sorted([instance.mapping_id, extra.id])
            assert client.instances.get(instance.id).status == "running"
            assert str(preview).startswith("would purge 1 instance(s), 1 snapshot(s), 2 mapp")

            report = purge_leftovers(client, older_than=dt.timedelta(0))
            assert report.ok, str(report)
            assert (report.instances, report.snapshots, report.mappings) == (
                preview.instances,
                preview.snapshots,
                preview.mappings,
            )
            assert client.instances.get(instance.id).status == "terminated"
            assert_owns_nothing(client)
            assert other.mappings.get(bystander.id).name == bystander.name  # not mine: kept
        finally:
            crashed.cleanup()  # a no-op when the purge worked
            other.mappings.delete(bystander.id)
        with pytest.raises(NotFoundError):
            other.mappings.get(bystander.id)


def test_purge_refuses_an_empty_prefix(server: ServerThread) -> None:
    with (
        GraphOLAPClient(server.url, username="nobody", max_retries=1) as client,
        pytest.raises(ValueError, match="prefix must not be empty"),
    ):
        purge_leftovers(client, prefix="")
