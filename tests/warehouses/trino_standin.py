"""A stand-in for a Trino cluster at the DB-API boundary of the ``trino`` client.

:class:`StandInTrino` answers what :class:`TrinoWarehouse` sends through ``connect()`` ->
``cursor()`` -> ``execute``/``fetchmany``/``fetchall``/``description``, as the ``trino``
client does: column types as Trino names them (``decimal(12,2)``, ``timestamp(6)``), query
errors as ``trino.exceptions.TrinoUserError``. Every statement must parse as Trino SQL
(sqlglot, ``read="trino"``); it is then run on in-memory DuckDB catalogs holding the data.
Every statement is kept in ``statements`` for the tests to inspect.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from trino.exceptions import TrinoUserError

EXPLAIN = "EXPLAIN (TYPE VALIDATE) "
_TRINO_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "VARCHAR": "varchar",
    "BOOLEAN": "boolean",
    "DOUBLE": "double",
    "FLOAT": "real",
    "DATE": "date",
    "TIMESTAMP": "timestamp(6)",
    "TIMESTAMP WITH TIME ZONE": "timestamp(6) with time zone",
    "UUID": "uuid",
}


def trino_type_name(duck_type: str) -> str:
    """How Trino names the DuckDB type ``duck_type`` in a result's columns."""
    found = re.match(r"DECIMAL\((\d+),(\d+)\)", duck_type)
    if found:
        return f"decimal({found.group(1)},{found.group(2)})"
    return _TRINO_TYPES[duck_type]


def _error(name: str, message: str) -> TrinoUserError:
    return TrinoUserError(
        {"errorName": name, "errorType": "USER_ERROR", "message": f"line 1:8: {message}"},
        "standin-query",
    )


def _information_schema(tree: exp.Expr) -> exp.Expr:
    """``"hive".information_schema.tables`` read from DuckDB's global information schema,
    restricted to that catalog (DuckDB has no per-catalog one), types in lowercase as
    Trino writes them."""
    for table in list(tree.find_all(exp.Table)):
        if table.db.lower() == "information_schema" and table.catalog:
            star = "* REPLACE (lower(data_type) AS data_type)" if table.name == "columns" else "*"
            sub = sqlglot.parse_one(
                f"(SELECT {star} FROM information_schema.{table.name} "
                f"WHERE table_catalog = '{table.catalog}') AS {table.name}",
                read="duckdb",
            )
            table.replace(sub)
    return tree


class StandInCursor:
    def __init__(self, trino: StandInTrino) -> None:
        self._trino = trino
        self._rows: Iterator[tuple[Any, ...]] = iter(())
        self.description: list[tuple[Any, ...]] | None = None
        self.fetchmany_calls = 0

    def execute(self, sql: str) -> None:
        self._trino.statements.append(sql)
        if sql == "SHOW CATALOGS":
            names = [r[0] for r in self._trino.duck.execute("SHOW DATABASES").fetchall()]
            names = [n for n in names if n not in ("memory", "system", "temp")]  # DuckDB's own
            self._answer([("Catalog", "varchar")], [(n,) for n in [*names, "system"]])
            return
        validate = sql.startswith(EXPLAIN)
        query = sql.removeprefix(EXPLAIN)
        tree = sqlglot.parse_one(query, read="trino")  # raises on anything but Trino SQL
        duck_sql = _information_schema(tree).sql(dialect="duckdb")
        try:
            rel = self._trino.duck.sql(duck_sql)
            if validate:
                self._answer([("Valid", "boolean")], [(True,)])
                return
            columns = [
                (n, trino_type_name(str(t))) for n, t in zip(rel.columns, rel.types, strict=True)
            ]
            self._answer(columns, rel.fetchall())
        except duckdb.CatalogException as err:
            raise _error("TABLE_NOT_FOUND", str(err).splitlines()[0]) from None
        except duckdb.BinderException as err:
            raise _error("COLUMN_NOT_FOUND", str(err).splitlines()[0]) from None

    def _answer(self, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        self.description = [(name, type_, None, None, None, None, True) for name, type_ in columns]
        self._rows = iter(rows)

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        self.fetchmany_calls += 1
        self._trino.fetchmany_calls += 1
        return list(itertools.islice(self._rows, size))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


class StandInConnection:
    def __init__(self, trino: StandInTrino) -> None:
        self._trino = trino
        self.closed = False

    def cursor(self) -> StandInCursor:
        return StandInCursor(self._trino)

    def close(self) -> None:
        self.closed = True
        self._trino.open_connections -= 1


class StandInTrino:
    """The cluster: DuckDB catalogs, the statements received, connections still open."""

    def __init__(self, duck: duckdb.DuckDBPyConnection) -> None:
        self.duck = duck
        self.statements: list[str] = []
        self.open_connections = 0
        self.fetchmany_calls = 0

    def connect(self) -> StandInConnection:
        self.open_connections += 1
        return StandInConnection(self)
