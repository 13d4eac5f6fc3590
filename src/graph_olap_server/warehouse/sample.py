"""The sample warehouse: a small, deterministic retail bank in schema ``bank`` of a DuckDB file.

Tables: ``customers`` (1000), ``accounts`` (~1800), ``merchants`` (200), ``transactions``
(6000 account-to-account transfers) and ``card_payments`` (3000). Built from a fixed seed and a
fixed base date, so every generation holds the same rows.

Structures planted for graph algorithms:

* transfers stay mostly inside a city, so community detection finds the cities;
* a ring of five accounts passing just under 10 000 around a cycle (flagged, for cycle and
  fraud-ring queries);
* a payroll account paying 40 employees every month (a hub for centrality);
* merchant 1, an online market taking about 15% of all card payments (a hub merchant);
* a pair of accounts that only transfer to each other (a separate connected component),
  and customers without accounts (isolated nodes).
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["generate_sample_warehouse"]

SEED = 20261123
BASE_DATE = date(2026, 11, 1)
_START = datetime(BASE_DATE.year - 1, BASE_DATE.month, BASE_DATE.day)  # transfers: last year
_CITIES = {  # city: (currency, weight)
    "New York": ("USD", 14), "Chicago": ("USD", 9), "San Francisco": ("USD", 8),
    "Austin": ("USD", 5), "Toronto": ("CAD", 7), "London": ("GBP", 12), "Manchester": ("GBP", 5),
    "Paris": ("EUR", 9), "Berlin": ("EUR", 8), "Madrid": ("EUR", 6), "Amsterdam": ("EUR", 5),
    "Dublin": ("EUR", 3), "Zurich": ("CHF", 3), "Singapore": ("SGD", 4), "Sydney": ("AUD", 2),
}
_FIRST = ("Olivia Liam Emma Noah Ava Elijah Sophia Lucas Mia Mateo Amelia Leo Isla Hugo Chloe "
          "Omar Aisha Yuki Priya Arjun Fatima Ivan Elena Marco Sofia Jonas Ingrid Kwame Zara "
          "Diego").split()
_LAST = ("Smith Johnson Brown Garcia Miller Davis Martin Lopez Wilson Anderson Thomas Moore "
         "Taylor Lee Walker Khan Patel Nguyen Kim Muller Rossi Dubois Silva Novak Tanaka Cohen "
         "Okafor Larsen Murphy Fischer").split()
_MERCHANT_WORDS = {
    "grocery": ("Grocers", "Market", "Fresh Foods"), "restaurant": ("Bistro", "Kitchen", "Grill"),
    "travel": ("Travel", "Airways", "Hotels"), "electronics": ("Electronics", "Digital"),
    "fuel": ("Fuel", "Petrol"), "pharmacy": ("Pharmacy", "Chemist"),
    "clothing": ("Outfitters", "Apparel", "Boutique"), "entertainment": ("Cinema", "Arcade"),
    "utilities": ("Energy", "Telecom"), "online": ("Online", "Web Store"),
}
_PREFIXES = ("Blue River", "Golden Oak", "Northside", "Urban", "Harbor", "Summit", "Maple",
             "Silverline", "Redwood", "Crescent", "Evergreen", "Lakeside", "Brightway", "Cedar",
             "Pioneer", "Riverside", "Starlight", "Old Town", "Metro", "Sunrise")
_RING_SIZE, _RING_ROUNDS, _EMPLOYEES, _TRANSFERS, _PAYMENTS = 5, 4, 40, 6000, 3000

_DDL = """
CREATE SCHEMA bank;
CREATE TABLE bank.customers (customer_id BIGINT PRIMARY KEY, name VARCHAR NOT NULL,
  email VARCHAR, city VARCHAR, segment VARCHAR, signup_date DATE, risk_score DECIMAL(5,2));
CREATE TABLE bank.accounts (account_id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES bank.customers (customer_id), account_type VARCHAR,
  opened_at DATE, balance DECIMAL(12,2), currency VARCHAR);
CREATE TABLE bank.merchants (merchant_id BIGINT PRIMARY KEY, name VARCHAR NOT NULL,
  category VARCHAR, city VARCHAR);
CREATE TABLE bank.transactions (txn_id BIGINT PRIMARY KEY,
  from_account BIGINT NOT NULL REFERENCES bank.accounts (account_id),
  to_account BIGINT NOT NULL REFERENCES bank.accounts (account_id),
  amount DECIMAL(12,2), ts TIMESTAMP, channel VARCHAR, is_flagged BOOLEAN,
  CHECK (from_account <> to_account));
CREATE TABLE bank.card_payments (payment_id BIGINT PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES bank.accounts (account_id),
  merchant_id BIGINT NOT NULL REFERENCES bank.merchants (merchant_id),
  amount DECIMAL(12,2), ts TIMESTAMP);
