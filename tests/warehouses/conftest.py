"""Fixtures of the warehouse adapter tests: a real PostgreSQL server (pgserver) holding a
small shop database, and the ``trino`` marker of the live Trino tier."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest

SHOP_DDL = """
CREATE SCHEMA retail;
CREATE TABLE retail.customers (
    customer_id bigint PRIMARY KEY,
    name text NOT NULL,
    balance numeric(12, 2),
    joined timestamp,
    active boolean,
    visits integer
);
CREATE TABLE retail.orders (
    order_id bigint PRIMARY KEY,
    customer_id bigint REFERENCES retail.customers,
    amount numeric(12, 2),
    placed timestamp
);
CREATE SEQUENCE retail.ticket;
CREATE VIEW retail.big_orders AS SELECT * FROM retail.orders WHERE amount > 100;
"""


def shop_customers() -> list[tuple[Any, ...]]:
    """60 customers with every type the test checks, and a few NULLs."""
    start = dt.datetime(2024, 1, 1, 9, 30, 15, 250000)
    return [
        (
            i,
            f"customer {i} é",
            Decimal(i * 37 % 1000) + Decimal("0.25"),
            None if i % 17 == 0 else start + dt.timedelta(days=i, minutes=i),
            i % 3 != 0,
            i * 5,
        )
        for i in range(1, 61)
    ]


def shop_orders() -> list[tuple[Any, ...]]:
    """250 orders of those customers."""
    start = dt.datetime(2024, 6, 1)
    return [
        (n, n % 60 + 1, Decimal(n * 13 % 400) + Decimal("0.99"), start + dt.timedelta(hours=n))
        for n in range(1, 251)
    ]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "trino: live Trino tier; runs only when GRAPH_OLAP_TRINO_URL is set"
    )


@pytest.fixture(scope="session")
def shop_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``postgresql://`` URL of the ``shop`` database on a PostgreSQL server of its own."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg-shop"), cleanup_mode="stop")
    server.psql("CREATE DATABASE shop;")
    socket_dir = server.get_uri().split("host=")[1]
    url = f"postgresql://postgres:@/shop?host={socket_dir}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SHOP_DDL)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO retail.customers VALUES (%s, %s, %s, %s, %s, %s)", shop_customers()
            )
            cur.executemany("INSERT INTO retail.orders VALUES (%s, %s, %s, %s)", shop_orders())
    yield url
    server.cleanup()
