"""Mapping definitions over the sample warehouse, used across the end-to-end tests."""

from __future__ import annotations

from typing import Any

CUSTOMER = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, city FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [{"name": "name", "type": "STRING"}, {"name": "city", "type": "STRING"}],
}
ACCOUNT = {
    "label": "Account",
    "sql": "SELECT account_id, account_type, customer_id FROM sample.bank.accounts",
    "primary_key": {"name": "account_id", "type": "INT64"},
    "properties": [{"name": "account_type", "type": "STRING"}],
}
OWNS = {
    "type": "OWNS",
    "from_node": "Customer",
    "to_node": "Account",
    "sql": "SELECT customer_id, account_id FROM sample.bank.accounts",
    "from_key": "customer_id",
    "to_key": "account_id",
    "properties": [],
}
TRANSFER = {
    "type": "TRANSFERRED_TO",
    "from_node": "Account",
    "to_node": "Account",
    "sql": "SELECT from_account, to_account, amount FROM sample.bank.transactions",
    "from_key": "from_account",
    "to_key": "to_account",
    "properties": [{"name": "amount", "type": "DECIMAL(12,2)"}],
}

# NetworkX's classic graphs (schema sample.classic), each undirected edge stored once.
KARATE_MEMBER = {
    "label": "Member",
    "sql": "SELECT member_id, club FROM sample.classic.karate_members",
    "primary_key": {"name": "member_id", "type": "INT64"},
    "properties": [{"name": "club", "type": "STRING"}],
}
KARATE_TIE = {
    "type": "KNOWS",
    "from_node": "Member",
    "to_node": "Member",
    "sql": "SELECT member_a, member_b, weight FROM sample.classic.karate_ties",
    "from_key": "member_a",
    "to_key": "member_b",
    "properties": [{"name": "weight", "type": "DOUBLE"}],
}
LESMIS_CHARACTER = {
    "label": "Character",
    "sql": "SELECT name FROM sample.classic.les_miserables_characters",
    "primary_key": {"name": "name", "type": "STRING"},
    "properties": [],
}
LESMIS_COOCCURS = {
    "type": "APPEARS_WITH",
    "from_node": "Character",
    "to_node": "Character",
    "sql": "SELECT character_a, character_b, weight "
    "FROM sample.classic.les_miserables_cooccurrences",
    "from_key": "character_a",
    "to_key": "character_b",
    "properties": [{"name": "weight", "type": "DOUBLE"}],
}
FLORENTINE_FAMILY = {
    "label": "Family",
    "sql": "SELECT family FROM sample.classic.florentine_families",
    "primary_key": {"name": "family", "type": "STRING"},
    "properties": [],
}
FLORENTINE_MARRIAGE = {
    "type": "MARRIED",
    "from_node": "Family",
    "to_node": "Family",
    "sql": "SELECT family_a, family_b FROM sample.classic.florentine_marriages",
    "from_key": "family_a",
    "to_key": "family_b",
    "properties": [],
}


def with_changes(defn: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**defn, **changes}