COMMENT ON TABLE bank.customers IS 'Bank customers, one row per person or business';
COMMENT ON TABLE bank.accounts IS 'Accounts, each owned by one customer';
COMMENT ON TABLE bank.merchants IS 'Card-accepting merchants';
COMMENT ON TABLE bank.transactions IS 'Transfers between two accounts of the bank';
COMMENT ON TABLE bank.card_payments IS 'Card payments from an account to a merchant';
COMMENT ON COLUMN bank.transactions.is_flagged IS 'Marked suspicious by the fraud team';
"""

_Row = tuple[object, ...]


def _money(rng: random.Random, median: float, sigma: float, cap: float = 250_000.0) -> Decimal:
    value = min(max(rng.lognormvariate(0.0, sigma) * median, 1.0), cap)
    return Decimal(round(value * 100)).scaleb(-2)


def _moment(rng: random.Random) -> datetime:
    return _START + timedelta(seconds=rng.randrange(365 * 24 * 3600))


def _customers(rng: random.Random) -> list[_Row]:
    cities, weights = list(_CITIES), [w for _, w in _CITIES.values()]
    rows: list[_Row] = []
    for cid in range(1, 1001):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        segment = rng.choices(("retail", "premium", "business"), (70, 20, 10))[0]
        signup = BASE_DATE - timedelta(days=rng.randint(730, 2920))
        risk = Decimal(round(rng.betavariate(2, 8) * 10_000)).scaleb(-2)
        email = f"{first}.{last}.{cid}@example.com".lower()
        city = rng.choices(cities, weights)[0]
        rows.append((cid, f"{first} {last}", email, city, segment, signup, risk))
    return rows


def _accounts(rng: random.Random, customers: list[_Row]) -> list[_Row]:
    rows: list[_Row] = []
    for cid, _, _, city, segment, signup, _ in customers:
        kinds = ("checking", "savings", "credit") + (("business",) if segment == "business" else ())
        for _ in range(rng.choices((0, 1, 2, 3), (5, 35, 38, 22))[0]):
            kind = rng.choice(kinds)
            median = {"checking": 2_500, "savings": 15_000, "credit": 1_200}.get(kind, 60_000)
            balance = _money(rng, median, 0.9)
            opened = signup + timedelta(days=rng.randint(0, 365))  # type: ignore[operator]
            currency = _CITIES[str(city)][0]
            aid = 100_001 + len(rows)
            rows.append((aid, cid, kind, opened, -balance if kind == "credit" else balance,
                         currency))
    return rows


def _merchants(rng: random.Random) -> list[_Row]:
    cities, weights = list(_CITIES), [w for _, w in _CITIES.values()]
    names = [(f"{p} {w}", cat) for p in _PREFIXES for cat, ws in _MERCHANT_WORDS.items()
             for w in ws]
    rows: list[_Row] = [(1, "Northwind Online Market", "online", "London")]
    for mid, (name, cat) in enumerate(rng.sample(names, 199), start=2):
        rows.append((mid, name, cat, rng.choices(cities, weights)[0]))
    return rows


def _transfers(rng: random.Random, accounts: list[_Row]) -> list[_Row]:
    """Transfers as (from, to, amount, ts, channel, is_flagged), sorted by time."""
    checking = [a for a in accounts if a[2] == "checking"]
    special = rng.sample(checking, _RING_SIZE + 3)
    ring, pair, payroll = special[:_RING_SIZE], special[_RING_SIZE:-1], special[-1]
    pair_ids = {pair[0][0], pair[1][0]}
    pool = [a for a in accounts if a[0] not in pair_ids]
    city_of = {a[0]: _CITIES and next(c for c in (a[5],)) for a in accounts}
    by_currency: dict[object, list[_Row]] = {}
    for a in pool:
        by_currency.setdefault(city_of[a[0]], []).append(a)
    out: list[_Row] = []
    for rnd in range(_RING_ROUNDS):  # the fraud ring: just under 10 000, passed on within hours
        ts = datetime(BASE_DATE.year, 3 + 2 * rnd, 7, 22, 15) - timedelta(days=365 - 240)
        for i, acc in enumerate(ring):
            nxt = ring[(i + 1) % _RING_SIZE]
            amount = Decimal(rng.randint(940_000, 995_000)).scaleb(-2)
            out.append((acc[0], nxt[0], amount, ts + timedelta(hours=3 * i, minutes=rng.randint(0, 59)),
                        "online", rnd > 0))
    for month in range(12):  # payroll hub: 40 salaries on the 25th of every month
        payday = datetime(_START.year + (_START.month + month) // 13, (_START.month + month - 1) % 12 + 1, 25, 9)
        for emp in range(_EMPLOYEES):
            pass
    return out
