"""The small default mapping of the fixtures: customers owning accounts (sample warehouse)."""

from __future__ import annotations

from typing import Any

__all__ = ["SAMPLE_EDGES", "SAMPLE_NODES"]

SAMPLE_NODES: list[dict[str, Any]] = [
    {
        "label": "Customer",
        "sql": "SELECT customer_id, name, city FROM sample.bank.customers",
        "primary_key": {"name": "customer_id", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}, {"name": "city", "type": "STRING"}],
    },
    {
        "label": "Account",
        "sql": "SELECT account_id, account_type FROM sample.bank.accounts",
        "primary_key": {"name": "account_id", "type": "INT64"},
        "properties": [{"name": "account_type", "type": "STRING"}],
    },
]
SAMPLE_EDGES: list[dict[str, Any]] = [
    {
        "type": "OWNS",
        "from_node": "Customer",
        "to_node": "Account",
        "sql": "SELECT customer_id, account_id FROM sample.bank.accounts",
        "from_key": "customer_id",
        "to_key": "account_id",
    },
]
