"""client.mappings end to end against the local platform."""

from __future__ import annotations

import uuid

import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    ForbiddenError,
    GraphOLAPClient,
    NodeDefinition,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

from .defs import ACCOUNT, CUSTOMER, OWNS, TRANSFER, with_changes


def _name(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _create(client: GraphOLAPClient, name: str | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.mappings.create(
        name or _name(),
        "customers and accounts",
        node_definitions=[CUSTOMER, ACCOUNT],
        edge_definitions=[OWNS],
        **kwargs,  # type: ignore[arg-type]
    )


def test_create_get_and_list(client: GraphOLAPClient) -> None:
    name = _name("bank")
    created = _create(client, name, ttl="P7D", inactivity_timeout="PT12H")
    assert created.id > 0
    assert created.owner_username == "alice"
    assert created.current_version == 1
    assert [n.label for n in created.node_definitions] == ["Customer", "Account"]
    assert created.edge_definitions[0].from_node == "Customer"
    assert created.ttl == "P7D"

    fetched = client.mappings.get(created.id)
    assert fetched == created

    page = client.mappings.list(search=name)
    assert page.total == 1
    assert [m.id for m in page] == [created.id]
    assert page[0].name == name


def test_models_and_dicts_are_equivalent(client: GraphOLAPClient) -> None:
    as_model = NodeDefinition.model_validate(CUSTOMER)
    m = client.mappings.create(
        _name(), "model input", node_definitions=[as_model], edge_definitions=[]
    )
    assert m.node_definitions == [as_model]


def test_update_creates_immutable_versions_and_diff(client: GraphOLAPClient) -> None:
    m = _create(client)
    customer_v2 = with_changes(
        CUSTOMER,
        sql="SELECT customer_id, name, city, segment FROM sample.bank.customers",
        properties=[*CUSTOMER["properties"], {"name": "segment", "type": "STRING"}],
    )
    updated = client.mappings.update(
        m.id,
        "Add segment and transfers",
        node_definitions=[customer_v2, ACCOUNT],
        edge_definitions=[OWNS, TRANSFER],
    )
    assert updated.current_version == 2
    assert updated.change_description == "Add segment and transfers"

    v1 = client.mappings.get_version(m.id, 1)
    assert [p.name for p in v1.node_definitions[0].properties] == ["name", "city"]
    assert [v.version for v in client.mappings.list_versions(m.id)] == [1, 2]

    diff = client.mappings.diff_versions(m.id, from_version=1, to_version=2)
    assert diff.summary.nodes_modified == 1
    assert diff.summary.edges_added == 1
    assert diff.summary.nodes_added == diff.summary.edges_removed == 0
    (node_change,) = diff.nodes
    assert node_change.key == "Customer"
    assert node_change.fields_changed == ["properties", "sql"]
    assert [e.key for e in diff.edges] == ["TRANSFERRED_TO"]
    assert diff["summary"]["edges_added"] == 1  # dict-style access as in the seed

    # only the edges change: node definitions are kept from the current version
    v3 = client.mappings.update(m.id, "Drop transfers", edge_definitions=[OWNS])
    assert v3.current_version == 3
    assert v3.node_definitions == updated.node_definitions
    assert client.mappings.diff_versions(m.id, 2, 3).summary.edges_removed == 1
    assert client.mappings.diff_versions(m.id, 1, 1).is_empty


def test_copy_set_lifecycle_tree_and_delete(client: GraphOLAPClient, bob: GraphOLAPClient) -> None:
    original = _create(client)
    copy = bob.mappings.copy(original.id, "bob's copy")
    assert copy.owner_username == "bob"
    assert copy.current_version == 1
    assert copy.node_definitions == original.node_definitions

    changed = client.mappings.set_lifecycle(original.id, ttl="P30D")
    assert changed.ttl == "P30D"
    assert changed.inactivity_timeout is None
    cleared = client.mappings.set_lifecycle(original.id, ttl="")
    assert cleared.ttl is None

    tree = client.mappings.get_tree(original.id)
    assert tree.mapping_id == original.id
    assert [v["version"] for v in tree.versions] == [1]
    assert tree.versions[0]["snapshots"] == []
    assert client.mappings.list_snapshots(original.id).total == 0

    client.mappings.delete(original.id)
    with pytest.raises(NotFoundError, match=f"Mapping {original.id} does not exist"):
        client.mappings.get(original.id)
    assert bob.mappings.get(copy.id).name == "bob's copy"


def test_only_owner_or_admin_changes_a_mapping(
    client: GraphOLAPClient, bob: GraphOLAPClient, admin_client: GraphOLAPClient
) -> None:
    m = _create(client)
    assert bob.mappings.get(m.id).id == m.id  # reading is shared
    with pytest.raises(PermissionDeniedError, match="belongs to 'alice'") as err:
        bob.mappings.update(m.id, "hijack", edge_definitions=[])
    assert err.value.status_code == 403
    with pytest.raises(ForbiddenError):
        bob.mappings.delete(m.id)
    with pytest.raises(ForbiddenError):
        bob.mappings.set_lifecycle(m.id, ttl="P1D")
    assert client.mappings.get(m.id).current_version == 1  # nothing changed
    assert admin_client.mappings.update(m.id, "admin fix", edge_definitions=[]).current_version == 2
    admin_client.mappings.delete(m.id)


def test_list_filters_sorting_and_paging(client: GraphOLAPClient, bob: GraphOLAPClient) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"page-{tag}-{i}" for i in range(5)]
    for name in names:
        _create(client, name)
    _create(bob, f"page-{tag}-bob")

    first = client.mappings.list(
        search=f"page-{tag}", owner="alice", sort_by="name", sort_order="asc", limit=2
    )
    assert first.total == 5
    assert [m.name for m in first] == names[:2]
    assert first.has_more
    assert [m.name for m in first.iter_all()] == names  # walks pages 2 and 3 lazily
    desc = client.mappings.list(search=f"page-{tag}", sort_by="name", sort_order="desc", limit=100)
    assert next(m.name for m in desc) == f"page-{tag}-bob"
    assert client.mappings.list(search=f"PAGE-{tag}-BOB").total == 1  # case-insensitive
    assert (
        client.mappings.list(search=f"page-{tag}", created_after="2999-01-01T00:00:00Z").total == 0
    )


@pytest.mark.parametrize("limit", [0, -5])
def test_limit_below_one_is_a_clear_error(client: GraphOLAPClient, limit: int) -> None:
    with pytest.raises(ValidationError, match="limit must be between 1 and 100") as err:
        client.mappings.list(limit=limit)
    assert err.value.code == "VALIDATION_ERROR"
    assert "iter_all" in err.value.message


@pytest.mark.parametrize("limit", [101, 1000])
def test_limit_above_100_is_clamped_as_in_the_design(client: GraphOLAPClient, limit: int) -> None:
    tag = uuid.uuid4().hex[:6]
    for name in ("a", "b"):
        client.mappings.create(f"clamp-{tag}-{name}", "x", [CUSTOMER], [])
    for page in (
        client.mappings.list(limit=limit),
        client.mappings.list(None, None, None, None, "name", "asc", 0, limit),  # positional
        client.snapshots.list(limit=limit),
        client.instances.list(limit=limit),
    ):
        assert page.limit == 100
        assert len(page) == min(page.total, 100)
        assert len(list(page.iter_all())) == page.total
    assert client.mappings.list(search=f"clamp-{tag}", limit=limit).total == 2


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (
            with_changes(CUSTOMER, sql="SELECT customer_id, name, city FROM sample.bank.custmers"),
            "custmers",
        ),
        (
            with_changes(CUSTOMER, sql="SELECT customer_id, nme, city FROM sample.bank.customers"),
            "nme",
        ),
        (
            with_changes(CUSTOMER, primary_key={"name": "cust_id", "type": "INT64"}),
            "primary key column 'cust_id'",
        ),
        (
            with_changes(CUSTOMER, properties=[{"name": "segment", "type": "STRING"}]),
            "property column 'segment'",
        ),
        (
            with_changes(CUSTOMER, sql="SELEC customer_id FROM sample.bank.customers"),
            "node_definitions[0] (Customer)",
        ),
        (with_changes(CUSTOMER, sql="DROP TABLE sample.bank.customers"), "SELECT"),
        (with_changes(CUSTOMER, label="Bad Label"), "not a valid name"),
        (
            with_changes(CUSTOMER, properties=[{"name": "name", "type": "VARCHARZ"}]),
            "unknown type 'VARCHARZ'",
        ),
    ],
)
def test_invalid_definitions_name_the_problem_and_create_nothing(
    client: GraphOLAPClient, node: dict[str, object], message: str
) -> None:
    name = _name("bad")
    with pytest.raises(ValidationError) as err:
        client.mappings.create(name, "bad", node_definitions=[node], edge_definitions=[])
    assert message in err.value.message
    assert err.value.status_code == 400
    assert client.mappings.list(search=name).total == 0


