"""graph_olap.utils.diff: the diff of mapping definitions, computed on the client.

Pure functions on definitions: no platform, no transport. The parity with the platform's
``diff_versions`` is checked end to end in tests/e2e/test_utils_diff_parity.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from graph_olap import EdgeDefinition, Mapping, MappingVersion, NodeDefinition, ValidationError
from graph_olap.utils import diff_mappings
from graph_olap.utils.diff import diff_definitions
from tests.e2e.defs import ACCOUNT, CUSTOMER, LESMIS_CHARACTER, OWNS, TRANSFER

BRANCH = {**LESMIS_CHARACTER, "label": "Branch"}  # a third label: STRING key, no properties


def _version(
    version: int, nodes: list[Any], edges: list[Any], mapping_id: int = 7
) -> MappingVersion:
    return MappingVersion.model_validate(
        {
            "mapping_id": mapping_id,
            "version": version,
            "node_definitions": nodes,
            "edge_definitions": edges,
        }
    )


def _keys(changes: list[Any]) -> list[tuple[str, str]]:
    return [(c.change, c.key) for c in changes]


def test_added_removed_and_modified_with_the_fields_that_changed() -> None:
    customer_v2 = {**CUSTOMER, "sql": CUSTOMER["sql"] + " WHERE city IS NOT NULL"}
    owns_v2 = {**OWNS, "properties": [{"name": "since", "type": "DATE"}]}
    before = _version(1, [CUSTOMER, ACCOUNT], [OWNS, TRANSFER])
    after = _version(2, [customer_v2, BRANCH], [owns_v2])

    diff = diff_mappings(before, after)

    assert (diff.mapping_id, diff.from_version, diff.to_version) == (7, 1, 2)
    assert _keys(diff.nodes) == [
        ("added", "Branch"),
        ("modified", "Customer"),
        ("removed", "Account"),
    ]
    assert _keys(diff.edges) == [("modified", "OWNS"), ("removed", "TRANSFERRED_TO")]
    customer = diff.nodes[1]
    assert customer.fields_changed == ["sql"]
    assert customer.before is not None and customer.after is not None
    assert (customer.before["sql"], customer.after["sql"]) == (CUSTOMER["sql"], customer_v2["sql"])
    assert diff.edges[0].fields_changed == ["properties"]
    added, removed = diff.nodes[0], diff.nodes[2]
    assert (added.before, added.after) == (None, BRANCH)
    assert (removed.before, removed.after, removed.fields_changed) == (ACCOUNT, None, [])
    s = diff.summary
    assert (s.nodes_added, s.nodes_removed, s.nodes_modified) == (1, 1, 1)
    assert (s.edges_added, s.edges_removed, s.edges_modified) == (0, 1, 1)


def test_the_reverse_diff_swaps_added_and_removed() -> None:
    v1 = _version(1, [CUSTOMER], [])
    v2 = _version(2, [CUSTOMER, ACCOUNT], [OWNS])

    forward, backward = diff_mappings(v1, v2), diff_mappings(v2, v1)

    assert _keys(forward.nodes + forward.edges) == [("added", "Account"), ("added", "OWNS")]
    assert _keys(backward.nodes + backward.edges) == [("removed", "Account"), ("removed", "OWNS")]
    assert (backward.from_version, backward.to_version) == (2, 1)


def test_several_fields_are_listed_sorted_and_changes_sorted_by_kind_then_key() -> None:
    labels = ["Zeta", "Alpha", "Mid"]
    nodes = [{**ACCOUNT, "label": label} for label in labels]
    changed = [
        {**n, "sql": "SELECT 1 AS account_id", "primary_key": {"name": "account_id"}} for n in nodes
    ]
    new = [{**ACCOUNT, "label": label} for label in ("Yak", "Bee")]

    diff = diff_mappings((nodes, []), (changed + new, []))

    assert _keys(diff.nodes) == sorted(
        [("added", label) for label in ("Yak", "Bee")] + [("modified", label) for label in labels]
    )
    assert {tuple(c.fields_changed) for c in diff.nodes if c.change == "modified"} == {
        ("primary_key", "sql")
    }


def test_reordered_properties_count_as_a_change_as_on_the_platform() -> None:
    reordered = {**CUSTOMER, "properties": list(reversed(CUSTOMER["properties"]))}

    diff = diff_mappings(([CUSTOMER], []), ([reordered], []))

    assert [c.fields_changed for c in diff.nodes] == [["properties"]]


def test_models_and_dicts_give_the_same_diff() -> None:
    as_dicts = ([CUSTOMER, ACCOUNT], [OWNS])
    as_models = (
        [NodeDefinition.model_validate(CUSTOMER), NodeDefinition.model_validate(ACCOUNT)],
        [EdgeDefinition.model_validate(OWNS)],
    )
    target = ([CUSTOMER, BRANCH], [])

    by_dict = diff_mappings(as_dicts, target)
    by_model = diff_mappings(as_models, target)
    as_mapping_dict = diff_mappings(
        {"node_definitions": as_models[0], "edge_definitions": as_models[1]}, target
    )

    assert by_dict == by_model == as_mapping_dict
    assert not by_dict.is_empty


def test_definitions_written_with_defaults_left_out_equal_the_saved_version() -> None:
    # A property's and a primary key's type default to STRING, properties to [], and the
    # platform strips the text it stores: the saved form of these hand-written definitions
    # is what the version holds, so the diff is empty.
    saved = _version(
        3,
        [
            BRANCH,
            {**CUSTOMER, "properties": [{"name": "name", "type": "STRING"}]},
        ],
        [OWNS],
    )
    by_hand = {
        "node_definitions": [
            {"label": "Branch", "sql": BRANCH["sql"], "primary_key": {"name": "name"}},
            {**CUSTOMER, "sql": f"\n  {CUSTOMER['sql']}\n", "properties": [{"name": "name"}]},
        ],
        "edge_definitions": [{k: v for k, v in OWNS.items() if k != "properties"}],
    }

    diff = diff_mappings(saved, by_hand)

    assert diff.is_empty, diff
    assert diff.summary == diff_mappings(saved, saved).summary
    assert (diff.mapping_id, diff.from_version, diff.to_version) == (7, 3, None)


def test_sides_that_are_not_saved_have_no_mapping_or_version() -> None:
    diff = diff_mappings(([CUSTOMER], []), {"node_definitions": [ACCOUNT], "edge_definitions": []})

    assert (diff.mapping_id, diff.from_version, diff.to_version) == (None, None, None)
    assert _keys(diff.nodes) == [("added", "Account"), ("removed", "Customer")]


def test_a_mapping_stands_for_its_current_version() -> None:
    mapping = Mapping.model_validate(
        {
            "id": 4,
            "name": "bank",
            "owner_username": "alice",
            "current_version": 5,
            "node_definitions": [CUSTOMER, ACCOUNT],
            "edge_definitions": [OWNS],
        }
    )

    diff = diff_mappings(_version(2, [CUSTOMER], [], mapping_id=4), mapping)

    assert (diff.mapping_id, diff.from_version, diff.to_version) == (4, 2, 5)
    assert _keys(diff.nodes + diff.edges) == [("added", "Account"), ("added", "OWNS")]


def test_versions_of_two_mappings_have_no_common_mapping_id() -> None:
    diff = diff_mappings(_version(1, [CUSTOMER], [], mapping_id=1), _version(1, [CUSTOMER], [], 2))

    assert (diff.mapping_id, diff.from_version, diff.to_version) == (None, 1, 1)
    assert diff.is_empty


def test_the_diff_is_json() -> None:
    diff = diff_mappings(([CUSTOMER], [OWNS]), ([ACCOUNT], []))

    data = json.loads(json.dumps(diff.to_dict()))

    assert data["summary"]["nodes_added"] == 1
    assert data["nodes"][0]["after"] == ACCOUNT


@pytest.mark.parametrize(
    ("side", "message"),
    [
        (
            42,
            "after must be a Mapping, a MappingVersion, a dict with 'node_definitions' and "
            "'edge_definitions', or a (node_definitions, edge_definitions) tuple; got int.",
        ),
        (
            {"node_definition": [CUSTOMER], "edge_definitions": []},
            "after has an unknown key 'node_definition'. Did you mean 'node_definitions'?",
        ),
        (
            {"node_definitions": [CUSTOMER]},
            "after has no 'edge_definitions'. Pass both lists, as to client.mappings.create "
            "([] for none).",
        ),
        (
            ([CUSTOMER], "OWNS"),
            "after.edge_definitions must be a list of EdgeDefinition objects or dicts, got str.",
        ),
        (
            ([{**CUSTOMER, "lable": "X"}], []),
            "after.node_definitions[0] has an unknown field 'lable'. Did you mean 'label'?",
        ),
        (
            ([{k: v for k, v in CUSTOMER.items() if k != "sql"}], []),
            "after.node_definitions[0] is not a valid NodeDefinition: sql: Field required",
        ),
        (
            ([CUSTOMER], [OWNS, {**TRANSFER, "type": " OWNS "}]),
            "after.edge_definitions[1] (OWNS): type 'OWNS' is defined twice; it is unique "
            "within a mapping. Remove or rename one.",
        ),
    ],
    ids=[
        "not-definitions",
        "typo-key",
        "missing-edges",
        "edges-not-a-list",
        "typo-field",
        "missing-sql",
        "duplicate-type",
    ],
)
def test_wrong_input_is_a_validation_error_saying_what_to_pass(side: Any, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        diff_mappings(([CUSTOMER], []), side)

    assert info.value.message.startswith(message), info.value.message
    assert info.value.status_code is None  # refused on the client: nothing was sent
    assert info.value.details["field"].startswith("after")


def test_the_platform_runs_the_same_algorithm() -> None:
    from graph_olap_server import definitions

    assert definitions.diff_definitions is diff_definitions


def test_diff_definitions_works_on_the_stored_json() -> None:
    before = {"node_definitions": [CUSTOMER], "edge_definitions": [OWNS]}
    after = {"node_definitions": [CUSTOMER, ACCOUNT], "edge_definitions": []}

    out = diff_definitions(before, after)

    assert json.loads(json.dumps(out)) == out
    assert [(c["change"], c["key"]) for c in out["nodes"] + out["edges"]] == [
        ("added", "Account"),
        ("removed", "OWNS"),
    ]
    assert out["summary"] == {
        "nodes_added": 1,
        "nodes_removed": 0,
        "nodes_modified": 0,
        "edges_added": 0,
        "edges_removed": 1,
        "edges_modified": 0,
    }


_WITHOUT_SERVER = """
import sys
sys.modules["graph_olap_server"] = None  # as if only the SDK were installed
from graph_olap import MappingVersion
from graph_olap.utils.diff import diff_mappings
n = {"label": "A", "sql": "SELECT 1 AS id", "primary_key": {"name": "id"}}
v1, v2 = (
    MappingVersion(mapping_id=1, version=v, node_definitions=nodes, edge_definitions=[])
    for v, nodes in ((1, [n]), (2, []))
)
print(diff_mappings(v1, v2).summary.nodes_removed)
"""


@pytest.mark.parametrize(
    "first_import",
    [
        "import graph_olap_server.definitions",
        "import graph_olap.models",
        "from graph_olap.utils import diff_mappings",
        "import graph_olap.utils.diff",
    ],
)
def test_no_import_cycle_whichever_module_comes_first(first_import: str) -> None:
    code = f"{first_import}\nfrom graph_olap.utils import diff_mappings\nprint(diff_mappings)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "function diff_mappings" in run.stdout


def test_the_sdk_diffs_without_the_server_package() -> None:
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SERVER], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "1"
