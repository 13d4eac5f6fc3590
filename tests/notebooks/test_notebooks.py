"""The example notebooks in ``notebooks/``, executed top to bottom in a real Jupyter kernel
(see ``kernel.py``), their outputs checked.

Every claim the notebooks' text makes about a result (who leads PageRank and betweenness,
how the communities line up with the clubs, counts) is asserted here, from the outputs,
and where cheap against an independent answer: DuckDB and NetworkX reading the sample
warehouse the platform serves.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import networkx as nx
import pytest

from graph_olap_server.runner import ServerThread
from tests.notebooks.kernel import (
    WIDGET_MIME,
    cell_with,
    code_cells,
    frame_of,
    html_of,
    markdown_of,
    result_of,
    text_of,
    widget_models,
)

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]

Run = Callable[[str], Any]


@pytest.fixture(scope="module")
def sample(server: ServerThread) -> Iterator[duckdb.DuckDBPyConnection]:
    """The sample warehouse the notebooks read, opened read-only with DuckDB."""
    con = duckdb.connect(str(server.settings.sample_warehouse_path), read_only=True)
    yield con
    con.close()


def _rows(sample: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sample.execute(sql).fetchall()


def _value(sample: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return _rows(sample, sql)[0][0]


@pytest.fixture(scope="module")
def karate(sample: duckdb.DuckDBPyConnection) -> nx.Graph:
    """Zachary's karate club as the warehouse holds it, each member with their club."""
    graph = nx.Graph()
    for member, club in _rows(sample, "SELECT member_id, club FROM classic.karate_members"):
        graph.add_node(member, club=club)
    graph.add_edges_from(_rows(sample, "SELECT member_a, member_b FROM classic.karate_ties"))
    return graph


def _ranked(cell: Any, column: str) -> list[tuple[int, float]]:
    return [(int(row["member_id"]), float(row[column])) for row in frame_of(cell)]


def _top(scores: dict[int, float], n: int) -> list[tuple[int, float]]:
    return sorted(scores.items(), key=lambda item: -item[1])[:n]


def _same_ranking(shown: list[tuple[int, float]], expected: list[tuple[int, float]]) -> None:
    assert [member for member, _ in shown] == [member for member, _ in expected]
    for (_, ours), (_, theirs) in zip(shown, expected, strict=True):
        # shown with six decimals; the instance's solver stops at its own tolerance
        assert ours == pytest.approx(theirs, abs=1e-5)


def _through(graph: nx.Graph, leaders: set[int]) -> float:
    """The share of shortest paths between two other nodes that pass through a leader
    (each pair weighs one, its paths shared equally)."""
    others = [n for n in graph if n not in leaders]
    shares = []
    for i, source in enumerate(others):
        for target in others[i + 1 :]:
            paths = list(nx.all_shortest_paths(graph, source, target))
            shares.append(sum(bool(leaders & set(p[1:-1])) for p in paths) / len(paths))
    return sum(shares) / len(shares)


