"""Read-only guard for Cypher text: find write clauses and extra statements.

The guard lexes the query the way the engine does for the parts that matter here: string
literals (``'...'`` and ``"..."`` with backslash escapes), backtick-quoted names and
comments (``// ...`` and ``/* ... */``) are skipped, so a keyword inside them never
counts. A bare word counts as a keyword unless it is a property (``n.create``), a label
or relationship type (``:Create``), a parameter (``$set``) or a map key (``{set: 1}``).

It errs on the side of refusing: ``CALL`` is a write unless the procedure is one of the
read-only catalog functions in :data:`READ_ONLY_CALLS`, and ``LOAD`` (files, extensions)
needs ``write=True`` like any other statement that reaches outside the graph.

Example:
    >>> find_write_clause("MATCH (n) WHERE n.name = 'CREATE' RETURN n") is None
    True
    >>> find_write_clause("MATCH (n) DETACH DELETE n")
    'DETACH'
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "READ_ONLY_CALLS",
    "WRITE_KEYWORDS",
    "CypherScan",
    "count_statements",
    "find_write_clause",
    "scan",
]

WRITE_KEYWORDS = frozenset(
    {
        "CREATE",
        "MERGE",
        "SET",
        "DELETE",
        "REMOVE",
        "DETACH",
        "COPY",
        "DROP",
        "ALTER",
        "INSTALL",
        "UNINSTALL",
        "LOAD",
        "ATTACH",
        "CALL",
        "IMPORT",
        "EXPORT",
        "USE",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "CHECKPOINT",
        "FOREACH",
    }
)

# Procedures that only read the catalog; ``CALL`` of anything else needs ``write=True``.
READ_ONLY_CALLS = frozenset(
    {
        "SHOW_TABLES",
        "TABLE_INFO",
        "SHOW_CONNECTION",
        "DB_VERSION",
        "SHOW_FUNCTIONS",
        "SHOW_WARNINGS",
        "CURRENT_SETTING",
        "SHOW_INDEXES",
        "SHOW_PROJECTED_GRAPHS",
    }
)


@dataclasses.dataclass
class CypherScan:
    """Keywords (upper case, in order) and statement count of one query text."""

    keywords: list[str]
    statements: int


def _is_word_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _skip_quoted(text: str, i: int, quote: str) -> int:
    """Index just past the closing ``quote`` of the literal starting at ``i``."""
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            if quote == "`" and text.startswith("``", i):  # doubled backtick escape
                i += 2
                continue
            return i + 1
        i += 1
    return i  # unterminated: the engine reports the syntax error


def _prev_significant(text: str, i: int) -> str:
    j = i - 1
    while j >= 0 and text[j].isspace():
        j -= 1
    return text[j] if j >= 0 else ""


def _next_significant(text: str, i: int) -> str:
    while i < len(text) and text[i].isspace():
        i += 1
    return text[i] if i < len(text) else ""


def scan(text: str) -> CypherScan:
    """Lex ``text``: keyword-position bare words and the number of statements."""
    keywords: list[str] = []
    statements, pending = 0, False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            i = _skip_quoted(text, i, ch)
            pending = True
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            statements += pending
            pending = False
            i += 1
        elif _is_word_start(ch):
            j = i + 1
            while j < n and _is_word_char(text[j]):
                j += 1
            before, after = _prev_significant(text, i), _next_significant(text, j)
            is_map_key = after == ":" and before in {"{", ","}
            if before not in {".", ":", "$"} and not is_map_key:
                keywords.append(text[i:j].upper())
            pending = True
            i = j
        else:
            pending = pending or not ch.isspace()
            i += 1
    statements += pending
    return CypherScan(keywords=keywords, statements=statements)


def find_write_clause(text: str) -> str | None:
    """The first keyword that makes ``text`` a write (or reach outside the graph), if any."""
    words = scan(text).keywords
    for index, word in enumerate(words):
        if word not in WRITE_KEYWORDS:
            continue
        if word == "CALL" and index + 1 < len(words) and words[index + 1] in READ_ONLY_CALLS:
            continue
        return word
    return None


def count_statements(text: str) -> int:
    """How many ``;``-separated statements ``text`` holds (comments and blanks ignored)."""
    return scan(text).statements
