"""graph_olap.utils.diff against the platform: the client's diff equals ``diff_versions``.

The platform stores definitions normalised (defaults filled in, text stripped); these
tests write definitions the way users do (defaults left out, SQL in indented triple
quotes) and check the client's diff against what the platform answers.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from graph_olap import GraphOLAPClient
from graph_olap.utils.diff import diff_mappings

from .defs import ACCOUNT, CUSTOMER, KARATE_MEMBER, OWNS, TRANSFER, with_changes


def _create(client: GraphOLAPClient) -> int:
    m = client.mappings.create(
        f"diff-{uuid.uuid4().hex[:8]}",
        "client-side diff parity",
        node_definitions=[CUSTOMER, ACCOUNT],
        edge_definitions=[OWNS],
    )
    return m.id


def test_the_client_diff_equals_the_platforms_for_every_pair_of_versions(
    client: GraphOLAPClient,
) -> None:
    mapping_id = _create(client)
    customer_v2 = with_changes(
        CUSTOMER,
        sql="SELECT customer_id, name, city, segment FROM sample.bank.customers",
        properties=[*CUSTOMER["properties"], {"name": "segment", "type": "STRING"}],
    )
    account_v3 = with_changes(
        ACCOUNT,
        sql="SELECT account_id, account_type, balance FROM sample.bank.accounts",
        properties=[{"name": "account_type"}, {"name": "balance", "type": "DECIMAL(12,2)"}],
    )
    transfer_v3 = with_changes(TRANSFER, properties=[])
    client.mappings.update(
        mapping_id,
        "segment, transfers",
        node_definitions=[customer_v2, ACCOUNT],
        edge_definitions=[OWNS, TRANSFER],
    )
    client.mappings.update(
        mapping_id,
        "balances, no owners",
        node_definitions=[customer_v2, account_v3],
        edge_definitions=[transfer_v3],
    )
    client.mappings.update(
        mapping_id,
        "members instead of customers",
        node_definitions=[account_v3, KARATE_MEMBER],
        edge_definitions=[transfer_v3],
    )
    versions = {v.version: v for v in client.mappings.list_versions(mapping_id)}
    assert sorted(versions) == [1, 2, 3, 4]

    seen: set[str] = set()
    for a, b in itertools.product(versions, repeat=2):
        remote = client.mappings.diff_versions(mapping_id, a, b)
        local = diff_mappings(versions[a], versions[b])
        assert local == remote, (a, b)
        seen |= {c.change for c in remote.nodes + remote.edges}
    assert seen == {"added", "removed", "modified"}  # every kind of change was compared

    current = client.mappings.get(mapping_id)  # a Mapping stands for its current version
    assert diff_mappings(versions[1], current) == client.mappings.diff_versions(mapping_id, 1, 4)


def _by_hand() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An edit as a user types it: defaults left out, SQL indented in triple quotes."""
    customer = {
        "label": "Customer",
        "sql": """
            SELECT customer_id, name, city, segment FROM sample.bank.customers
        """,
        "primary_key": {"name": "customer_id", "type": "INT64"},
        "properties": [{"name": "name"}, {"name": "city"}, {"name": "segment"}],
    }
    owns = {k: v for k, v in OWNS.items() if k != "properties"}
    return [customer, ACCOUNT], [owns, TRANSFER]


def test_an_unsaved_edit_diffs_as_the_platform_does_once_it_is_saved(
    client: GraphOLAPClient,
) -> None:
    mapping_id = _create(client)
    before = client.mappings.get(mapping_id)
    nodes, edges = _by_hand()

    preview = diff_mappings(before, {"node_definitions": nodes, "edge_definitions": edges})
    saved = client.mappings.update(
        mapping_id, "as previewed", node_definitions=nodes, edge_definitions=edges
    )
    remote = client.mappings.diff_versions(mapping_id, 1, saved.current_version)

    assert (preview.mapping_id, preview.from_version, preview.to_version) == (mapping_id, 1, None)
    assert (preview.summary, preview.nodes, preview.edges) == (
        remote.summary,
        remote.nodes,
        remote.edges,
    )
    assert [(c.change, c.key) for c in preview.nodes + preview.edges] == [
        ("modified", "Customer"),
        ("added", "TRANSFERRED_TO"),
    ]
    # what was saved is what was written, once normalised: no difference left
    assert diff_mappings(saved, (nodes, edges)).is_empty
    assert diff_mappings(client.mappings.get_version(mapping_id, 2), saved).is_empty