def test_basic_workflow(executed_notebook: Run, sample: duckdb.DuckDBPyConnection) -> None:
    nb = executed_notebook("basic_workflow.ipynb")
    cells, says = code_cells(nb), markdown_of(nb)

    assert "go-root" in html_of(cell_with(cells, "client = notebook.connect()"))
    assert result_of(cell_with(cells, "client.health.check()")) == "'healthy'"
    assert "the bank is the schema `sample.bank`" in says
    tables = text_of(cell_with(cells, 'list_tables("sample", "bank")')).split()
    expected = _rows(sample, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'bank'")
    assert sorted(tables) == sorted(f"sample.bank.{name}" for (name,) in expected)
    assert "customer_id" in text_of(cell_with(cells, "list_columns"))

    assert "for a table named without its catalog or misspelt, the table meant" in says
    typo = text_of(cell_with(cells, "except ValidationError as err:")).strip()
    assert typo == (
        "node_definitions[0] (Customer): the SQL is not valid on the warehouse: "
        "Table bank.customers not found. Did you mean sample.bank.customers?"
    )

    mapping_html = html_of(cell_with(cells, "mapping = client.mappings.create("))
    assert "Customer" in mapping_html and "TRANSFERRED_TO" in mapping_html

    started = cell_with(cells, "create_from_mapping_and_wait")
    assert "running" in html_of(started)
    assert any(
        WIDGET_MIME in out.get("data", {}) or out.output_type == "stream"
        for out in started.outputs[:-1]
    ), "no progress shown"

    assert "Which cities have the most accounts?" in says  # the first five, as DuckDB counts
    by_city = cell_with(cells, "by_city = conn.query_df(")
    assert "<table" in html_of(by_city)
    shown = [(r["city"], int(r["accounts"]), int(r["customers"])) for r in frame_of(by_city)]
    counted = _rows(
        sample,
        "SELECT c.city, count(*) AS accounts, count(DISTINCT c.customer_id) "
        "FROM bank.accounts a JOIN bank.customers c USING (customer_id) "
        "GROUP BY c.city ORDER BY accounts DESC, c.city LIMIT 5",
    )
    assert shown == [tuple(row) for row in counted]

    assert (
        "Far ahead of every other account: it is the sample bank's payroll account, which "
        "pays the salaries of 40 employees every month." in says
    )
    busiest = ast.literal_eval(result_of(cell_with(cells, "busiest = conn.query_one(")))
    senders = _rows(
        sample,
        "SELECT from_account, count(*) AS n FROM bank.transactions "
        "GROUP BY from_account ORDER BY n DESC LIMIT 2",
    )
    assert (busiest["account"], busiest["transfers"]) == senders[0]
    assert senders[0][1] > 10 * senders[1][1], "far ahead of every other account"
    employees, paydays = _rows(
        sample,
        "SELECT count(DISTINCT to_account), count(DISTINCT date_trunc('month', ts)) "
        f"FROM bank.transactions WHERE from_account = {senders[0][0]} AND day(ts) = 25",
    )[0]
    assert (employees, paydays) == (40, 12)
    assert (
        _value(
            sample,
            "SELECT count(*) FROM bank.accounts WHERE account_type = 'business' "
            f"AND account_id = {senders[0][0]}",
        )
        == 1
    )

    assert "Every customer (1,000 of them) and every account" in says
    customers = _value(sample, "SELECT count(*) FROM bank.customers")
    assert customers == 1000
    accounts = _value(sample, "SELECT count(*) FROM bank.accounts")
    assert int(result_of(cell_with(cells, "query_scalar"))) == customers + accounts

    assert "with the column types under it. The ten largest balances" in says
    query = cell_with(cells, "result = conn.query(")
    assert result_of(query).startswith("<QueryResult 10 rows x 3 columns")
    query_html = html_of(query)
    assert "go-root" in query_html and "<table" in query_html
    assert "customer" in query_html and "DECIMAL(12" in query_html
    largest = _rows(sample, "SELECT balance FROM bank.accounts ORDER BY balance DESC LIMIT 10")
    positions = [query_html.index(f"{balance:.2f}") for (balance,) in largest]
    assert positions == sorted(positions), "the ten largest balances, largest first"

    terminated = cell_with(cells, "client.instances.terminate(")
    assert re.search(r"terminat|stopp", html_of(terminated) + text_of(terminated))


def test_algorithms(executed_notebook: Run, karate: nx.Graph) -> None:
    nb = executed_notebook("algorithms.ipynb")
    cells, says = code_cells(nb), markdown_of(nb)

    assert "Member" in html_of(cell_with(cells, "client.mappings.create("))
    assert "34 members of a university karate club and the 78 friendships" in says
    started = text_of(cell_with(cells, "create_from_mapping_and_wait"))
    counts = f"{karate.number_of_nodes()} members, {karate.number_of_edges()} friendships"
    assert (karate.number_of_nodes(), karate.number_of_edges()) == (34, 78)
    assert counts in started
    assert "*Mr. Hi* (member 0), and its administrator, the *Officer* (member 33)" in says
    assert (karate.nodes[0]["club"], karate.nodes[33]["club"]) == ("Mr. Hi", "Officer")

    assert "Members 33 and 0 stand out, well ahead of the rest" in says  # PageRank, undirected
    top = cell_with(cells, "conn.algo.pagerank(")
    assert "<table" in html_of(top) and "pagerank" in html_of(top)
    ranks = _ranked(top, "pagerank")
    _same_ranking(ranks, _top(nx.pagerank(karate), 5))
    assert {member for member, _ in ranks[:2]} == {0, 33}
    assert ranks[2][1] < 0.8 * ranks[1][1], "well ahead of the rest"
    assert result_of(cell_with(cells, "ranks.height")) == "34"

    louvain = cell_with(cells, 'conn.algo.louvain(mode="mutate"')
    assert "louvain" in html_of(louvain) and "completed" in html_of(louvain)
    assert "The run's parameters say `method leiden`" in says
    assert re.search(r"method\W+leiden", re.sub(r"<[^>]+>", " ", html_of(louvain)))
    summary = text_of(cell_with(cells, "community_count"))
    found = int(summary.split()[0])
    assert "Louvain finds more communities than there are clubs" in says
    assert found > 2
    assert re.fullmatch(rf"{found} communities, modularity 0\.\d{{3}}\n", summary)

    # how each community lines up with the clubs: the table, checked against the clubs
    table = cell_with(cells, "count(*) AS members")
    assert "<table" in html_of(table)
    rows = [(int(r["community"]), r["club"], int(r["members"])) for r in frame_of(table)]
    assert sum(n for _, _, n in rows) == 34 and len({c for c, _, _ in rows}) == found
    clubs = Counter(club for _, club in karate.nodes(data="club"))
    assert {club: sum(n for _, c, n in rows if c == club) for club in clubs} == clubs
    assert "Each community is made of one club's members, but for a member or two" in says
    per_community: dict[int, Counter[str]] = {}
    for community, club, n in rows:
        per_community.setdefault(community, Counter())[club] += n
    minority = {
        community: sum(by_club.values()) - max(by_club.values())
        for community, by_club in per_community.items()
    }
    assert 1 <= sum(minority.values()) <= 2
    assert "Which members did Louvain put with the other club's side?" in says  # just those
    others = frame_of(cell_with(cells, 'pl.col("club") != pl.col("side")'))
    assert len(others) == sum(minority.values())
    for row in others:
        member = int(row["member_id"])
        assert row["club"] == karate.nodes[member]["club"] != row["side"]
        assert minority[int(row["community"])] >= 1
    assert "three of his five friends are on the Officer's side, yet he joined Mr. Hi's" in says
    assert 8 in {int(row["member_id"]) for row in others}
    friends = Counter(karate.nodes[f]["club"] for f in karate.neighbors(8))
    assert (karate.nodes[8]["club"], friends["Officer"], sum(friends.values())) == (
        "Mr. Hi",
        3,
        5,
    )

    assert "Mr. Hi (0) and the Officer (33) lead again, far ahead" in says  # betweenness
    brokers = cell_with(cells, "conn.networkx.betweenness_centrality(")
    assert 'orientation="undirected"' in brokers.source
    assert "<table" in html_of(brokers) and "betweenness" in html_of(brokers)
    between = _ranked(brokers, "betweenness_centrality")
    _same_ranking(between, _top(nx.betweenness_centrality(karate), 5))
    assert [member for member, _ in between[:2]] == [0, 33]
    assert between[2][1] < 0.5 * between[1][1], "far ahead"
    assert "most shortest paths between two other members run through one of the two" in says
    assert _through(karate, {0, 33}) > 0.5

    assert "newest first, with its status and duration" in says
    executions = html_of(cell_with(cells, "conn.algo.executions()"))
    where = [executions.index(name) for name in ("betweenness_centrality", "louvain", "pagerank")]
    assert where == sorted(where), "newest first"
    assert executions.count("completed") == 3 and "duration_ms" in executions


def test_visualization(executed_notebook: Run, sample: duckdb.DuckDBPyConnection) -> None:
    nb = executed_notebook("visualization.ipynb")
    cells, says = code_cells(nb), markdown_of(nb)
    characters = _value(sample, "SELECT count(*) FROM classic.les_miserables_characters")
    links = _value(sample, "SELECT count(*) FROM classic.les_miserables_cooccurrences")
    assert f"{characters} characters, linked when they appear in the same chapter" in says

    communities = int(text_of(cell_with(cells, 'print(f"{communities.summary')).split()[0])
    assert communities >= 2

    assert "**coloured by community** and **sized by PageRank**" in says
    whole = cell_with(cells, 'everyone.show_graph(color_by="community", size_by="pagerank", height')
    widgets = [model["model_name"] for model in widget_models(nb, whole)]
    assert widgets.count("SigmaModel") == 1, widgets
    assert f"{characters} nodes, {links} relationships" in text_of(whole)
    assert "colour: community; size: pagerank" in text_of(whole)
    static = html_of(whole)  # the fallback for front ends without widgets
    assert "draws each one as a plain line" in says
    assert "Undirected Graph" in says
    assert "marker" not in static  # plain lines, no arrow heads
    assert static.count("<line") == links
    assert static.count("<circle") == characters
    assert static.count('class="go-graph-legend"') == 1
    assert static.count("border-radius:50%") == communities  # one legend entry each
    radii = {float(r) for r in re.findall(r'<circle [^>]* r="([0-9.]+)"', static)}
    assert len(radii) > 10, "sized by pagerank: many different radii"

    assert "Valjean and every character he appears with" in says
    assert "coloured by node label this time (the default)" in says
    around = cell_with(cells, "around.show_graph(")
    assert "SigmaModel" in [model["model_name"] for model in widget_models(nb, around)]
    with_valjean = _value(
        sample,
        "SELECT count(*) FROM classic.les_miserables_cooccurrences "
        "WHERE 'Valjean' IN (character_a, character_b)",
    )
    assert f"{with_valjean + 1} nodes, {with_valjean} relationships" in text_of(around)
    assert "colour: label" in text_of(around)
    assert html_of(around).count("<circle") == with_valjean + 1
    assert "Valjean" in html_of(around)

    assert f"{characters} nodes" in text_of(cell_with(cells, "view.save_html("))


def test_bad_day(executed_notebook: Run, sample: duckdb.DuckDBPyConnection) -> None:
    nb = executed_notebook("bad_day.ipynb")
    cells, says = code_cells(nb), markdown_of(nb)

    # 1. the dry run finds the transfers whose ends are not checking accounts, at each end
    assert "many of them would start or end at an account that is not a node" in says
    first = cell_with(cells, "WHERE account_type = 'checking'")
    assert result_of(first) == "<DryRunReport 1 node / 1 edge definitions: 2 problem(s)>"
    report_html = html_of(first)
    for end, other in (("from_account", "to_account"), ("to_account", "from_account")):
        dangling = _value(
            sample,
            f"SELECT count(*) FROM bank.transactions t WHERE {end} NOT IN "
            "(SELECT account_id FROM bank.accounts WHERE account_type = 'checking')",
        )
        assert 0 < dangling < 6000, other
        assert f"{dangling} edge(s) have a {end} matching no Account node" in report_html
    assert "no problem is left, and the estimate says" in says
    accounts = _value(sample, "SELECT count(*) FROM bank.accounts")
    transfers = _value(sample, "SELECT count(*) FROM bank.transactions")
    assert text_of(cell_with(cells, 'print(f"ok: {report.ok}')) == (
        f"ok: True, problems: []\n{accounts:,} nodes, {transfers:,} relationships\n"
    )

    # 2. lineage: the caption, the record, and a rerun with the same answer
    by_type = cell_with(cells, "by_type = conn.query_df(")
    shown = [(r["type"], int(r["accounts"])) for r in frame_of(by_type)]
    counted = _rows(
        sample,
        "SELECT account_type, count(*) FROM bank.accounts WHERE balance > 1000 "
        "GROUP BY 1 ORDER BY 1",
    )
    assert shown == [tuple(row) for row in counted]
    # the caption (JSON in itables' options: "·" as \u00b7) under the table
    dot = r" \\u00b7 "
    origin = rf"instance \d+{dot}snapshot \d+{dot}mapping \d+ v1{dot}kuzu{dot}[\d.]+ s</div>"
    start = rf'"caption": "{len(counted)} rows<div class=\\"go-footer go-lineage\\"'
    assert re.search(start, html_of(by_type))
    assert re.search(origin, html_of(by_type))
    caption, query, parameters, rerun = text_of(cell_with(cells, "lineage_of(by_type)")).split(
        "\n"
    )[:4]
    assert re.fullmatch(r"instance \d+ · snapshot \d+ · mapping \d+ v1 · kuzu · [\d.]+ s", caption)
    assert query == (
        "query: MATCH (a:Account) WHERE a.balance > $floor "
        "RETURN a.account_type AS type, count(*) AS accounts ORDER BY type"
    )
    assert parameters == "parameters: {'floor': 1000}"
    assert rerun == "rerun gives the same answer: True"

    # 3. the stop: the query was interrupted on the platform, and nothing runs there
    assert "Afterwards, nothing runs on the instance." in says
    stopped = text_of(cell_with(cells, "signal.pthread_kill")).splitlines()
    assert re.fullmatch(
        r"Stopped query [0-9a-f]{12} on instance \d+ \(the platform interrupted it\)\.",
        stopped[0],
    ), stopped
    assert stopped[1:] == ["queries running on the instance: []"]

    # 4. every pair of accounts is over the 1,000,000-row limit: held, previewed, fetched
    assert "Every pair of accounts is such a result" in says
    pairs = accounts * accounts
    assert pairs > 1_000_000
    too_big = html_of(cell_with(cells, "every_pair = "))
    assert "ResultTooLargeError" in too_big and "RESULT_TOO_LARGE" in too_big
    assert f"showing 20 of {pairs:,} rows" in too_big
    for way_out in ("err.result.fetch()", ".batches(", ".to_parquet(", ".scan()"):
        assert way_out in too_big, way_out
    full, rest = divmod(pairs, 1_000_000)
    sizes = [1_000_000] * full + ([rest] if rest else [])
    assert text_of(cell_with(cells, "too_big.result.batches(")) == (
        f"{len(sizes)} batches of {sizes} rows: {pairs:,} in all\n"
    )
    assert "the pairs of two different accounts counted once each" in says
    once = accounts * (accounts - 1) // 2
    assert text_of(cell_with(cells, "too_big.result.scan()")) == (
        f"{once:,} pairs of two different accounts\n"
    )

    # 5. the snapshot's export is a job, found by id and waited for with a progress bar
    listed = cell_with(cells, "client.jobs.get(snapshot)")
    job_id = text_of(listed).splitlines()[0]
    assert re.fullmatch(r"export-\d+", job_id), job_id
    assert job_id in html_of(listed)
    waited = cell_with(cells, "client.jobs.get(job.id).wait(progress=True)")
    assert any(WIDGET_MIME in out.get("data", {}) for out in waited.outputs), "no progress bar"
    assert re.match(rf"<Snapshot {job_id.removeprefix('export-')} '[^']+' ready", result_of(waited))

    terminated = cell_with(cells, "client.instances.terminate(")
    assert re.search(r"terminat|stopp", html_of(terminated) + text_of(terminated))
