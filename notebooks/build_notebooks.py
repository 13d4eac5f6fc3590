"""Write the example notebooks (without outputs) from the cells below.

Run it after editing a cell: ``.venv/bin/python notebooks/build_notebooks.py``. The
notebooks are committed without outputs; ``tests/notebooks`` runs them in a real kernel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip())


BASIC_WORKFLOW = [
    md("""
# Graph OLAP: the basic workflow

This notebook walks through what an analyst does first on the Graph OLAP platform:

1. **connect** to the platform;
2. **browse** the data warehouse to find the tables to use;
3. describe a graph as SQL over those tables: a **mapping**;
4. start a graph database from the mapping: an **instance**;
5. ask questions in **Cypher** and get DataFrames back;
6. **terminate** the instance when done.

It runs against the local platform, which comes with a small sample bank: customers,
their accounts and the money transfers between them. `notebook.connect()` starts it in the
background if it is not running yet.
"""),
    md("""
## 1. Connect

`notebook.connect()` finds the platform from the environment: `GRAPH_OLAP_API_URL`, else
the local platform at `http://localhost:8000`, which it starts in the background when nothing
answers there (one line says where, and how to stop it). You are `GRAPH_OLAP_USERNAME` if set,
else your JupyterHub user or your OS login name (or pass an API key). Displaying the client
shows where it is connected and who you are.
"""),
    code("""
import uuid

from graph_olap import notebook

client = notebook.connect()
client
"""),
    code("""
client.health.check().status
"""),
    md("""
## 2. Browse the warehouse

The warehouse is organised as catalogs, schemas and tables. The sample data lives in the
`sample` catalog; the bank is the schema `sample.bank`.
"""),
    code("""
for table in client.schema.list_tables("sample", "bank"):
    print(table.qualified_name)
"""),
    md("""
The columns of a table, with their types, tell us what we can select:
"""),
    code("""
for name in ("customers", "accounts", "transactions"):
    columns = client.schema.list_columns("sample", "bank", name)
    print(f"{name}: " + ", ".join(f"{c.column_name} ({c.data_type})" for c in columns))
"""),
    md("""
## 3. Describe the graph: a mapping

A mapping lists the **node labels** and **relationship types** of the graph. Each one is a
SQL `SELECT` over the warehouse:

- a node label names the column that identifies a node (its *primary key*) and the
  columns to keep as properties;
- a relationship type says which labels it joins and which columns hold the keys of its
  two ends.

Here: customers **own** accounts, and accounts **transfer** money to other accounts.
"""),
    code("""
customer = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, city, segment FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [{"name": "name"}, {"name": "city"}, {"name": "segment"}],
}
account = {
    "label": "Account",
    "sql": "SELECT account_id, account_type, balance FROM sample.bank.accounts",
    "primary_key": {"name": "account_id", "type": "INT64"},
    "properties": [{"name": "account_type"}, {"name": "balance", "type": "DECIMAL(12,2)"}],
}
owns = {
    "type": "OWNS",
    "from_node": "Customer",
    "to_node": "Account",
    "sql": "SELECT customer_id, account_id FROM sample.bank.accounts",
    "from_key": "customer_id",
    "to_key": "account_id",
}
transferred_to = {
    "type": "TRANSFERRED_TO",
    "from_node": "Account",
    "to_node": "Account",
    "sql": "SELECT from_account, to_account, amount, ts FROM sample.bank.transactions",
    "from_key": "from_account",
    "to_key": "to_account",
    "properties": [
        {"name": "amount", "type": "DECIMAL(12,2)"},
        {"name": "ts", "type": "TIMESTAMP"},
    ],
}
"""),
    md("""
The platform checks every SQL statement against the warehouse before it saves the mapping.
The name gets a short random suffix so that running the notebook again creates a new
mapping.
"""),
    code("""
suffix = uuid.uuid4().hex[:6]
mapping = client.mappings.create(
    f"bank-{suffix}",
    "Customers, their accounts and the transfers between accounts",
    node_definitions=[customer, account],
    edge_definitions=[owns, transferred_to],
)
mapping
"""),
    md("""
