"""Input limits of the control plane (issue 6): every hostile or oversized request is a
clear 4xx in the error envelope that says what was wrong and what to do, and nothing
that existed before is changed. The limits are listed in docs/input-limits.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.defs import ACCOUNT, CUSTOMER, OWNS
from tests.e2e.server_helpers import Plat, unique

JSON = {"content-type": "application/json"}
MAX_BODY = 1_000_000
INT64_MAX = 2**63 - 1


@pytest.fixture(scope="module")
def http(plat: Plat) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=plat.url, headers={"X-Username": "alice"}, timeout=60, trust_env=False
    ) as client:
        yield client


@pytest.fixture(scope="module")
def existing(plat: Plat) -> dict[str, Any]:
    """Alice's mapping, made before any hostile request."""
    alice = plat.api("alice")
    mapping_id = alice.mapping([CUSTOMER, ACCOUNT], [OWNS])
    return {"id": mapping_id, "mapping": alice.get(f"/mappings/{mapping_id}")}


@pytest.fixture(autouse=True)
def nothing_lost(http: httpx.Client, existing: dict[str, Any]) -> Iterator[None]:
    """After each test, every mapping that existed before it is still there, unchanged."""
    before = http.get("/api/mappings", params={"limit": 100}).json()["data"]
    yield
    after = {m["id"]: m for m in http.get("/api/mappings", params={"limit": 100}).json()["data"]}
    for mapping in before:
        assert after.get(mapping["id"]) == mapping, f"mapping {mapping['id']} changed"
    assert http.get(f"/api/mappings/{existing['id']}").json()["data"] == existing["mapping"]


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error envelope of ``response``, which must have ``status`` and ``code``."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    error = response.json()["error"]
    assert error["code"] == code, error
    assert set(error) == {"code", "message", "details"}
    assert response.headers["x-request-id"]
    return dict(error)


def mapping_body(**overrides: Any) -> dict[str, Any]:
    return {"name": unique("limits"), "node_definitions": [CUSTOMER], **overrides}


# --- body size -----------------------------------------------------------------------


def test_a_body_over_the_limit_is_413(http: httpx.Client) -> None:
    body = json.dumps(mapping_body(description="d" * (MAX_BODY + 10)))
    error = error_of(http.post("/api/mappings", content=body, headers=JSON), 413,
                     "PAYLOAD_TOO_LARGE")  # fmt: skip
    assert f"larger than {MAX_BODY} bytes" in error["message"]
    assert "Send less" in error["message"]


def test_a_streamed_body_without_content_length_is_413_too(http: httpx.Client) -> None:
    """Chunked bodies are counted as they arrive (FastAPI used to turn this into a 400)."""
    chunks = [b'{"name": "', *([b"x" * 100_000] * 12), b'"}']
    response = http.post("/api/mappings", content=iter(chunks), headers=JSON)
    assert "content-length" not in response.request.headers
    error = error_of(response, 413, "PAYLOAD_TOO_LARGE")
    assert f"larger than {MAX_BODY} bytes" in error["message"]


def test_an_idempotent_request_over_the_limit_is_413_and_not_recorded(
    http: httpx.Client,
) -> None:
    key = {"Idempotency-Key": unique("key"), **JSON}
    chunks = [b'{"name": "', *([b"x" * 100_000] * 12), b'"}']
    error_of(http.post("/api/mappings", content=iter(chunks), headers=key), 413,
             "PAYLOAD_TOO_LARGE")  # fmt: skip
    created = http.post("/api/mappings", json=mapping_body(), headers=key)
    assert created.status_code == 201, created.text  # the key was not used up by the 413
    assert "idempotent-replayed" not in created.headers
    http.delete(f"/api/mappings/{created.json()['data']['id']}")


def test_a_one_megabyte_name_is_refused_by_size(http: httpx.Client) -> None:
    error = error_of(http.post("/api/mappings", json=mapping_body(name="n" * 2**20)), 413,
                     "PAYLOAD_TOO_LARGE")  # fmt: skip
    assert str(MAX_BODY) in error["message"]


