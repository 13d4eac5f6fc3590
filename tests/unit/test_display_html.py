"""Rich notebook display: ``_repr_html_`` of models, pages, query results and settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.display import badge, relative_time, status_class
from graph_olap.display.cards import model_card
from graph_olap.instance.result import QueryResult
from graph_olap.models import (
    AlgorithmExecution,
    ClusterHealth,
    HealthStatus,
    Instance,
    JobsStatus,
    LockStatus,
    Mapping,
    PaginatedList,
    Snapshot,
)
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
