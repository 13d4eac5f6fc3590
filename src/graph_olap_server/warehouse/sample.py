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

Schema ``classic`` holds NetworkX's classic social networks as node and edge tables (each
undirected edge once, in NetworkX's order), so results can be checked against the
literature and against NetworkX itself: Zachary's karate club (``karate_members``,
``karate_ties``), the co-occurrences of Les Misérables (``les_miserables_characters``,
``les_miserables_cooccurrences``) and the marriages of Florentine families
(``florentine_families``, ``florentine_marriages``).
"""

from __future__ import annotations

import os
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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
}  # fmt: skip
_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
    "Amelia", "Leo", "Isla", "Hugo", "Chloe", "Omar", "Aisha", "Yuki", "Priya", "Arjun",
    "Fatima", "Ivan", "Elena", "Marco", "Sofia", "Jonas", "Ingrid", "Kwame", "Zara", "Diego",
)  # fmt: skip
_LAST = (
    "Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martin", "Lopez", "Wilson",
    "Anderson", "Thomas", "Moore", "Taylor", "Lee", "Walker", "Khan", "Patel", "Nguyen", "Kim",
    "Muller", "Rossi", "Dubois", "Silva", "Novak", "Tanaka", "Cohen", "Okafor", "Larsen",
    "Murphy", "Fischer",
)  # fmt: skip
_MERCHANT_WORDS = {
    "grocery": ("Grocers", "Market", "Fresh Foods"), "restaurant": ("Bistro", "Kitchen", "Grill"),
    "travel": ("Travel", "Airways", "Hotels"), "electronics": ("Electronics", "Digital"),
    "fuel": ("Fuel", "Petrol"), "pharmacy": ("Pharmacy", "Chemist"),
    "clothing": ("Outfitters", "Apparel", "Boutique"), "entertainment": ("Cinema", "Arcade"),
    "utilities": ("Energy", "Telecom"), "online": ("Online", "Web Store"),
}  # fmt: skip
_PREFIXES = (
    "Blue River", "Golden Oak", "Northside", "Urban", "Harbor", "Summit", "Maple", "Silverline",
    "Redwood", "Crescent", "Evergreen", "Lakeside", "Brightway", "Cedar", "Pioneer", "Riverside",
    "Starlight", "Old Town", "Metro", "Sunrise",
)  # fmt: skip
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

_Row = tuple[Any, ...]


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
            opened = signup + timedelta(days=rng.randint(0, 365))
            currency = _CITIES[city][0]
            aid = 100_001 + len(rows)
            rows.append(
                (aid, cid, kind, opened, -balance if kind == "credit" else balance, currency)
            )
    return rows


def _merchants(rng: random.Random) -> list[_Row]:
    cities, weights = list(_CITIES), [w for _, w in _CITIES.values()]
    names = [
        (f"{p} {w}", cat) for p in _PREFIXES for cat, ws in _MERCHANT_WORDS.items() for w in ws
    ]
    rows: list[_Row] = [(1, "Northwind Online Market", "online", "London")]
    for mid, (name, cat) in enumerate(rng.sample(names, 199), start=2):
        rows.append((mid, name, cat, rng.choices(cities, weights)[0]))
    return rows


def _transfers(
    rng: random.Random, accounts: list[_Row], city: dict[int, str]
) -> tuple[list[_Row], set[int]]:
    """Transfers (txn_id, from, to, amount, ts, channel, is_flagged) by time; the isolated pair."""
    checking = [a[0] for a in accounts if a[2] == "checking"]
    special = rng.sample(checking, _RING_SIZE + 2)
    ring, pair = special[:_RING_SIZE], special[_RING_SIZE:]
    payroll = rng.choice([a[0] for a in accounts if a[2] == "business"])
    special.append(payroll)
    pool = [a[0] for a in accounts if a[0] not in pair]
    local: dict[str, list[int]] = {}
    for aid in pool:
        local.setdefault(city[aid], []).append(aid)
    out: list[_Row] = []
    for rnd in range(_RING_ROUNDS):  # the fraud ring: just under 10 000, passed on within hours
        start = _START + timedelta(days=60 + 80 * rnd, hours=22)
        for i, src in enumerate(ring):
            amount = Decimal(rng.randint(940_000, 995_000)).scaleb(-2)
            ts = start + timedelta(hours=3 * i, minutes=rng.randint(0, 59))
            out.append((src, ring[(i + 1) % _RING_SIZE], amount, ts, "online", rnd > 0))
    staff = rng.sample([a for a in pool if a not in special], _EMPLOYEES)
    salaries = {emp: rng.randint(250_000, 700_000) for emp in staff}
    for month in range(12):  # the payroll hub: salaries on the 25th of every month
        year, mon = divmod(_START.month - 1 + month, 12)
        payday = datetime(_START.year + year, mon + 1, 25, 9)
        for emp in staff:
            amount = Decimal(salaries[emp] + rng.randint(0, 5_000)).scaleb(-2)
            out.append((payroll, emp, amount, payday, "online", False))
    for i in range(12):  # an isolated pair: two accounts that only deal with each other
        amount = _money(rng, 300, 0.5)
        out.append((pair[i % 2], pair[1 - i % 2], amount, _moment(rng), "mobile", False))
    while len(out) < _TRANSFERS:  # everyday transfers, three in four within the sender's city
        src = rng.choice(pool)
        dst = rng.choice(local[city[src]] if rng.random() < 0.75 else pool)
        if dst == src:
            continue
        amount = _money(rng, 120, 1.2, cap=50_000)
        channel = rng.choices(("online", "mobile", "branch", "atm"), (45, 35, 10, 10))[0]
        flagged = rng.random() < (0.10 if amount > 9_000 else 0.015)
        out.append((src, dst, amount, _moment(rng), channel, flagged))
    out.sort(key=lambda r: (r[3], r[0], r[1], r[2]))
    return [(n, *r) for n, r in enumerate(out, start=1)], set(pair)


def _payments(
    rng: random.Random,
    accounts: list[_Row],
    merchants: list[_Row],
    city: dict[int, str],
    pair: set[int],
) -> list[_Row]:
    """Card payments as (payment_id, account, merchant, amount, ts), sorted by time."""
    cards = [a[0] for a in accounts if a[2] in ("checking", "credit") and a[0] not in pair]
    local: dict[str, list[_Row]] = {}
    for m in merchants:
        local.setdefault(m[3], []).append(m)
    medians = {"travel": 400, "electronics": 250, "utilities": 90, "grocery": 45, "fuel": 55}
    out: list[_Row] = []
    for _ in range(_PAYMENTS):
        acc, pick = rng.choice(cards), rng.random()
        if pick < 0.15:
            merchant = merchants[0]  # the hub
        elif pick < 0.80 and city[acc] in local:
            merchant = rng.choice(local[city[acc]])
        else:
            merchant = rng.choice(merchants)
        amount = _money(rng, medians.get(merchant[2], 35), 0.8, cap=20_000)
        out.append((acc, merchant[0], amount, _moment(rng)))
    out.sort(key=lambda r: (r[3], r[0], r[1], r[2]))
    return [(n, *r) for n, r in enumerate(out, start=1)]


_I, _S, _D, _T, _M = pa.int64(), pa.string(), pa.date32(), pa.timestamp("us"), pa.decimal128(12, 2)
_TYPES: dict[str, tuple[pa.DataType, ...]] = {
    "customers": (_I, _S, _S, _S, _S, _D, pa.decimal128(5, 2)),
    "accounts": (_I, _I, _S, _D, _M, _S),
    "merchants": (_I, _S, _S, _S),
    "transactions": (_I, _I, _I, _M, _T, _S, pa.bool_()),
    "card_payments": (_I, _I, _I, _M, _T),
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[_Row]) -> None:
    types = _TYPES[table]
    columns = zip(*rows, strict=True)
    arrays = [pa.array(list(col), type=t) for col, t in zip(columns, types, strict=True)]
    batch = pa.table(arrays, names=[f"c{i}" for i in range(len(types))])
    con.register("_sample_rows", batch)
    try:
        con.execute(f"INSERT INTO bank.{table} SELECT * FROM _sample_rows")
    finally:
        con.unregister("_sample_rows")


_CLASSIC_DDL = """
CREATE SCHEMA classic;
CREATE TABLE classic.karate_members (member_id BIGINT PRIMARY KEY, club VARCHAR);
CREATE TABLE classic.karate_ties (member_a BIGINT NOT NULL, member_b BIGINT NOT NULL,
  weight DOUBLE);
