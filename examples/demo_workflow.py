"""The demo workflow: what an analyst does first, against the local platform.

Run it with ``make demo``. It uses the platform already answering at
``GRAPH_OLAP_API_URL`` (default ``http://localhost:8000``) or, when none answers, starts
one on that port with a fresh data folder under ``.graph_olap_data/demo``.
"""

from __future__ import annotations

import os
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlparse

from graph_olap import GraphOLAPClient, GraphOLAPError, ValidationError
from graph_olap.config import DEFAULT_API_URL

CUSTOMERS = {
    "label": "Customer",
    "sql": "SELECT customer_id, name, city, segment FROM sample.bank.customers",
    "primary_key": {"name": "customer_id", "type": "INT64"},
    "properties": [{"name": "name"}, {"name": "city"}, {"name": "segment"}],
}
ACCOUNTS = {
    "label": "Account",
    "sql": "SELECT account_id, account_type, balance FROM sample.bank.accounts",
    "primary_key": {"name": "account_id", "type": "INT64"},
    "properties": [{"name": "account_type"}, {"name": "balance", "type": "DECIMAL(12,2)"}],
}
OWNS = {
    "type": "OWNS",
    "from_node": "Customer",
    "to_node": "Account",
    "sql": "SELECT customer_id, account_id FROM sample.bank.accounts",
    "from_key": "customer_id",
    "to_key": "account_id",
}
TRANSFERRED_TO = {
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


def heading(text: str) -> None:
    print(f"\n== {text} " + "=" * max(0, 70 - len(text)))


def platform_answers(url: str) -> bool:
    try:
        with GraphOLAPClient(url, max_retries=0, timeout=2) as probe:
            return probe.health.check().status == "healthy"
    except GraphOLAPError:
        return False


def start_local_platform(url: str, stack: ExitStack) -> None:
    from graph_olap_server.runner import ServerThread
    from graph_olap_server.settings import Settings

    data_dir = Path(".graph_olap_data/demo").resolve()
    shutil.rmtree(data_dir, ignore_errors=True)
    parsed = urlparse(url)
    print(f"Starting the local platform on {url} (data in {data_dir}) ...")
    stack.enter_context(
        ServerThread(
            Settings(data_dir=data_dir),
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 8000,
        )
    )


def run(client: GraphOLAPClient) -> None:
    heading("Connected")
    health = client.health.check()
    print(f"{client!r}: platform {health.status}, version {health.version}")

    heading("Browse the warehouse")
    for catalog in client.schema.list_catalogs():
        for schema in client.schema.list_schemas(catalog.catalog_name):
            tables = client.schema.list_tables(catalog.catalog_name, schema.schema_name)
            print(
                f"{catalog.catalog_name}.{schema.schema_name}: "
                + ", ".join(t.table_name for t in tables)
            )
    columns = client.schema.list_columns("sample", "bank", "customers")
    print("customers columns: " + ", ".join(f"{c.column_name} {c.data_type}" for c in columns))
    print(
        "tables starting with 'trans': "
        + ", ".join(t.qualified_name for t in client.schema.search_tables("trans"))
    )

    heading("Create a mapping")
    mapping = client.mappings.create(
        "Bank customers",
        "Customers and the accounts they own",
        node_definitions=[CUSTOMERS, ACCOUNTS],
        edge_definitions=[OWNS],
        ttl="P7D",
    )
    print(
        f"mapping {mapping.id} '{mapping.name}' v{mapping.current_version} "
        f"by {mapping.owner_username}: "
        f"nodes {[n.label for n in mapping.node_definitions]}, "
        f"edges {[e.type for e in mapping.edge_definitions]}"
    )

    heading("A mistake is caught before anything is saved")
    try:
        client.mappings.update(
            mapping.id,
            "typo",
            node_definitions=[
                {**CUSTOMERS, "sql": CUSTOMERS["sql"].replace("city", "cty")},
                ACCOUNTS,
            ],
        )
    except ValidationError as err:
        print(f"ValidationError: {err.message}")

    heading("Update to a new version")
    updated = client.mappings.update(
        mapping.id, "Add money transfers between accounts", edge_definitions=[OWNS, TRANSFERRED_TO]
    )
    print(f"mapping {updated.id} is now at version {updated.current_version}")
    for version in client.mappings.list_versions(mapping.id):
        print(f"  v{version.version} by {version.created_by}: {version.change_description}")

    heading("Diff the versions")
    diff = client.mappings.diff_versions(mapping.id, from_version=1, to_version=2)
    print(f"summary: {diff.summary.model_dump()}")
    for change in diff.nodes + diff.edges:
        print(f"  {change.change:9} {change.key} {change.fields_changed or ''}")

    heading("List mappings")
    page = client.mappings.list(limit=10)
    print(f"{page.total} mapping(s):")
    for m in page:
        print(f"  #{m.id} {m.name!r} v{m.current_version} owner={m.owner_username}")

    heading("Favorites")
    client.favorites.add("mapping", mapping.id)
    print(
        "favorites: "
        + ", ".join(f"{f.resource_type} {f.resource_name}" for f in client.favorites.list())
    )

    heading("Start a graph instance from the mapping")
    instance = client.instances.create_from_mapping_and_wait(
        mapping.id, "demo graph", progress=True, timeout=600
    )
    print(f"instance {instance.id} is {instance.status} at {instance.instance_url}")
    with client.instances.connect(instance.id) as conn:
        heading("Cypher from Python")
        counts = conn.query_df(
            "MATCH (c:Customer)-[:OWNS]->(a:Account) "
            "RETURN c.city AS city, count(a) AS accounts, count(DISTINCT c) AS customers "
            "ORDER BY accounts DESC LIMIT 5"
        )
        print(counts)
        busiest = conn.query_one(
            "MATCH (a:Account)-[t:TRANSFERRED_TO]->() RETURN a.account_id AS account, "
            "count(t) AS transfers ORDER BY transfers DESC LIMIT 1"
        )
        print(f"busiest sender: {busiest}")
        total = conn.query_scalar("MATCH (n) RETURN count(n)")
        print(f"{total} nodes in the graph")

        heading("Graph algorithms")
        ranks = conn.algo.pagerank(node_labels="Account", relationship_types="TRANSFERRED_TO")
        print(ranks.sort("pagerank", descending=True).head(3))
        run = conn.algo.louvain(mode="mutate", property="community")
        print(
            f"louvain found {run.summary['community_count']} communities "
            f"(modularity {run.summary['modularity']:.3f}) and wrote them to "
            f"{run.summary.nodes_written} nodes; read back with Cypher:"
        )
        print(
            conn.query_df(
                "MATCH (a:Account) RETURN a.community AS community, count(*) AS accounts "
                "ORDER BY accounts DESC LIMIT 3"
            )
        )
        hubs = conn.networkx.degree_centrality(relationship_types="OWNS")
        print(f"NetworkX degree_centrality, top 3:\n{hubs.sort(hubs.columns[-1]).tail(3)}")

        heading("A picture of the graph")
        transfers = conn.query(
            "MATCH (a:Account)-[t:TRANSFERRED_TO]->(b:Account) RETURN a, t, b LIMIT 400"
        )
        view = transfers.show_graph(color_by="community")
        folder = Path(".graph_olap_data")  # there even when the platform was already up
        folder.mkdir(exist_ok=True)
        picture = view.save_html(folder / "demo-graph.html")
        print(
            f"{view.picture.summary}\nsaved as {picture} (open it in a browser; in Jupyter "
            "the same call shows an interactive widget)"
        )
    client.instances.terminate(instance.id)
    print(f"\nDone. Instance {instance.id} terminated.")


def main() -> int:
    url = os.environ.get("GRAPH_OLAP_API_URL", DEFAULT_API_URL)
    with ExitStack() as stack:
        if not platform_answers(url):
            start_local_platform(url, stack)
        with GraphOLAPClient(
            url, username=os.environ.get("GRAPH_OLAP_USERNAME", "analyst")
        ) as client:
            run(client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
