"""Graph property types (as declared in mappings) and the DuckDB types they are cast to."""

from __future__ import annotations

import re

__all__ = ["duckdb_type", "normalize_type", "quote_ident", "sql_literal"]

_SIMPLE = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "INT16": "SMALLINT",
    "INT8": "TINYINT",
    "INT128": "HUGEINT",
    "UINT64": "UBIGINT",
    "UINT32": "UINTEGER",
    "UINT16": "USMALLINT",
    "UINT8": "UTINYINT",
    "SERIAL": "BIGINT",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "INTERVAL": "INTERVAL",
    "BLOB": "BLOB",
    "UUID": "UUID",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),(\d+)\)$")


def normalize_type(graph_type: str) -> str:
    """A declared type in upper case without blanks: ``"decimal(12, 2)"`` -> ``DECIMAL(12,2)``."""
    return re.sub(r"\s+", "", graph_type).upper()


def duckdb_type(graph_type: str) -> str:
    """The DuckDB type a column of ``graph_type`` is CAST to.

    Raises ValueError for a type the mapping checks would have refused.

    Example:
        >>> duckdb_type("INT64"), duckdb_type("decimal(12, 2)")
        ('BIGINT', 'DECIMAL(12,2)')
    """
    name = normalize_type(graph_type)
    if name in _SIMPLE:
        return _SIMPLE[name]
    match = _DECIMAL.match(name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError(
                f"DECIMAL({precision},{scale}) is not a valid type: precision must be 1-38 "
                "and scale at most the precision"
            )
        return f"DECIMAL({precision},{scale})"
    raise ValueError(f"unknown property type {graph_type!r}")


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