CREATE TABLE classic.les_miserables_characters (name VARCHAR PRIMARY KEY);
CREATE TABLE classic.les_miserables_cooccurrences (character_a VARCHAR NOT NULL,
  character_b VARCHAR NOT NULL, weight DOUBLE);
CREATE TABLE classic.florentine_families (family VARCHAR PRIMARY KEY);
CREATE TABLE classic.florentine_marriages (family_a VARCHAR NOT NULL,
  family_b VARCHAR NOT NULL);
COMMENT ON TABLE classic.karate_members IS
  'Zachary''s karate club (1977): 34 members and the club each joined after the split';
COMMENT ON TABLE classic.karate_ties IS
  'Friendships between karate club members (undirected, once each); weight = contexts shared';
COMMENT ON TABLE classic.les_miserables_characters IS 'The 77 characters of Les Misérables';
COMMENT ON TABLE classic.les_miserables_cooccurrences IS
  'Characters appearing in the same chapter (undirected, once each); weight = chapters';
COMMENT ON TABLE classic.florentine_families IS 'Florentine families of the 15th century';
COMMENT ON TABLE classic.florentine_marriages IS
  'Marriage ties between Florentine families (undirected, once each)';
"""


def _classic_tables() -> dict[str, pa.Table]:
    """NetworkX's built-in social graphs as node and edge tables."""
    import networkx as nx

    karate = nx.karate_club_graph()
    lesmis = nx.les_miserables_graph()
    florentine = nx.florentine_families_graph()

    def edges(graph: Any, a: str, b: str, *, weighted: bool) -> pa.Table:
        rows = list(graph.edges(data="weight"))
        columns: dict[str, Any] = {a: [r[0] for r in rows], b: [r[1] for r in rows]}
        if weighted:
            columns["weight"] = pa.array([float(r[2]) for r in rows], pa.float64())
        return pa.table(columns)

    return {
        "karate_members": pa.table(
            {
                "member_id": pa.array(list(karate.nodes), pa.int64()),
                "club": [karate.nodes[n]["club"] for n in karate.nodes],
            }
        ),
        "karate_ties": edges(karate, "member_a", "member_b", weighted=True),
        "les_miserables_characters": pa.table({"name": list(lesmis.nodes)}),
        "les_miserables_cooccurrences": edges(lesmis, "character_a", "character_b", weighted=True),
        "florentine_families": pa.table({"family": list(florentine.nodes)}),
        "florentine_marriages": edges(florentine, "family_a", "family_b", weighted=False),
    }