A mistake raises a `ValidationError` that names the definition and, for a table named
without its catalog or misspelt, the table meant; nothing is saved. Here the customers'
table without its catalog:
"""),
    code("""
from graph_olap import ValidationError

no_catalog = {**customer, "sql": "SELECT customer_id, name, city, segment FROM bank.customers"}
try:
    client.mappings.create(f"typo-{suffix}", "a table without its catalog",
                           node_definitions=[no_catalog], edge_definitions=[])
except ValidationError as err:
    print(err.message)
"""),
    md("""
## 4. Start a graph instance

An instance is a graph database loaded with the mapping's data: the platform exports the
rows from the warehouse (a *snapshot*) and starts a database on them. `progress=True`
shows how far it has got.
"""),
    code("""
instance = client.instances.create_from_mapping_and_wait(
    mapping.id, f"bank-analysis-{suffix}", progress=True, poll_interval=1
)
instance
"""),
    md("""
## 5. Ask questions in Cypher

`connect` opens a connection to the instance. `query_df` runs a Cypher query and returns a
DataFrame (polars by default, `backend="pandas"` for pandas).

Which cities have the most accounts?
"""),
    code("""
conn = client.instances.connect(instance.id)
by_city = conn.query_df(
    "MATCH (c:Customer)-[:OWNS]->(a:Account) "
    "RETURN c.city AS city, count(a) AS accounts, count(DISTINCT c) AS customers "
    "ORDER BY accounts DESC LIMIT 5"
)
by_city
"""),
    md("""
`query_one` returns the first row as a dictionary, and `query_scalar` a single value.
Which account sent the most transfers?
"""),
    code("""
busiest = conn.query_one(
    "MATCH (a:Account)-[t:TRANSFERRED_TO]->() "
    "RETURN a.account_id AS account, count(t) AS transfers "
    "ORDER BY transfers DESC LIMIT 1"
)
busiest
"""),
    md("""
Far ahead of every other account: it is the sample bank's payroll account, which pays
the salaries of 40 employees every month.

How many nodes does the graph hold? Every customer (1,000 of them) and every account:
"""),
    code("""
conn.query_scalar("MATCH (n) RETURN count(n)")
"""),
    md("""
`query` returns a `QueryResult`: the rows with their column names and types, how long the
query took, and conversions (`to_polars()`, `to_pandas()`, `to_dicts()`). In a notebook it
shows as a table, with the column types under it. The ten largest balances:
"""),
    code("""
result = conn.query(
    "MATCH (c:Customer)-[:OWNS]->(a:Account) "
    "RETURN c.name AS customer, a.account_type AS type, a.balance AS balance "
    "ORDER BY balance DESC LIMIT 10"
)
result
"""),
    md("""
## 6. Clean up

An instance uses memory on the platform until it is terminated (or its time to live runs
out). Terminate it when you are done; the mapping stays, to start another instance later.
`terminate` returns the instance, now terminated.
"""),
    code("""
conn.close()
client.instances.terminate(instance.id)
"""),
]


ALGORITHMS = [
    md("""
# Graph OLAP: graph algorithms

A running instance runs graph algorithms next to its graph and returns the results as
DataFrames, or writes them into the graph as node properties for Cypher to read.

This notebook uses **Zachary's karate club**, a classic small social network: 34 members
of a university karate club and the 78 friendships between them. The club split in two
after a conflict between its instructor, *Mr. Hi* (member 0), and its administrator, the
*Officer* (member 33); each member's `club` says whose club they joined. Graph algorithms
find the two leaders, and most of the split, from the friendships alone. The data is in
the local platform's sample warehouse, in `sample.classic`.
"""),
    md("""
## Connect and map the karate club

A mapping with one node label (`Member`) and one relationship type (`KNOWS`), each a
`SELECT` over the warehouse. The names get a random suffix so that re-runs do not collide.
"""),
    code("""
import uuid

from graph_olap import notebook

client = notebook.connect()
suffix = uuid.uuid4().hex[:6]

