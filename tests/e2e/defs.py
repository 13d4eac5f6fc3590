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


def with_changes(defn: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**defn, **changes}
