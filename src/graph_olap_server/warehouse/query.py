"""Mapping SQL checked and translated: one read-only SELECT query, parsed by sqlglot.

Every adapter accepts the same SQL (Trino dialect by default) and refuses the same things
(several statements, DML, DDL, ``SELECT ... INTO``) with the same messages, before any
warehouse sees it.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from graph_olap_server.warehouse.base import SqlValidationError

__all__ = ["parse_select", "transpile_select"]

_ONLY_SELECT = "only a single SELECT query is allowed"
# nodes that write or run arbitrary statements, wherever they appear in the tree
_FORBIDDEN = (exp.DML, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.Into)
_TOKEN = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: .*?>")
_CLASS = re.compile(r"<class '(?:\w+\.)*(\w+)'>")
_DIALECTS = {"duckdb": "DuckDB", "postgres": "PostgreSQL", "trino": "Trino"}


def _clean_parse_error(exc: sqlglot.errors.SqlglotError) -> str:
    errors = getattr(exc, "errors", None)
    if not errors:
        return "SQL syntax error: " + " ".join(str(exc).split())
    err = errors[0]
    desc = _TOKEN.sub(lambda m: repr(m.group(1)), str(err.get("description", "")))
    desc = _CLASS.sub(r"\1", desc)
    near = " ".join(f"{err.get('start_context', '')}{err.get('highlight', '')}".split())
    where = f"line {err.get('line')}, column {err.get('col')}"
    return f"SQL syntax error at {where}: {desc} (near '{near[-40:]}')"


def parse_select(sql: str, dialect: str) -> exp.Query:
    """The sqlglot tree of ``sql`` (in ``dialect``); SqlValidationError unless it is one
    read-only SELECT/WITH query.

    Example:
        >>> parse_select("SELECT 1 AS one", "trino").sql("postgres")
        'SELECT 1 AS one'
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise SqlValidationError(_clean_parse_error(exc)) from None
    except ValueError as exc:  # unknown dialect
        raise SqlValidationError(f"unknown SQL dialect {dialect!r}: {exc}") from None
    if not statements:
        raise SqlValidationError(f"the SQL is empty: {_ONLY_SELECT}")
    if len(statements) > 1:
        raise SqlValidationError(f"found {len(statements)} statements: {_ONLY_SELECT}")
    tree = statements[0]
    bad = tree.find(*_FORBIDDEN)
    if not isinstance(tree, exp.Query) or bad is not None:
        node = bad if bad is not None else tree
        kind = str(node.this) if isinstance(node, exp.Command) else type(node).__name__
        found = "INTO clause" if isinstance(node, exp.Into) else f"{kind.upper()} statement"
        article = "an" if found[0] in "AEIOU" else "a"
        raise SqlValidationError(f"found {article} {found}: {_ONLY_SELECT}")
    return tree


def transpile_select(sql: str, dialect: str, target: str = "duckdb") -> str:
    """``sql`` (in sqlglot ``dialect``) as ``target`` SQL, after checking it is one SELECT.

    Example:
        >>> transpile_select("SELECT CAST(x AS VARCHAR) AS x FROM t", "duckdb", "trino")
        'SELECT CAST(x AS VARCHAR) AS x FROM t'
    """
    tree = parse_select(sql, dialect)
    try:
        return tree.sql(dialect=target)
    except sqlglot.errors.SqlglotError as exc:
        name = _DIALECTS.get(target, target)
        raise SqlValidationError(f"cannot translate the query to {name}: {exc}") from None