member = {
    "label": "Member",
    "sql": "SELECT member_id, club FROM sample.classic.karate_members",
    "primary_key": {"name": "member_id", "type": "INT64"},
    "properties": [{"name": "club", "type": "STRING"}],
}
knows = {
    "type": "KNOWS",
    "from_node": "Member",
    "to_node": "Member",
    "sql": "SELECT member_a, member_b, weight FROM sample.classic.karate_ties",
    "from_key": "member_a",
    "to_key": "member_b",
    "properties": [{"name": "weight", "type": "DOUBLE"}],
}
mapping = client.mappings.create(
    f"karate-{suffix}",
    "Zachary's karate club",
    node_definitions=[member],
    edge_definitions=[knows],
)
mapping
"""),
    md("""
## Start an instance

The platform exports the two tables and loads them into a graph database.
"""),
    code("""
instance = client.instances.create_from_mapping_and_wait(
    mapping.id, f"karate-{suffix}", progress=True, poll_interval=1
)
conn = client.instances.connect(instance.id)
members = conn.query_scalar("MATCH (m:Member) RETURN count(m)")
ties = conn.query_scalar("MATCH ()-[k:KNOWS]->() RETURN count(k)")
print(f"{members} members, {ties} friendships")
"""),
    md("""
## Who matters most? PageRank

`conn.algo` holds the native algorithms. PageRank scores a member higher when they are
friends with members who are themselves well connected. Friendship goes both ways, so we
treat the relationships as undirected. The result has one row per member, keyed by
`member_id`.
"""),
    code("""
ranks = conn.algo.pagerank(orientation="undirected")
ranks.sort("pagerank", descending=True).head(5)
"""),
    code("""
ranks.height
"""),
    md("""
Members 33 and 0 stand out, well ahead of the rest: the Officer and Mr. Hi, the two
leaders around whom the club split.

## Find the groups: Louvain, written into the graph

Louvain finds *communities*: groups of members with many friendships inside the group and
few across. With `mode="mutate"` the result is not returned as a DataFrame but written into
the graph as a node property (here `community`); the run returns its summary.
"""),
    code("""
run = conn.algo.louvain(mode="mutate", property="community")
run
"""),
    code("""
print(f"{run.summary['community_count']} communities, modularity {run.summary['modularity']:.3f}")
"""),
    md("""
The run's parameters say `method leiden`: by default `louvain` runs Leiden, a refinement
of Louvain that finds communities as good or better (`method="plm"` runs classic Louvain).
Louvain finds more communities than there are clubs: besides the split, it separates
tighter groups within each side.

The property is now part of the graph, so Cypher can use it: how does each community line
up with the club each member joined after the split?
"""),
    code("""
conn.query_df(
    "MATCH (m:Member) RETURN m.community AS community, m.club AS club, count(*) AS members "
    "ORDER BY community, club"
)
"""),
    md("""
Each community is made of one club's members, but for a member or two. Which members did
Louvain put with the other club's side?
"""),
    code("""
import polars as pl

members = conn.query_df(
    "MATCH (m:Member) RETURN m.member_id AS member_id, m.club AS club, m.community AS community"
)
sides = members.group_by("community").agg(pl.col("club").mode().first().alias("side"))
members.join(sides, on="community").filter(pl.col("club") != pl.col("side")).sort("member_id")
"""),
    md("""
Member 8 is the classic case (Louvain is randomised, so a run may name another member
too): three of his five friends are on the Officer's side, yet he joined Mr. Hi's club.
The friendships alone cannot tell.
"""),
    md("""
## Any NetworkX algorithm

`conn.networkx` runs any NetworkX function by name on the instance. Betweenness centrality
counts how often a member lies on the shortest paths between two others: the brokers
between the groups. As for PageRank, friendship goes both ways, so we ask for the
undirected graph (stored as directed relationships, each friendship would count one way
only, and most shortest paths would not exist).
"""),
    code("""
brokers = conn.networkx.betweenness_centrality(orientation="undirected")
brokers.sort("betweenness_centrality", descending=True).head(5)
"""),
    md("""
Mr. Hi (0) and the Officer (33) lead again, far ahead: most shortest paths between two
other members run through one of the two leaders.
"""),
    md("""