# --- lengths and counts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "maximum"),
    [
        ("name", "n" * 100_000, 255),
        ("name", "n" * 256, 255),
        ("description", "d" * 10_001, 10_000),
        ("ttl", "P" + "1" * 100, 64),
    ],
)
def test_long_strings_name_the_field_and_its_maximum(
    http: httpx.Client, field: str, value: str, maximum: int
) -> None:
    error = error_of(http.post("/api/mappings", json=mapping_body(**{field: value})), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert f"{field}: String should have at most {maximum} characters" in error["message"]
    assert error["details"]["errors"][0]["field"] == field


def test_long_strings_on_update_and_copy(http: httpx.Client, existing: dict[str, Any]) -> None:
    mapping = f"/api/mappings/{existing['id']}"
    error = error_of(http.put(mapping, json={"change_description": "c" * 2001}), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "change_description: String should have at most 2000 characters" in error["message"]
    error = error_of(http.post(f"{mapping}/copy", json={"name": "c" * 300}), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "name: String should have at most 255 characters" in error["message"]


def test_ten_thousand_node_definitions_are_refused_by_count(http: httpx.Client) -> None:
    nodes = [{"label": f"L{i}", "sql": "S", "primary_key": {"name": "k"}} for i in range(10_000)]
    body = mapping_body(node_definitions=nodes)
    assert len(json.dumps(body)) < MAX_BODY  # under the byte limit: the count is what fails
    error = error_of(http.post("/api/mappings", json=body), 400, "VALIDATION_ERROR")
    assert "node_definitions: List should have at most 200 items" in error["message"]


def test_ten_thousand_full_node_definitions_are_refused_by_size(http: httpx.Client) -> None:
    nodes = [{**CUSTOMER, "label": f"Customer{i}"} for i in range(10_000)]
    error_of(http.post("/api/mappings", json=mapping_body(node_definitions=nodes)), 413,
             "PAYLOAD_TOO_LARGE")  # fmt: skip


# --- paging and numbers ---------------------------------------------------------------

PAGED = ["/api/mappings", "/api/snapshots", "/api/instances", "/api/mappings/{id}/snapshots"]


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("limit", [0, 101, 10**6, 10**30])
def test_a_limit_outside_1_to_100_names_the_range(
    http: httpx.Client, existing: dict[str, Any], path: str, limit: int
) -> None:
    response = http.get(path.format(id=existing["id"]), params={"limit": limit})
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert f"limit must be between 1 and 100, got {limit}" in error["message"]
    assert "iter_all()" in error["message"]
    assert error["details"]["field"] == "limit"


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("offset", [-1, 2**63, 10**30])
def test_an_offset_outside_the_range_names_the_range(
    http: httpx.Client, existing: dict[str, Any], path: str, offset: int
) -> None:
    response = http.get(path.format(id=existing["id"]), params={"offset": offset})
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert f"offset must be between 0 and {INT64_MAX}, got {offset}" in error["message"]
    assert error["details"]["field"] == "offset"


def test_an_offset_past_the_end_is_an_empty_page(http: httpx.Client) -> None:
    page = http.get("/api/mappings", params={"offset": INT64_MAX}).json()
    assert page["data"] == []
    assert page["meta"]["offset"] == INT64_MAX
    assert page["meta"]["total"] >= 1


def test_schema_search_limit_names_its_own_maximum(http: httpx.Client) -> None:
    response = http.get("/api/schema/search/tables", params={"q": "cust", "limit": 10**6})
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "limit: Input should be less than or equal to 1000" in error["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/mappings/{big}", "/api/mappings/{id}/versions/{big}", "/api/snapshots/{big}",
     "/api/instances/{big}", "/api/favorites/mapping/{big}"],
)  # fmt: skip
def test_ids_beyond_64_bits_are_400_naming_the_parameter(
    http: httpx.Client, existing: dict[str, Any], path: str
) -> None:
    url = path.format(big=10**30, id=existing["id"])
    response = http.delete(url) if "favorites" in url else http.get(url)
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "out of range" in error["message"]
    assert str(INT64_MAX) in error["message"]
    assert [e["field"] for e in error["details"]["errors"]] == [
        "resource_id" if "favorites" in url else "version" if "versions" in url else
        url.split("/")[2][:-1] + "_id"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/favorites", {"resource_type": "mapping", "resource_id": 10**30}),
     ("/api/instances", {"snapshot_id": -(10**30), "name": "x"}),
     ("/api/snapshots", {"mapping_id": 10**30, "name": "x"})],
)  # fmt: skip
def test_numbers_beyond_64_bits_in_bodies_are_400(
    http: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    error = error_of(http.post(path, json=body), 400, "VALIDATION_ERROR")
    assert "out of range" in error["message"]
    assert "request body" in error["message"]


# --- malformed bodies -----------------------------------------------------------------


def test_json_nested_100_000_levels_is_400(http: httpx.Client) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    error = error_of(http.post("/api/mappings", content=body, headers=JSON), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "nested too deeply" in error["message"]
    assert "900 levels" in error["message"]


def test_deep_json_inside_a_field_is_refused_by_the_schema(http: httpx.Client) -> None:
    deep = "[" * 800 + "]" * 800
    body = f'{{"resource_type": "mapping", "resource_id": {deep}}}'
    error = error_of(http.post("/api/favorites", content=body, headers=JSON), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert error["details"]["errors"][0]["field"] == "resource_id"


def test_a_body_that_is_not_utf8_is_400(http: httpx.Client) -> None:
    response = http.post("/api/mappings", content=b'{"name": "caf\xe9"}', headers=JSON)
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert "not valid UTF-8" in error["message"]
    assert "Send JSON encoded as UTF-8" in error["message"]


def test_invalid_json_says_where(http: httpx.Client) -> None:
    response = http.post("/api/mappings", content=b'{"name": ', headers=JSON)
    error = error_of(response, 400, "VALIDATION_ERROR")
    assert error["details"]["errors"] == [
        {"field": "body", "problem": "not valid JSON (Expecting value at character 9)"}
    ]


def test_a_json_array_is_not_an_object(http: httpx.Client) -> None:
    error = error_of(http.post("/api/mappings", json=[mapping_body()]), 400, "VALIDATION_ERROR")
    assert error["details"]["errors"] == [{"field": "body", "problem": "must be a JSON object"}]


@pytest.mark.parametrize(
    ("headers", "shown"),
    [({"content-type": "text/plain"}, "'text/plain'"),
     ({"content-type": "application/x-www-form-urlencoded"}, "'application/x-www-form-urlencoded'"),
     ({"content-type": "application/xml"}, "'application/xml'"),
     ({}, "'no Content-Type'")],
)  # fmt: skip
def test_a_body_that_is_not_declared_json_is_415(
    http: httpx.Client, headers: dict[str, str], shown: str
) -> None:
    response = http.post("/api/mappings", content=json.dumps(mapping_body()), headers=headers)
    error = error_of(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "send it with Content-Type: application/json" in error["message"]
    assert shown in error["message"]


def test_a_missing_body_names_the_body(http: httpx.Client) -> None:
    error = error_of(http.post("/api/mappings", headers=JSON), 400, "VALIDATION_ERROR")
    assert error["details"]["errors"] == [{"field": "body", "problem": "Field required"}]


# --- injection: values are data -------------------------------------------------------

HOSTILE = "x'; DROP TABLE mappings; -- '}) MATCH (n) DETACH DELETE n //"


def test_hostile_names_are_stored_and_returned_literally(http: httpx.Client) -> None:
    created = http.post("/api/mappings", json=mapping_body(name=HOSTILE, description=HOSTILE))
    assert created.status_code == 201, created.text
    mapping = created.json()["data"]
    try:
        assert (mapping["name"], mapping["description"]) == (HOSTILE, HOSTILE)
        found = http.get("/api/mappings", params={"search": "DROP TABLE"}).json()["data"]
        assert [m["name"] for m in found] == [HOSTILE]
        assert http.get(f"/api/mappings/{mapping['id']}").json()["data"]["name"] == HOSTILE
    finally:
        assert http.delete(f"/api/mappings/{mapping['id']}").status_code == 204


def test_like_wildcards_in_search_match_literally(http: httpx.Client) -> None:
    """``%`` and ``_`` in ``search`` are characters to find, not patterns."""
    created = http.post("/api/mappings", json=mapping_body(name=unique("100%_sure"))).json()
    try:
        for term, expected in (("%_s", [created["data"]["id"]]), ("%%", []), ("_x_", [])):
            found = http.get("/api/mappings", params={"search": term}).json()["data"]
            assert [m["id"] for m in found] == expected, term
    finally:
        http.delete(f"/api/mappings/{created['data']['id']}")


@pytest.mark.parametrize(
    "sql",
    ["SELECT customer_id, name, city FROM sample.bank.customers; DROP TABLE sample.bank.customers",
     "DROP TABLE sample.bank.customers",
     "DELETE FROM sample.bank.customers",
     "SELECT customer_id, name, city FROM sample.bank.customers WHERE '1' = '1'; --"],
)  # fmt: skip
def test_sql_that_is_not_one_select_is_refused_and_the_warehouse_unchanged(
    http: httpx.Client, sql: str
) -> None:
    columns = "/api/schema/catalogs/sample/schemas/bank/tables/customers/columns"
    before = http.get(columns).json()["data"]
    node = {**CUSTOMER, "sql": sql}
    error = error_of(http.post("/api/mappings", json=mapping_body(node_definitions=[node])), 400,
                     "VALIDATION_ERROR")  # fmt: skip
    assert "node_definitions[0]" in error["message"]
    assert http.get(columns).json()["data"] == before
    rows = http.get("/api/schema/search/tables", params={"q": "customers"}).json()["data"]
    assert any(t["table_name"] == "customers" for t in rows)
