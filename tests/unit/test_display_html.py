"""Rich notebook display: ``_repr_html_`` of models, pages, query results and settings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from graph_olap import GraphOLAPClient, models
from graph_olap.config import Config
from graph_olap.display import badge, relative_time, status_class
from graph_olap.display.cards import model_card
from graph_olap.instance.result import QueryResult
from graph_olap.models import (
    AlgorithmExecution,
    AlgorithmInfo,
    AlgorithmProgress,
    BulkDeleteResult,
    ClusterHealth,
    ClusterInstances,
    Column,
    ConcurrencyConfig,
    EdgeDefinition,
    GraphSchema,
    HealthStatus,
    Instance,
    InstanceLimits,
    InstanceProgress,
    JobsStatus,
    JobTriggerResult,
    LifecycleConfig,
    LockStatus,
    MaintenanceMode,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
    PaginatedList,
    Snapshot,
    SnapshotProgress,
    SystemState,
    Table,
)
from graph_olap.models.common import ModelList
from graph_olap.styles import get_notebook_css

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

MAPPING = {
    "id": 1,
    "name": "customers",
    "description": "Bank customers and their accounts",
    "owner_username": "alice",
    "current_version": 2,
    "snapshot_count": 3,
    "created_at": "2026-02-01T09:00:00Z",
    "updated_at": "2026-02-28T10:00:00Z",
    "node_definitions": [
        {
            "label": "Customer",
            "sql": "SELECT customer_id, name FROM sample.bank.customers",
            "primary_key": {"name": "customer_id", "type": "INT64"},
            "properties": [{"name": "name", "type": "STRING"}],
        }
    ],
    "edge_definitions": [
        {
            "type": "OWNS",
            "from_node": "Customer",
            "to_node": "Account",
            "sql": "SELECT customer_id, account_id FROM sample.bank.accounts",
            "from_key": "customer_id",
            "to_key": "account_id",
        }
    ],
}
SNAPSHOT = {
    "id": 7,
    "mapping_id": 1,
    "mapping_version": 2,
    "name": "customers-snap",
    "owner_username": "alice",
    "status": "ready",
    "size_bytes": 1536,
    "node_counts": {"Customer": 200},
    "edge_counts": {"OWNS": 350},
    "created_at": "2026-03-01T11:57:00Z",
}
INSTANCE = {
    "id": 12,
    "snapshot_id": 7,
    "mapping_id": 1,
    "mapping_version": 2,
    "name": "analysis",
    "owner_username": "alice",
    "status": "running",
    "instance_url": "http://wrapper-12:8000",
    "cpu_cores": 2,
    "expires_at": "2026-03-02T12:00:00Z",
    "created_at": "2026-03-01T11:00:00Z",
}
EXECUTION = {
    "id": "ex-4f3a9c1b",
    "algorithm": "pagerank",
    "kind": "native",
    "mode": "stream",
    "status": "running",
    "phase": "computing",
    "progress": {"phase": "computing", "completed_steps": 2, "total_steps": 4},
    "username": "alice",
    "parameters": {"damping_factor": 0.85},
    "started_at": "2026-03-01T11:59:00Z",
    "summary": {"nodes": 1000, "relationships": 5000, "modularity": 0.41},
}


class _Collector(HTMLParser):
    """Parses an output: checks it is well nested and collects classes, tags and text."""

    VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.classes: set[str] = set()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "class" and value:
                self.classes.update(value.split())
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] != "style":
            self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    assert collector.stack == [], f"unclosed tags {collector.stack}"
    return collector


def text_of(html: str) -> str:
    return " ".join(" ".join(parse(html).text).split())


def assert_self_contained(html: str) -> _Collector:
    parsed = parse(html)
    assert parsed.tags.count("style") == 1
    assert html.startswith('<div class="go-root"><style>')
    assert "go-root" in parsed.classes
    assert all(c.startswith("go-") for c in parsed.classes), parsed.classes
    return parsed


# -- the design system -------------------------------------------------------------


def test_css_has_light_and_dark_themes_and_only_go_classes() -> None:
    css = get_notebook_css()
    assert "--go-bg:" in css and "--go-ok-fg:" in css
    assert 'body[data-jp-theme-light="false"] .go-root' in css
    assert "@media (prefers-color-scheme: dark)" in css
    for cls in ("go-card", "go-kv", "go-table", "go-badge-ok", "go-badge-error", "go-id"):
        assert f".{cls}" in css
    selectors = [
        line.strip()
        for line in css.splitlines()
        if line.strip().endswith("{") and not line.strip().startswith("@")
    ]
    assert selectors and all(".go-" in s for s in selectors), selectors
    assert len(css.splitlines()) < 300


def test_packaged_css_matches_its_source() -> None:
    assert get_notebook_css() == (ROOT / "styles" / "notebook.css").read_text(encoding="utf-8")


# -- building blocks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("running", "ok"),
        ("ready", "ok"),
        ("completed", "ok"),
        ("starting", "info"),
        ("queued", "info"),
        ("pending", "info"),
        ("failed", "error"),
        ("terminated", "neutral"),
        ("cancelled", "neutral"),
        ("something-new", "neutral"),
        ("RUNNING", "ok"),
    ],
)
def test_status_badge_classes(status: str, kind: str) -> None:
    assert status_class(status) == f"go-badge-{kind}"
    assert f"go-badge-{kind}" in badge(status)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=2), "just now"),
        (timedelta(seconds=42), "42 s ago"),
        (timedelta(minutes=3, seconds=20), "3 min ago"),
        (timedelta(hours=2, minutes=59), "2 h ago"),
        (timedelta(days=5), "5 d ago"),
        (timedelta(days=-1, hours=-1), "in 1 d"),
    ],
)
def test_relative_time(delta: timedelta, text: str) -> None:
    assert relative_time(NOW - delta, now=NOW) == text


def test_relative_time_takes_naive_datetimes_as_utc() -> None:
    naive = (NOW - timedelta(minutes=3)).replace(tzinfo=None)
    assert relative_time(naive, now=NOW) == "3 min ago"


def test_relative_time_defaults_to_now_in_utc() -> None:
    assert relative_time(datetime.now(timezone.utc) - timedelta(minutes=10)) == "10 min ago"


# -- models ------------------------------------------------------------------------


def test_mapping_card() -> None:
    mapping = Mapping.model_validate(MAPPING)
    html = mapping._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert {"go-card", "go-kv", "go-table", "go-id"} <= parsed.classes
    assert "customers" in text and "#1" in text and "v2" in text
    assert "Customer" in text and "(:Customer)-[:OWNS]->(:Account)" in text
    assert repr(mapping) == "<Mapping 1 'customers' v2 by alice, 1 node labels, 1 edge types>"


def test_mapping_name_with_script_is_escaped() -> None:
    evil = "<script>alert('x')</script>"
    mapping = Mapping.model_validate({**MAPPING, "name": evil, "description": f"a {evil}"})
    html = mapping._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "script" not in parse(html).tags
    page = PaginatedList([mapping], total=1, offset=0, limit=10)
    assert "<script>" not in page._repr_html_()
    result = QueryResult(columns=[evil], rows=[[evil]], column_types=[evil])
    assert "<script>" not in result._repr_html_()


def test_snapshot_card_shows_status_size_and_counts() -> None:
    snapshot = Snapshot.model_validate(SNAPSHOT)
    card = model_card(snapshot, now=NOW)
    parsed = parse(card)
    text = text_of(card)
    assert "go-badge-ok" in parsed.classes
    assert "1.5 KB" in text and "Customer" in text and "[:OWNS]" in text and "350" in text
    assert "3 min ago" in text
    assert repr(snapshot) == "<Snapshot 7 'customers-snap' ready, mapping 1 v2>"
    assert_self_contained(snapshot._repr_html_())


def test_instance_card_and_failed_instance() -> None:
    instance = Instance.model_validate(INSTANCE)
    text = text_of(model_card(instance, now=NOW))
    assert "http://wrapper-12:8000" in text and "snapshot #7 of mapping #1 v2" in text
    assert "1 h ago" in text and "in 1 d" in text
    card = model_card(instance, now=NOW)
    for call in ("client.instances.get(12)", "client.snapshots.get(7)", "client.mappings.get(1)"):
        assert f'title="{call}"' in card, f"no link to {call}"
    failed = Instance.model_validate(
        {**INSTANCE, "status": "failed", "error_message": "pod <evicted>"}
    )
    card = model_card(failed, now=NOW)
    assert {"go-badge-error", "go-error"} <= parse(card).classes
    assert "pod &lt;evicted&gt;" in card
    assert repr(failed) == "<Instance 12 'analysis' failed, snapshot 7, error 'pod <evicted>'>"


@pytest.mark.parametrize(
    ("status", "kind"),
    [("starting", "info"), ("waiting_for_snapshot", "info"), ("terminated", "neutral")],
)
def test_instance_badges(status: str, kind: str) -> None:
    instance = Instance.model_validate({**INSTANCE, "status": status})
    assert f"go-badge-{kind}" in parse(instance._repr_html_()).classes


def test_execution_card() -> None:
    run = AlgorithmExecution.model_validate(EXECUTION)
    card = model_card(run, now=NOW)
    text = text_of(card)
    assert "go-badge-ok" in parse(card).classes
    assert "ex-4f3a9c1b" in text and "pagerank" in text and "computing 2/4" in text
    assert "damping_factor" in text and "modularity" in text and "1 min ago" in text
    failed = AlgorithmExecution.model_validate(
        {**EXECUTION, "status": "failed", "error": {"code": "ALGORITHM_FAILED", "message": "oom"}}
    )
    html = failed._repr_html_()
    assert "go-badge-error" in parse(html).classes and "ALGORITHM_FAILED: oom" in text_of(html)
    assert "computing 2/4" not in text_of(html)


def test_lock_status_card() -> None:
    free = LockStatus.model_validate({"locked": False})
    assert "unlocked" in text_of(free._repr_html_())
    held = LockStatus.model_validate(
        {
            "locked": True,
            "holder_username": "alan",
            "algorithm": "louvain",
            "execution_id": "ex-1",
            "locked_at": "2026-03-01T11:55:00Z",
        }
    )
    card = model_card(held, now=NOW)
    assert "go-badge-warn" in parse(card).classes
    assert "alan" in text_of(card) and "ex-1" in text_of(card) and "5 min ago" in text_of(card)


def test_health_cards() -> None:
    health = ClusterHealth.model_validate(
        {
            "status": "degraded",
            "components": {
                "database": {"status": "healthy", "latency_ms": 1.5},
                "warehouse": {"status": "unhealthy", "message": "timeout"},
            },
            "checked_at": "2026-03-01T11:59:30Z",
        }
    )
    card = model_card(health, now=NOW)
    assert {"go-badge-warn", "go-badge-ok", "go-badge-error"} <= parse(card).classes
    assert "timeout" in text_of(card) and "30 s ago" in text_of(card)
    status = HealthStatus.model_validate({"status": "ok", "version": "1.2.0"})
    assert "go-badge-ok" in parse(status._repr_html_()).classes
    jobs = JobsStatus.model_validate(
        {"jobs": [{"name": "reconcile", "schedule": "every 60s", "health_status": "healthy"}]}
    )
    assert "reconcile" in text_of(jobs._repr_html_())


def test_generic_card_for_any_model() -> None:
    from graph_olap.models import CacheStats, Favorite

    favorite = Favorite.model_validate(
        {"resource_type": "mapping", "resource_id": 1, "resource_name": "customers"}
    )
    text = text_of(favorite._repr_html_())
    assert "Favorite" in text and "resource_type" in text and "mapping" in text
    stats = CacheStats.model_validate(
        {"total_catalogs": 1, "total_schemas": 2, "total_tables": 3, "total_columns": 12345}
    )
    assert "12,345" in text_of(stats._repr_html_())


# -- lists and query results --------------------------------------------------------


def test_paginated_list_table_shows_n_of_total() -> None:
    items = [Instance.model_validate({**INSTANCE, "id": i, "name": f"i{i}"}) for i in range(3)]
    page = PaginatedList(items, total=42, offset=0, limit=3)
    html = page._repr_html_()
    parsed = assert_self_contained(html)
    assert parsed.tags.count("tr") == 4
    assert "showing 3 of 42" in text_of(html)
    assert "go-badge-ok" in parsed.classes
    later = PaginatedList(items, total=42, offset=3, limit=3)
    assert "showing 3 of 42 (from #4)" in text_of(later._repr_html_())
    runs = [
        AlgorithmExecution.model_validate({**EXECUTION, "status": "completed", "duration_ms": ms})
        for ms in (350.0, 61_000.0)
    ]
    text = text_of(PaginatedList(runs, total=2, offset=0, limit=2)._repr_html_())
    assert "350 ms" in text and "1 min 01 s" in text
    snapshots = PaginatedList([Snapshot.model_validate(SNAPSHOT)], total=1, offset=0, limit=1)
    assert "1.5 KB" in text_of(snapshots._repr_html_())
    empty = PaginatedList[Any]([], total=0, offset=0, limit=10)
    assert "showing 0 of 0" in text_of(empty._repr_html_())


def test_query_result_table_shows_20_rows_and_types() -> None:
    result = QueryResult.from_api(
        {
            "columns": ["name", "age"],
            "column_types": ["STRING", "INT64"],
            "rows": [[f"person {i}", i] for i in range(50)],
            "execution_time_ms": 3.5,
        }
    )
    html = result._repr_html_()
    parsed = assert_self_contained(html)
    assert parsed.tags.count("tr") == 21
    text = text_of(html)
    assert "showing 20 of 50 rows" in text and "3.5 ms" in text
    assert "STRING" in text and "INT64" in text
    assert "person 19" in text and "person 20" not in text
    small = QueryResult(columns=["n"], rows=[[1], [None]])
    assert "showing 2 of 2 rows" in text_of(small._repr_html_())


# -- secrets -----------------------------------------------------------------------

SECRET = "sk-very-secret-0123"
INTERNAL = "internal-very-secret-4567"


def test_config_never_shows_secrets() -> None:
    config = Config(api_key=SECRET, internal_api_key=INTERNAL, username="alice")
    for text in (repr(config), str(config), config._repr_html_()):
        assert SECRET not in text and INTERNAL not in text
    html = config._repr_html_()
    assert_self_contained(html)
    assert "set (hidden)" in text_of(html) and "internal api key" in text_of(html)


def test_client_never_shows_secrets() -> None:
    with GraphOLAPClient(api_key=SECRET, internal_api_key=INTERNAL) as client:
        for text in (repr(client), str(client), client._repr_html_()):
            assert SECRET not in text and INTERNAL not in text
        assert "http://localhost:8000" in text_of(client._repr_html_())
        assert SECRET not in client.config._repr_html_()


# -- the graph schema, algorithms, mapping versions and diffs ------------------------

SCHEMA = {  # as the wrapper sends it ("from"/"to")
    "node_labels": [
        {
            "label": "Customer",
            "primary_key": {"name": "customer_id", "type": "INT64"},
            "properties": [{"name": "name", "type": "STRING"}],
            "count": 200,
        },
        {"label": "Account", "primary_key": {"name": "account_id", "type": "INT64"}, "count": 350},
    ],
    "relationship_types": [
        {
            "type": "OWNS",
            "from": "Customer",
            "to": "Account",
            "properties": [{"name": "since", "type": "DATE"}],
            "count": 350,
        }
    ],
}
PAGERANK = {
    "name": "pagerank",
    "kind": "native",
    "title": "PageRank",
    "description": "Importance from incoming links",
    "modes": ["stream", "mutate"],
    "result_columns": ["pagerank"],
    "default_property": "pagerank",
    "orientations": ["natural", "undirected"],
    "default_orientation": "natural",
    "parameters": [
        {"name": "damping_factor", "type": "float", "default": 0.85, "minimum": 0, "maximum": 1,
         "description": "Chance to follow a link"},
        {"name": "max_iterations", "type": "int", "default": 20, "minimum": 1},
        {"name": "source", "type": "str", "required": True, "choices": ["a", "b"]},
    ],
}  # fmt: skip


def test_graph_schema_card_and_repr() -> None:
    schema = GraphSchema.model_validate(SCHEMA)
    html = schema._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert parsed.tags.count("table") == 2
    assert "2 node labels · 1 relationship types · 550 nodes, 350 relationships" in text
    assert "(:Customer) customer_id INT64 name STRING 200" in text
    assert "(:Customer)-[:OWNS]->(:Account) since DATE 350" in text
    assert repr(schema) == (
        "<GraphSchema 2 node labels (550 nodes), 1 relationship types (350 relationships)>"
    )
    assert "the graph is empty" in text_of(GraphSchema()._repr_html_())
    assert "(:Account) account_id INT64" in text_of(schema.label("Account")._repr_html_())


def test_algorithm_info_card_shows_parameters_with_types_and_defaults() -> None:
    info = AlgorithmInfo.model_validate(PAGERANK)
    html = info._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert {"go-badge-info", "go-badge-warn", "go-table"} <= parsed.classes  # kind, required
    assert "pagerank" in text and "PageRank — Importance from incoming links" in text
    assert "damping_factor float 0.85 [0, 1] Chance to follow a link" in text
    assert "max_iterations int 20 [1, ]" in text
    assert "source str required one of a, b" in text
    assert "natural, undirected (default natural)" in text and "mutate writes pagerank" in text
    networkx = AlgorithmInfo.model_validate(
        {"name": "density", "kind": "networkx", "signature": "density(G)",
         "documentation": "Returns the density.\n\nLonger <b>text</b>."}
    )  # fmt: skip
    text = text_of(networkx._repr_html_())
    assert "density(G)" in text and "Returns the density." in text and "Longer" not in text


def test_algorithm_list_table() -> None:
    from graph_olap.instance.algorithms import info_list

    page = info_list({"algorithms": [PAGERANK, {"name": "wcc", "title": "Components"}]})
    html = page._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert parsed.tags.count("tr") == 3 and "showing 2 of 2" in text
    assert "damping_factor, max_iterations, source" in text and "Components" in text


def test_mapping_diff_card_colours_each_change() -> None:
    before = {**MAPPING["node_definitions"][0]}
    after = {**before, "sql": "SELECT customer_id, name FROM sample.bank.customers2"}
    diff = MappingDiff.model_validate(
        {
            "mapping_id": 1,
            "from_version": 1,
            "to_version": 2,
            "summary": {"nodes_added": 1, "nodes_modified": 1, "edges_removed": 1},
            "nodes": [
                {"key": "Branch", "change": "added", "after": {"sql": "SELECT 1 AS id"}},
                {"key": "Customer", "change": "modified", "fields_changed": ["sql"],
                 "before": before, "after": after},
            ],
            "edges": [{"key": "OWNS", "change": "removed",
                       "before": MAPPING["edge_definitions"][0]}],
        }
    )  # fmt: skip
    html = diff._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert {"go-badge-ok", "go-badge-warn", "go-badge-error"} <= parsed.classes
    assert "v1 → v2" in text and "#1" in text
    assert "node labels +1 added ~1 modified · edge types -1 removed" in text
    assert "node Branch +added SELECT 1 AS id" in text
    assert "sql: SELECT customer_id, name FROM sample.bank.customers → " in text
    assert "customers2" in text
    assert "edge OWNS -removed SELECT customer_id, account_id" in text
    assert repr(diff) == "<MappingDiff mapping 1 v1 -> v2: nodes +1 -0 ~1, edges +0 -1 ~0>"
    assert repr(diff.nodes[1]) == "<DefinitionChange Customer modified (sql)>"
    same = MappingDiff.model_validate(
        {"mapping_id": 1, "from_version": 2, "to_version": 2, "summary": {}}
    )
    assert "no differences" in text_of(same._repr_html_())


def test_mapping_version_and_tree_cards() -> None:
    version = MappingVersion.model_validate(
        {**MAPPING, "mapping_id": 1, "version": 2, "created_by": "alice",
         "change_description": "add owners"}
    )  # fmt: skip
    text = text_of(model_card(version, now=NOW))
    assert "v2" in text and "add owners" in text and "(:Customer)-[:OWNS]->(:Account)" in text
    assert repr(version) == "<MappingVersion mapping 1 v2 by alice, 1 node labels, 1 edge types>"
    tree = MappingTree.model_validate(
        {
            "mapping_id": 1,
            "name": "customers",
            "current_version": 2,
            "versions": [
                {"version": 1, "snapshots": []},
                {"version": 2, "snapshots": [
                    {"id": 7, "name": "snap", "status": "ready",
                     "instances": [{"id": 12, "name": "analysis", "status": "running"}]},
                    {"id": 8, "name": "broken", "status": "failed", "instances": []},
                ]},
            ],
        }
    )  # fmt: skip
    html = tree._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert {"go-badge-ok", "go-badge-error"} <= parsed.classes
    assert "v1 no snapshots" in text and "v2 #7 snap ready #12 analysis running" in text
    assert "#8 broken failed" in text
    assert repr(tree) == "<MappingTree 1 'customers' v2, 2 versions, 2 snapshots>"


def test_node_and_edge_definition_cards_show_sql() -> None:
    node = NodeDefinition.model_validate(MAPPING["node_definitions"][0])
    text = text_of(node._repr_html_())
    assert "Customer" in text and "customer_id INT64" in text
    assert "SELECT customer_id, name FROM sample.bank.customers" in text
    edge = EdgeDefinition.model_validate(MAPPING["edge_definitions"][0])
    text = text_of(edge._repr_html_())
    assert "(:Customer)-[:OWNS]->(:Account)" in text and "customer_id → account_id" in text


# -- progress documents and executions ----------------------------------------------


def test_instance_progress_card_lists_the_steps() -> None:
    progress = InstanceProgress.model_validate(
        {
            "id": 12,
            "status": "starting",
            "phase": "loading_data",
            "started_at": "2026-03-01T11:59:50Z",
            "current_step": "node:Account",
            "progress_percent": 60,
            "estimated_remaining_seconds": 4,
            "steps": [
                {"name": "node:Customer", "kind": "node", "stage": "export", "status": "completed",
                 "row_count": 200, "duration_ms": 1500},
                {"name": "Account", "kind": "node", "stage": "load", "status": "in_progress"},
                {"name": "OWNS", "kind": "edge", "stage": "load", "status": "failed",
                 "error": "bad <row>"},
            ],
        }
    )  # fmt: skip
    card = model_card(progress, now=NOW)
    parsed = parse(card)
    text = text_of(card)
    assert {"go-badge-ok", "go-badge-info", "go-badge-error", "go-error"} <= parsed.classes
    assert "Instance progress" in text and "#12" in text
    assert "loading_data · 1/3 steps · 60%" in text and "about 4.0 s" in text
    assert "export node:Customer completed 200 1.5 s" in text and "bad <row>" in text
    assert "load node Account in_progress" in text
    assert "10 s ago" in text
    assert repr(progress) == "<InstanceProgress 12 starting, phase loading_data 1/3 steps, 60%>"
    snap = SnapshotProgress.model_validate({"id": 3, "status": "failed", "error_message": "x"})
    assert "Snapshot progress" in text_of(snap._repr_html_())
    assert repr(snap) == "<SnapshotProgress 3 failed, phase - 0%, error 'x'>"


def test_running_execution_shows_its_phase_and_elapsed_time() -> None:
    run = AlgorithmExecution.model_validate(
        {**EXECUTION, "started_at": (NOW - timedelta(seconds=3)).isoformat(), "summary": {}}
    )
    text = text_of(model_card(run, now=NOW))
    assert "progress computing 2/4" in text and "elapsed 3.0 s" in text
    queued = AlgorithmExecution.model_validate(
        {"id": "ex-1", "algorithm": "wcc", "status": "queued", "phase": "queued"}
    )
    assert "progress queued" in text_of(model_card(queued, now=NOW))


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"mode": "stream", "summary": {"result_rows": 34, "nodes": 34, "relationships": 78}},
         "result 34 rows over 34 nodes, 78 relationships"),
        ({"mode": "mutate", "property": "community", "summary": {"nodes_written": 77}},
         "result 77 nodes written to 'community'"),
    ],
)  # fmt: skip
def test_finished_execution_shows_time_taken_and_result_size(
    changes: dict[str, Any], shown: str
) -> None:
    run = AlgorithmExecution.model_validate(
        {**EXECUTION, "status": "completed", "duration_ms": 1234.0, **changes}
    )
    card = model_card(run, now=NOW)
    text = text_of(card)
    assert "took 1.2 s" in text and shown in text
    assert "go-badge-ok" in parse(card).classes and "computing 2/4" not in text


# -- warehouse metadata --------------------------------------------------------------


def test_warehouse_tables_and_columns() -> None:
    tables = ModelList(
        Table.model_validate(
            {"catalog_name": "sample", "schema_name": "bank", "table_name": name,
             "column_count": 4}
        )
        for name in ("accounts", "customers")
    )  # fmt: skip
    assert isinstance(tables, list) and tables[1].table_name == "customers"
    html = tables._repr_html_()
    parsed = assert_self_contained(html)
    text = text_of(html)
    assert parsed.tags.count("tr") == 3 and "2 items" in text and "customers" in text
    assert "sample.bank.customers" in text_of(tables[1]._repr_html_())
    column = Column.model_validate(
        {"catalog_name": "sample", "schema_name": "bank", "table_name": "customers",
         "column_name": "city", "data_type": "VARCHAR", "ordinal_position": 3}
    )  # fmt: skip
    assert "city type VARCHAR nullable yes position 3 table sample.bank.customers" in text_of(
        column._repr_html_()
    )
    assert "0 items" in text_of(ModelList[Any]()._repr_html_())
    many = ModelList([tables[0]] * 150)
    assert "showing 100 of 150" in text_of(many._repr_html_())
    assert parse(many._repr_html_()).tags.count("tr") == 101


# -- operations ------------------------------------------------------------------------


def test_operations_cards() -> None:
    lifecycle = LifecycleConfig.model_validate(
        {"mapping": {"default_ttl": "P30D"}, "instance": {"default_ttl": "PT24H",
         "default_inactivity": "PT2H", "max_ttl": "P7D"}}
    )  # fmt: skip
    text = text_of(lifecycle._repr_html_())
    assert "mapping P30D" in text and "instance PT24H PT2H P7D" in text
    on = MaintenanceMode.model_validate({"enabled": True, "message": "upgrade at 18:00"})
    assert "go-badge-warn" in parse(on._repr_html_()).classes
    assert "upgrade at 18:00" in text_of(on._repr_html_())
    off = MaintenanceMode.model_validate({"enabled": False})
    assert "go-badge-ok" in parse(off._repr_html_()).classes
    limits = {"per_analyst": 5, "cluster_total": 50, "cluster_used": 50, "cluster_available": 0}
    cluster = ClusterInstances.model_validate(
        {"total": 50, "by_status": {"running": 48, "failed": 2}, "limits": limits,
         "by_owner": [{"owner_username": "alice", "count": 3}]}
    )  # fmt: skip
    html = cluster._repr_html_()
    assert {"go-badge-ok", "go-badge-error"} <= parse(html).classes
    text = text_of(html)
    assert "50 of 50 used, 0 free, 5 per analyst" in text and "alice 3" in text
    assert repr(cluster) == "<ClusterInstances 50 (2 failed, 48 running), 0 of 50 free>"
    full = InstanceLimits.model_validate(limits)
    assert "go-badge-warn" in parse(full._repr_html_()).classes
    concurrency = ConcurrencyConfig.model_validate(
        {"per_analyst": 5, "cluster_total": 50, "updated_by": "ops"}
    )
    assert "per_analyst 5 cluster_total 50 updated_by ops" in text_of(concurrency._repr_html_())
    state = SystemState.model_validate(
        {"instances": {"total": 3, "by_status": {"running": 2, "failed": 1}},
         "mappings": {"total": 4}}
    )  # fmt: skip
    assert "instances total 3 by_status running 2 failed 1" in text_of(state._repr_html_())
    assert {"go-badge-ok", "go-badge-error"} <= parse(state._repr_html_()).classes
    assert repr(state) == "<SystemState 4 mappings, 0 snapshots, 3 instances, 0 export jobs>"
    ready = HealthStatus.model_validate({"status": "ready", "version": "0.1", "database": "ok"})
    assert repr(ready) == "<HealthStatus ready, version 0.1, database ok>"
    assert repr(LifecycleConfig.model_validate({"instance": {"default_ttl": "PT24H"}})) == (
        "<LifecycleConfig mapping defaults; snapshot defaults; instance default_ttl=PT24H>"
    )
    assert "Concurrency config" in text_of(concurrency._repr_html_())
    deleted = BulkDeleteResult.model_validate(
        {"dry_run": False, "resource_type": "instance", "matched_count": 2,
         "matched_ids": [3, 4], "deleted_count": 1, "deleted_ids": [3], "failed_ids": [4],
         "errors": [{"id": 4, "error": "still starting"}]}
    )  # fmt: skip
    assert "still starting" in text_of(deleted._repr_html_())
    assert "go-error" in parse(deleted._repr_html_()).classes
    health = HealthStatus.model_validate({"status": "unhealthy", "database": "down"})
    assert "go-badge-error" in parse(health._repr_html_()).classes
    jobs = JobsStatus.model_validate({"jobs": [{"name": "reconcile", "schedule": "60s"}]})
    assert repr(jobs) == "<JobsStatus 1 jobs: reconcile unknown>"


# -- every model -----------------------------------------------------------------------

SAMPLES: dict[str, dict[str, Any]] = {
    "DryRunReport": {
        "mapping_id": 1,
        "mapping_version": 2,
        "ok": False,
        "exact": False,
        "problems": ["node Customer: 2 primary key value(s) repeat, e.g. 7 (3x), 9 (2x)"],
        "nodes": [
            {
                "label": "Customer",
                "row_count": 1200,
                "exact": False,
                "sampled_rows": 1000,
                "null_keys": 0,
                "duplicate_keys": {
                    "count": 2,
                    "examples": [
                        {"value": "7", "occurrences": 3},
                        {"value": "9", "occurrences": 2},
                    ],
                },
                "type_errors": [],
                "seconds": 0.02,
            }
        ],
        "edges": [
            {
                "type": "OWNS",
                "from_node": "Customer",
                "to_node": "Account",
                "row_count": 30,
                "dangling": [
                    {
                        "end": "to",
                        "key": "account_id",
                        "label": "Account",
                        "edges": 0,
                        "distinct_keys": 0,
                        "examples": [],
                    }
                ],
                "type_errors": [],
                "seconds": 0.01,
            }
        ],
        "estimate": {
            "nodes": 1200,
            "edges": 30,
            "memory_bytes": 207_000_000,
            "disk_bytes": 3_400_000,
            "load_seconds": 1.2,
        },
        "seconds": 0.05,
    },
    "AlgorithmExecution": EXECUTION,
    "AlgorithmInfo": PAGERANK,
    "AlgorithmParameter": PAGERANK["parameters"][0],
    "AlgorithmProgress": {"phase": "computing", "completed_steps": 1, "total_steps": 2},
    "AlgorithmSummary": {"nodes": 3, "modularity": 0.4},
    "BulkDeleteResult": {"dry_run": True, "resource_type": "snapshot", "matched_count": 0},
    "CacheStats": {"total_catalogs": 1, "total_schemas": 2, "total_tables": 3,
                   "total_columns": 4},
    "Catalog": {"catalog_name": "sample", "schema_count": 2},
    "ClusterHealth": {"status": "healthy", "components": {"db": {"status": "healthy"}}},
    "ClusterInstances": {"total": 0, "limits": {"per_analyst": 1, "cluster_total": 2,
                         "cluster_used": 0, "cluster_available": 2}},
    "Column": {"catalog_name": "c", "schema_name": "s", "table_name": "t",
               "column_name": "x", "data_type": "INT"},
    "ComponentHealth": {"status": "healthy", "latency_ms": 2.0},
    "ConcurrencyConfig": {"per_analyst": 5, "cluster_total": 50},
    "DefinitionChange": {"key": "Customer", "change": "removed"},
    "EdgeDefinition": MAPPING["edge_definitions"][0],
    "ExecutionError": {"code": "ALGORITHM_FAILED", "message": "oom"},
    "ExportConfig": {"max_duration_seconds": 600},
    "ExportJob": {"id": 1, "snapshot_id": 2, "entity_type": "node", "entity_name": "Customer",
                  "status": "failed", "error_message": "boom"},
    "Favorite": {"resource_type": "mapping", "resource_id": 1},
    "GraphProperty": {"name": "name", "type": "STRING"},
    "GraphSchema": SCHEMA,
    "HealthStatus": {"status": "ok"},
    "Instance": INSTANCE,
    "InstanceLimits": {"per_analyst": 1, "cluster_total": 2, "cluster_used": 0,
                       "cluster_available": 2},
    "InstanceProgress": {"id": 1, "status": "running", "phase": "ready"},
    "JobList": {"jobs": [{"id": "export-2", "kind": "export", "status": "running",  # jobs
                          "completed": 1, "total": 4, "progress": 0.25}],
                "partial": True, "unanswered": [{"instance_id": 7, "message": "no answer"}]},
    "JobRecord": {"id": "export-2", "kind": "export", "status": "running", "detail": "creating",
                  "completed": 1, "total": 4, "progress": 0.25, "owner": "alice",
                  "snapshot_id": 2},  # jobs
    "JobStatus": {"name": "reconcile", "schedule": "60s", "health_status": "healthy"},
    "JobTriggerResult": {"job_name": "reconcile", "status": "completed"},
    "JobsStatus": {"jobs": []},
    "LifecycleConfig": {},
    "LockStatus": {"locked": False},
    "MaintenanceMode": {"enabled": False},
    "Mapping": MAPPING,
    "MappingDiff": {"mapping_id": 1, "from_version": 1, "to_version": 2, "summary": {}},
    "MappingDiffSummary": {"nodes_added": 1},
    "MappingTree": {"mapping_id": 1, "name": "m", "current_version": 1},
    "MappingVersion": {"mapping_id": 1, "version": 1},
    "NodeDefinition": MAPPING["node_definitions"][0],
    "NodeLabelSchema": SCHEMA["node_labels"][0],
    "PrimaryKey": {"name": "id", "type": "INT64"},
    "PropertyDefinition": {"name": "city", "type": "STRING"},
    "RelationshipTypeSchema": SCHEMA["relationship_types"][0],
    "ResourceLifecycleConfig": {"default_ttl": "P1D"},
    "Schema": {"catalog_name": "sample", "schema_name": "bank", "table_count": 5},
    "Snapshot": SNAPSHOT,
    "SnapshotProgress": {"id": 1, "status": "ready", "phase": "ready"},
    "SystemState": {"instances": {"running": 1}},
    "Table": {"catalog_name": "c", "schema_name": "s", "table_name": "t"},
}  # fmt: skip


def _model_classes() -> dict[str, type[BaseModel | models.ModelDict]]:
    return {
        name: cls
        for name in models.__all__
        if isinstance(cls := getattr(models, name), type)
        and issubclass(cls, (BaseModel, models.ModelDict))
        and name not in ("APIModel", "ModelDict")
    }


def test_every_model_has_a_sample() -> None:
    assert set(_model_classes()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_model_renders_a_card_and_a_one_line_repr(name: str) -> None:
    model = _model_classes()[name].model_validate(SAMPLES[name])
    html = model._repr_html_()  # type: ignore[attr-defined]
    parsed = assert_self_contained(html)
    assert "go-card" in parsed.classes
    assert text_of(html)
    text = repr(model)
    assert "\n" not in text and len(text) < 300, text
    assert text.startswith((f"<{name} ", f"{name}(")), text


# -- secrets -------------------------------------------------------------------------


def test_no_token_or_key_in_model_outputs() -> None:
    progress = AlgorithmProgress.model_validate({"phase": "computing", "token": SECRET})
    trigger = JobTriggerResult.model_validate(
        {"job_name": "rotate", "status": "completed",
         "result": {"api_key": SECRET, "nested": {"internal_api_key": INTERNAL}, "rotated": 2}}
    )  # fmt: skip
    state = SystemState.model_validate({"instances": {"access_token": SECRET, "running": 1}})
    for model in (progress, trigger, state):
        for text in (repr(model), str(model), model._repr_html_()):
            assert SECRET not in text and INTERNAL not in text, text
    assert "rotated: 2" in text_of(trigger._repr_html_())
    assert "set (hidden)" in text_of(state._repr_html_())


def test_instance_connection_shows_no_key() -> None:
    import httpx

    from graph_olap.http import HTTPClient
    from graph_olap.instance.connection import InstanceConnection

    with GraphOLAPClient("http://olap.test", api_key=SECRET, internal_api_key=INTERNAL) as client:
        runner = HTTPClient(client.config, transport=httpx.MockTransport(lambda r: 1 / 0))
        conn: InstanceConnection[Any] = InstanceConnection(
            runner, instance_id=7, control_plane_url="http://olap.test"
        )
        try:
            html = conn._repr_html_()
            for text in (repr(conn), str(conn), html):
                assert SECRET not in text and INTERNAL not in text
            assert_self_contained(html)
            assert "#7" in text_of(html) and "internal api key" in text_of(html)
        finally:
            conn.close()


# -- interactive tables (itables) ----------------------------------------------------


def test_query_caption_wraps_only_between_its_parts() -> None:
    from graph_olap.display.tables import query_caption

    result = QueryResult(
        columns=["customer", "<b>"],
        column_types=["STRING", "DECIMAL(12, 2)"],
        rows=[["Ann", "1.50"]],
        execution_time_ms=2,
    )
    caption = query_caption(result)
    parts = [
        '<span class="go-nowrap">1 row \u00b7 2 ms</span>',
        '<span class="go-nowrap">customer STRING</span>',
        '<span class="go-nowrap">&lt;b&gt; DECIMAL(12, 2)</span>',
    ]
    assert caption == f"{parts[0]} \u00b7 {parts[1]}, {parts[2]}"
    assert ".go-nowrap { white-space: nowrap; }" in get_notebook_css()


def test_query_result_shows_as_itables_with_the_caption_once_enabled() -> None:
    from graph_olap.display.interactive import enable_itables
    from graph_olap.display.tables import query_caption

    result = QueryResult(columns=["n"], column_types=["INT64"], rows=[[1], [2]])
    enable_itables()
    try:
        shown = result._repr_html_()
    finally:
        enable_itables(enabled=False)
    assert '<div class="go-interactive">' in shown
    assert json.dumps(query_caption(result)) in shown  # itables' DataTables arguments
    assert 'class="go-table"' in result._repr_html_()  # disabled: the static table again


INIT_ITABLES = """
import json
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from graph_olap.display.interactive import init_itables

