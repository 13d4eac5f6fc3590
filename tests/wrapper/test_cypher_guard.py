"""The read-only guard: write clauses are found outside literals, comments and names."""

from __future__ import annotations

import pytest

from graph_olap_server.wrapper.cypher import count_statements, find_write_clause


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        ("CREATE (n:Customer {id: 1})", "CREATE"),
        ("match (n) set n.x = 1", "SET"),
        ("MATCH (n) DETACH DELETE n", "DETACH"),
        ("MATCH (n) DELETE n", "DELETE"),
        ("MATCH (n) REMOVE n.age", "REMOVE"),
        ("MERGE (n:Customer {id: 1}) ON CREATE SET n.x = 1", "MERGE"),
        ("COPY Customer FROM 'x.parquet'", "COPY"),
        ("DROP TABLE Customer", "DROP"),
        ("ALTER TABLE Customer ADD x INT64", "ALTER"),
        ("INSTALL algo", "INSTALL"),
        ("LOAD EXTENSION algo", "LOAD"),
        ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
        ("ATTACH 'other.kz' AS other", "ATTACH"),
        ("CALL page_rank('g') RETURN *", "CALL"),
        ("MATCH (n) WITH n CALL { CREATE (:X) } RETURN n", "CALL"),
        ("RETURN 1 // comment\nCREATE (:X)", "CREATE"),
        ("MATCH (n) /* CREATE */ DELETE n", "DELETE"),
        ("MATCH (n {name: 'a\\'b'}) SET n.name = 'c'", "SET"),
        ("  create(:X)", "CREATE"),
        ("MATCH (a) WITH a CREATE (a)-[:R]->(:B)", "CREATE"),
        ("CHECKPOINT", "CHECKPOINT"),
        ("BEGIN TRANSACTION", "BEGIN"),
    ],
)
def test_write_clauses_are_found(query: str, clause: str) -> None:
    assert find_write_clause(query) == clause


@pytest.mark.parametrize(
    "query",
    [
        "MATCH (n:Customer) RETURN n",
        "MATCH (n) WHERE n.name = 'CREATE (x)' RETURN n",
        'MATCH (n) WHERE n.name = "DELETE me" RETURN n',
        "MATCH (n) WHERE n.name = 'it\\'s SET' RETURN n",
        "MATCH (n) RETURN n.create, n.`delete`, n.set",
        "MATCH (n:Create)-[:SET]->(m:`MERGE`) RETURN n",
        "MATCH (n) WHERE n.x = $delete RETURN n",
        "RETURN {set: 1, create: 2} AS m",
        "MATCH (n) // DELETE n\nRETURN n",
        "MATCH (n) /* DETACH DELETE n */ RETURN n",
        "MATCH (`CREATE`) RETURN `CREATE`",
        "CALL show_tables() RETURN *",
        "CALL table_info('Customer') RETURN *",
        "MATCH (n) RETURN n.name AS created_at, n.id AS setting, n.deleted",
        "MATCH (n) WHERE n.name CONTAINS 'load' RETURN count(*)",
    ],
)
def test_reads_pass(query: str) -> None:
    assert find_write_clause(query) is None


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("RETURN 1", 1),
        ("RETURN 1;", 1),
        ("RETURN 1;  \n ", 1),
        ("RETURN 1; RETURN 2", 2),
        ("RETURN ';'", 1),
        ("RETURN 1 // ; RETURN 2", 1),
        ("RETURN 1; /* trailing */", 1),
        ("   ", 0),
        ("// only a comment", 0),
        (";", 0),
    ],
)
def test_statements_are_counted(query: str, count: int) -> None:
    assert count_statements(query) == count