def _build_classic(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_CLASSIC_DDL)
    for table, rows in _classic_tables().items():  # nodes first, as the DDL lists them
        con.register("_sample_rows", rows)
        try:
            con.execute(f"INSERT INTO classic.{table} SELECT * FROM _sample_rows")
        finally:
            con.unregister("_sample_rows")


def _build(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(SEED)
    customers = _customers(rng)
    accounts = _accounts(rng, customers)
    merchants = _merchants(rng)
    home = {c[0]: c[3] for c in customers}
    city: dict[int, str] = {a[0]: home[a[1]] for a in accounts}
    transfers, pair = _transfers(rng, accounts, city)
    payments = _payments(rng, accounts, merchants, city, pair)
    con.execute(_DDL)
    tables = (customers, accounts, merchants, transfers, payments)
    for table, rows in zip(_TYPES, tables, strict=True):  # parents first, for the foreign keys
        _insert(con, table, rows)
    _build_classic(con)


def sample_is_current(path: Path) -> bool:
    """Whether the sample file at ``path`` holds every schema this version generates
    (older platforms wrote the bank only; the sample is ours to rebuild)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        rows = con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    finally:
        con.close()
    return {"bank", "classic"} <= {name for (name,) in rows}


def generate_sample_warehouse(path: Path) -> None:
    """Write the sample bank (and the classic graphs) to the DuckDB file ``path``,
    replacing it atomically.

    The database is built under a temporary name in the same folder and renamed into place,
    so a reader sees either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    wal = Path(f"{tmp}.wal")
    try:
        con = duckdb.connect(str(tmp))
        try:
            _build(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        Path(f"{path}.wal").unlink(missing_ok=True)  # a stale log would be replayed on open
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
