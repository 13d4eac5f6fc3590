"""Table names in warehouse SQL: which tables a query names, and the closest real ones.

Tables are named ``catalog.schema.table`` (Trino style). A user who writes
``lesmis.characters`` (no catalog) or misspells a part gets, instead of DuckDB's
``schema "lesmis" does not exist``, a message naming the closest qualified tables:
``Table lesmis.characters not found. Did you mean warehouse.lesmis.characters?``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import sqlglot
from sqlglot import exp

__all__ = [
    "QualifiedName",
    "closest_tables",
    "one_of",
    "qualified",
    "table_references",
    "unknown_tables",
]

QualifiedName = tuple[str, str, str]  # (catalog, schema, table)

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CUTOFF = 0.6  # as difflib.get_close_matches
_HINTS = 3  # qualified names offered at most
_MARGIN = 0.1  # a fuzzy hint's parts score at most this much less, in sum, than the best's


def qualified(parts: Sequence[str]) -> str:
    """``parts`` joined by dots, each quoted only when it must be.

    Example:
        >>> qualified(("warehouse", "My Data", "t"))
        'warehouse."My Data".t'
    """
    return ".".join(p if _PLAIN.match(p) else '"' + p.replace('"', '""') + '"' for p in parts)


def table_references(duck_sql: str) -> list[tuple[str, ...]]:
    """The tables a DuckDB query names, in order, each once: CTE names and table functions
    (``read_parquet(...)``) left out; an unparsable query names none.

    Example:
        >>> table_references("WITH x AS (SELECT 1) SELECT * FROM x, lesmis.characters")
        [('lesmis', 'characters')]
    """
    try:
        tree = sqlglot.parse_one(duck_sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return []
    ctes = {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
    found: dict[tuple[str, ...], None] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        parts = tuple(part.name for part in table.parts)
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        found.setdefault(parts, None)
    return list(found)


def _forms(size: int, candidate: QualifiedName) -> list[tuple[str, ...]]:
    """How ``candidate`` reads when named with ``size`` parts (lowercase)."""
    catalog, schema, table = (p.lower() for p in candidate)
    if size == 1:
        return [(table,)]
    if size == 2:  # schema.table, or catalog.table (schema main)
        return [(schema, table), (catalog, table)]
    return [(catalog, schema, table)]


def _likeness(wanted: tuple[str, ...], form: tuple[str, ...]) -> float:
    """The mean difflib ratio of the parts, so that a shared catalog does not make two
    different tables look alike."""
    ratios = [
        difflib.SequenceMatcher(None, w, f).ratio() for w, f in zip(wanted, form, strict=True)
    ]
    return sum(ratios) / len(ratios)


def closest_tables(parts: Sequence[str], known: Sequence[QualifiedName]) -> list[str]:
    """The qualified tables closest to the name ``parts``, best first, at most three.

    Tables whose trailing parts are exactly ``parts`` (any case) come alone when there are
    any: the name only lacked its catalog (or schema). Otherwise the names that read
    alike (mean ratio of the parts 0.6 or more, and near the best): a misspelt catalog,
    schema or table.

    Example:
        >>> closest_tables(("lesmis", "characters"), [("warehouse", "lesmis", "characters")])
        ['warehouse.lesmis.characters']
    """
    wanted = tuple(p.lower() for p in parts)
    if not 1 <= len(wanted) <= 3:
        return []
    exact: list[str] = []
    scored: list[tuple[float, str]] = []
    for candidate in known:
        forms = _forms(len(wanted), candidate)
        name = qualified(candidate)
        if wanted in forms:
            exact.append(name)
            continue
        score = max(_likeness(wanted, form) for form in forms)
        if score >= _CUTOFF:
            scored.append((score, name))
    if exact:
        return sorted(exact)[:_HINTS]
    ranked = sorted(scored, key=lambda s: (-s[0], s[1]))
    floor = ranked[0][0] - _MARGIN / len(wanted) if ranked else 0.0
    good = [name for score, name in ranked if score >= floor]
    return good[:_HINTS]


def one_of(names: Sequence[str]) -> str:
    """The names as a choice, for "Did you mean ...?".

    Example:
        >>> one_of(["a.x", "b.x", "c.x"])
        'a.x, b.x or c.x'
    """
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def unknown_tables(
    missing: Sequence[Sequence[str]], known: Sequence[QualifiedName], catalogs: Sequence[str]
) -> str:
    """The message for tables a query names that the warehouse does not hold.

    Example:
        >>> unknown_tables([("lesmis", "characters")], [("warehouse", "lesmis", "characters")],
        ...                ["warehouse"])
        'Table lesmis.characters not found. Did you mean warehouse.lesmis.characters?'
    """
    sentences: list[str] = []
    unmatched = False
    for parts in missing:
        name = qualified(tuple(parts))
        hints = closest_tables(parts, known)
        if hints:
            sentences.append(f"Table {name} not found. Did you mean {one_of(hints)}?")
        else:
            sentences.append(f"Table {name} not found in the warehouse.")
            unmatched = True
    if unmatched:
        listed = ", ".join(sorted(catalogs)) or "none"
        sentences.append(
            f"Name tables catalog.schema.table (catalogs: {listed}); browse them with "
            "client.schema.list_tables(catalog, schema) or client.schema.search_tables(prefix)."
        )
    return " ".join(sentences)