InteractiveShell.instance()
with capture_output() as shown:
    init_itables()
print(json.dumps([out.data.get("text/html", "") for out in shown.outputs]))
"""


def test_init_itables_loads_the_bundle_before_scripts_use_it(tmp_path: Path) -> None:
    # itables.init_notebook_mode shows the script using its bundle first: in JupyterLab
    # that is a console TypeError and tables that stay white in dark themes
    env = {**os.environ, "IPYTHONDIR": str(tmp_path)}  # IPython's history stays out of ~
    ran = subprocess.run(
        [sys.executable, "-c", INIT_ITABLES], capture_output=True, text=True, check=True, env=env
    )
    outputs = json.loads(ran.stdout.splitlines()[-1])
    loads = [i for i, html in enumerate(outputs) if re.search(r"window\.(_itables_\w+) =", html)]
    uses = [i for i, html in enumerate(outputs) if re.search(r"await window\._itables_", html)]
    assert len(loads) == 1 and uses, outputs
    assert all(i > loads[0] for i in uses), f"bundle loaded by output {loads}, used by {uses}"
    bundle = re.search(r"window\.(_itables_\w+) =", outputs[loads[0]])
    assert bundle and f"await window.{bundle.group(1)};" in outputs[-1]
    assert ".defaults.titleRow = 0" in outputs[-1]  # the dtype row of polars frames: no sorting