## What ran

Every run is an *execution* on the instance, native or NetworkX, newest first, with its
status and duration.
"""),
    code("""
conn.algo.executions()
"""),
    md("""
## Clean up

Terminate the instance to give its memory back to the platform.
"""),
    code("""
conn.close()
client.instances.terminate(instance.id)
"""),
]


VISUALIZATION = [
    md("""
# Graph OLAP: pictures of graphs

A table tells you *how many*; a picture shows *how it hangs together*. This notebook draws
the co-appearance network of **Les Misérables**: 77 characters, linked when they appear in
the same chapter. It runs PageRank and Louvain on the instance, writes their results into
the graph, and draws the characters **coloured by community** and **sized by PageRank**.

The picture is interactive in Jupyter: drag to pan, scroll to zoom, hover a character to
see its properties, search by name. Where widgets do not run (GitHub, nbconvert), the
same picture shows as a static image.
"""),
    md("""
## Connect, map, start

One node label (`Character`, keyed by name) and one relationship type (`APPEARS_WITH`,
weighted by the number of shared chapters), both from the sample warehouse.
"""),
    code("""
import uuid

from graph_olap import notebook

client = notebook.connect()
suffix = uuid.uuid4().hex[:6]

character = {
    "label": "Character",
    "sql": "SELECT name FROM sample.classic.les_miserables_characters",
    "primary_key": {"name": "name", "type": "STRING"},
    "properties": [],
}
appears_with = {
    "type": "APPEARS_WITH",
    "from_node": "Character",
    "to_node": "Character",
    "sql": "SELECT character_a, character_b, weight "
    "FROM sample.classic.les_miserables_cooccurrences",
    "from_key": "character_a",
    "to_key": "character_b",
    "properties": [{"name": "weight", "type": "DOUBLE"}],
}
mapping = client.mappings.create(
    f"les-miserables-{suffix}",
    "Les Misérables co-appearances",
    node_definitions=[character],
    edge_definitions=[appears_with],
)
instance = client.instances.create_from_mapping_and_wait(
    mapping.id, f"les-miserables-{suffix}", progress=True, poll_interval=1
)
conn = client.instances.connect(instance.id)
"""),
    md("""
## Score and group the characters

`mode="mutate"` writes each algorithm's result into the graph as a node property, so the
Cypher query that fetches the picture gets the scores with the nodes.
"""),
    code("""
conn.algo.pagerank(mode="mutate", property="pagerank", orientation="undirected")
communities = conn.algo.louvain(mode="mutate", property="community")
print(f"{communities.summary['community_count']} communities")
"""),
    md("""
## The whole network