def test_edge_to_undefined_label_and_duplicate_labels(client: GraphOLAPClient) -> None:
    with pytest.raises(ValidationError, match="node label 'Account' is not defined"):
        client.mappings.create(_name(), "x", node_definitions=[CUSTOMER], edge_definitions=[OWNS])
    with pytest.raises(ValidationError, match="defined twice"):
        client.mappings.create(
            _name(), "x", node_definitions=[CUSTOMER, CUSTOMER], edge_definitions=[]
        )
    with pytest.raises(ValidationError, match="at least one node definition"):
        client.mappings.create(_name(), "x", node_definitions=[], edge_definitions=[])


def test_invalid_update_keeps_the_current_version(client: GraphOLAPClient) -> None:
    m = _create(client)
    broken = with_changes(ACCOUNT, sql="SELECT account_id FROM sample.bank.nope")
    with pytest.raises(ValidationError, match="nope"):
        client.mappings.update(m.id, "break it", node_definitions=[CUSTOMER, broken])
    with pytest.raises(ValidationError, match="change_description"):
        client.mappings.update(m.id, "  ")
    assert client.mappings.get(m.id).current_version == 1
    assert [v.version for v in client.mappings.list_versions(m.id)] == [1]


def test_bad_durations_and_unknown_ids(client: GraphOLAPClient) -> None:
    with pytest.raises(ValidationError, match="ISO 8601 duration"):
        _create(client, ttl="7 days")
    with pytest.raises(NotFoundError, match="does not exist") as err:
        client.mappings.get(987_654)
    assert err.value.code == "NOT_FOUND"
    assert err.value.request_id
    m = _create(client)
    with pytest.raises(NotFoundError, match="versions 1 to 1"):
        client.mappings.get_version(m.id, 9)
    with pytest.raises(NotFoundError):
        client.mappings.diff_versions(m.id, 1, 2)


def test_unknown_field_in_definition_is_refused_before_sending(client: GraphOLAPClient) -> None:
    node = {**CUSTOMER, "lable": "Customer"}
    with pytest.raises(ValidationError, match="Did you mean 'label'"):
        client.mappings.create(_name(), "typo", node_definitions=[node], edge_definitions=[])


@pytest.mark.anyio
async def test_async_client_has_the_same_surface(async_client: AsyncGraphOLAPClient) -> None:
    name = _name("async")
    created = await async_client.mappings.create(
        name, "async", node_definitions=[CUSTOMER], edge_definitions=[]
    )
    fetched = await async_client.mappings.get(created.id)
    assert fetched.name == name
    page = await async_client.mappings.list(search=name)
    assert [m.id async for m in page.aiter_all()] == [created.id]
    await async_client.mappings.delete(created.id)
    with pytest.raises(NotFoundError):
        await async_client.mappings.get(created.id)