`show_graph()` draws the nodes and relationships a query returns. Colour by the
`community` property, size by `pagerank`; captions come from the `name` property.
A relationship is stored with a direction, but a co-appearance has none: `directed=False`
draws each one as a plain line (the picture's header says *Undirected Graph*).
"""),
    code("""
everyone = conn.query("MATCH (a:Character)-[r:APPEARS_WITH]->(b:Character) RETURN a, r, b")
everyone.show_graph(color_by="community", size_by="pagerank", height=560, directed=False)
"""),
    md("""
## Around one character

A query picks what to draw. Here: Valjean and every character he appears with (one
relationship each, whichever way it is stored, since the pattern has no arrow),
coloured by node label this time (the default), so all the same colour.
"""),
    code("""
around = conn.query(
    "MATCH (v:Character {name: $name})-[r:APPEARS_WITH]-(other:Character) RETURN v, r, other",
    parameters={"name": "Valjean"},
)
around.show_graph(size_by="pagerank", height=420, directed=False)
"""),
    md("""
## Keep a copy

`save_html()` writes the static picture as a page to share; `to_networkx()` hands the same
nodes and relationships to any NetworkX or matplotlib code.
"""),
    code("""
view = everyone.show_graph(color_by="community", size_by="pagerank", directed=False)
path = view.save_html(f"les-miserables-{suffix}.html")
print(view.picture.summary)
path.unlink()
"""),
    md("""
## Clean up
"""),
    code("""
conn.close()
client.instances.terminate(instance.id)
"""),
]


BAD_DAY = [
    md("""
# Graph OLAP on a bad day

Things go wrong: a mapping with a mistake in it, a query that runs far too long, a result
too big for the notebook, a kernel restarted in the middle of a long export, a number
someone asks about a week later. This notebook shows what the SDK does about each:

1. **dry run**: check a mapping against the warehouse before anything is exported;
2. **lineage**: every result knows where it came from, and can run again;
3. **stop**: ■ stops the work on the platform, not just the wait for it;
4. **big results**: a preview and the ways out, instead of a frozen kernel;
5. **jobs**: long work you can leave, and pick up again from a new kernel.

It uses the sample bank of the local platform, like `basic_workflow.ipynb`.
"""),
    md("""
## 1. Check a mapping before exporting it

A mapping that looks right can still be wrong for the data. Here the `Account` label keeps
only the *checking* accounts, but the transfers go between accounts of every type: many of
them would start or end at an account that is not a node. `dry_run` checks definitions
against the warehouse (row counts, duplicate and missing keys, relationship ends that match
no node, values that do not fit their declared types) and estimates the instance, without
saving or exporting anything.
"""),
    code("""
import uuid

from graph_olap import notebook

client = notebook.connect()
suffix = uuid.uuid4().hex[:6]

account = {
    "label": "Account",
    "sql": "SELECT account_id, account_type, balance FROM sample.bank.accounts "
    "WHERE account_type = 'checking'",
    "primary_key": {"name": "account_id", "type": "INT64"},
    "properties": [{"name": "account_type"}, {"name": "balance", "type": "DECIMAL(12,2)"}],
}
transferred_to = {
    "type": "TRANSFERRED_TO",
    "from_node": "Account",
    "to_node": "Account",
    "sql": "SELECT from_account, to_account, amount FROM sample.bank.transactions",
    "from_key": "from_account",
    "to_key": "to_account",
    "properties": [{"name": "amount", "type": "DECIMAL(12,2)"}],
}
report = client.mappings.dry_run(node_definitions=[account], edge_definitions=[transferred_to])
report
"""),
    md("""
The report names the problem: transfers whose ends are not among the checking accounts,
at each end. Keep every account and check again: no problem is left, and the estimate says
what the instance will need.
"""),
    code("""
account["sql"] = "SELECT account_id, account_type, balance FROM sample.bank.accounts"
report = client.mappings.dry_run(node_definitions=[account], edge_definitions=[transferred_to])
print(f"ok: {report.ok}, problems: {report.problems}")
print(f"{report.estimate.nodes:,} nodes, {report.estimate.edges:,} relationships")
"""),
    md("""
Now save the mapping and start an instance from it.
"""),
    code("""
mapping = client.mappings.create(
    f"bad-day-{suffix}",
    "Accounts and transfers",
    node_definitions=[account],
    edge_definitions=[transferred_to],
)
instance = client.instances.create_from_mapping_and_wait(
    mapping.id, f"bad-day-{suffix}", progress=True, poll_interval=1
)
conn = client.instances.connect(instance.id)
"""),
    md("""
## 2. Where did this number come from?

Every result carries its **lineage**: the instance, the snapshot and the mapping version it
was loaded from, the engine, the query and its parameters, when it ran and how long each
step took. The table's caption shows it in short.
"""),
    code("""
by_type = conn.query_df(
    "MATCH (a:Account) WHERE a.balance > $floor "
    "RETURN a.account_type AS type, count(*) AS accounts ORDER BY type",
    {"floor": 1000},
)
by_type
"""),
    md("""
`lineage_of` gives the whole record, and `rerun` runs the same query with the same
parameters on the same instance: the answer is the same.
"""),
    code("""
from graph_olap import lineage_of

lineage = lineage_of(by_type)
print(lineage.caption())
print(f"query: {lineage.query}")
print(f"parameters: {lineage.parameters}")
print(f"rerun gives the same answer: {lineage.rerun(client).equals(by_type)}")
"""),
    md("""
## 3. Stop a query that runs too long

Press ■ (*Interrupt the kernel*, or `I`, `I`) while a cell runs, and the SDK stops the
work on the platform too: the engine interrupts the query, an algorithm is cancelled and
the instance's lock released, an export is cancelled, an instance that was starting is
terminated. Control comes back at once, with one line that says what was stopped.

The next cell counts the triples of accounts whose ids pass an arithmetic test: more than
five billion triples to test, which would take a long time. So that *Run All* goes on,
the cell presses ■ itself after two seconds (a timer sends the kernel the same signal,
`SIGINT`, that ■ sends) and catches the interrupt to print its line. Afterwards, nothing
runs on the instance.
"""),
    code("""
import signal
import threading

press_stop = (threading.main_thread().ident, signal.SIGINT)
threading.Timer(2.0, signal.pthread_kill, press_stop).start()  # ■ in two seconds
try:
    conn.query_scalar(
        "MATCH (a:Account), (b:Account), (c:Account) "
        "WHERE (a.account_id * b.account_id + c.account_id) % 1000003 = 7 RETURN count(*)"
    )
except KeyboardInterrupt as stopped:
    print(stopped)
print(f"queries running on the instance: {conn.running_queries()}")
"""),
    md("""
## 4. A result too big for the notebook

A query that returns millions of rows fills the kernel's memory, and the notebook freezes
while they arrive. Above a limit (1,000,000 rows or 512 MiB by default; `max_rows=` and
`max_bytes=` per call) the result is not sent: the instance keeps it for a while and the
SDK raises `ResultTooLargeError`, with the full count, a preview and the ways out. Every
pair of accounts is such a result:
"""),
    code("""
from graph_olap import ResultTooLargeError

every_pair = "MATCH (a:Account), (b:Account) RETURN a.account_id AS a, b.account_id AS b"
try:
    pairs = conn.query_df(every_pair)
except ResultTooLargeError as err:
    too_big = err
too_big
"""),
    md("""
The ways out work on the result the instance holds, without running the query again. In
batches of a bounded size:
"""),
    code("""
sizes = [batch.height for batch in too_big.result.batches(1_000_000)]
print(f"{len(sizes)} batches of {sizes} rows: {sum(sizes):,} in all")
"""),
    md("""
Or written as Parquet on the platform, downloaded in chunks, and read lazily with polars:
only what the query asks for is ever in memory. Here, the pairs of two different accounts
counted once each:
"""),
    code("""
import polars as pl

lazy = too_big.result.scan()
once = lazy.filter(pl.col("a") < pl.col("b")).select(pl.len()).collect().item()
print(f"{once:,} pairs of two different accounts")
"""),
    md("""
## 5. Long work you can leave and pick up again

An export, an instance start, an algorithm run and a bulk delete are **jobs**: one handle
with status, progress, `wait()`, `cancel()` and `result()`. Each has an id that finds it
again from any kernel: after a restart, `client.jobs.get(id).wait()` shows the progress
bar and returns the result. A new snapshot of the mapping returns at once, its export a
job:
"""),
    code("""
snapshot = client.snapshots.create(mapping.id, f"bad-day-{suffix}")
job = client.jobs.get(snapshot)
print(job.id)
client.jobs.list(kind="export")
"""),
    md("""
A new kernel needs only the id:
"""),
    code("""
client.jobs.get(job.id).wait(progress=True)
"""),
    md("""
## Clean up
"""),
    code("""
conn.close()
client.instances.terminate(instance.id)
"""),
]


def build(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A notebook of the cells, for the venv's ``python3`` kernel."""
    nb = new_notebook(cells=cells)
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number:02d}"  # stable ids: rebuilding changes only what was edited
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    for name, cells in (
        ("basic_workflow", BASIC_WORKFLOW),
        ("algorithms", ALGORITHMS),
        ("visualization", VISUALIZATION),
        ("bad_day", BAD_DAY),
    ):
        nb = build(cells)
        nbformat.validate(nb)
        path = HERE / f"{name}.ipynb"
        nbformat.write(nb, path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
