"""Fuzz every operation of the instance wrapper's OpenAPI document (issues 6 and 13).

Every success answer has a concrete schema (issue 13), so the response-schema check
validates 2xx bodies field by field; one test shows that check failing on a live answer
that lacks a field its schema requires.

As alice (trusted by this wrapper) every operation, the token-only ones with the
wrapper's token, and the algorithm runs also with real algorithm names (random names
mostly meet 404, real ones reach the parameter checks and the engine); anonymously
every operation, where all but ``/health`` and ``/ready`` must answer 401.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.harness import (
    BOUNDARIES_PER_OPERATION,
    EXAMPLES_PER_OPERATION,
    Target,
    labels,
    wrapper_document,
)
from tests.wrapper.conftest import TOKEN

DOCUMENT = wrapper_document()
PUBLIC = {"GET /health", "GET /ready"}
TOKEN_ONLY = {"GET /progress", "PUT /threads"}
ALGORITHMS = [("POST /algo/{name}", "pagerank"), ("POST /algo/{name}", "degree"),
              ("POST /networkx/{name}", "degree_centrality")]  # fmt: skip


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or the component it refers to (``#/components/schemas/Name``)."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def _concrete(document: dict[str, Any], media_type: str, schema: dict[str, Any]) -> bool:
    """JSON: an object with declared properties (or a choice of such objects). Anything
    else (Arrow IPC): a binary string. ``{}`` or a bare ``object`` is never concrete."""
    schema = _component(document, schema)
    if "anyOf" in schema or "oneOf" in schema:
        choices = schema.get("anyOf", schema.get("oneOf"))
        return bool(choices) and all(_concrete(document, media_type, c) for c in choices)
    if media_type == "application/json":
        return schema.get("type") == "object" and bool(schema.get("properties"))
    return schema.get("type") == "string" and schema.get("format") == "binary"


def success_answers(document: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """``(operation, status, media type, concrete?)`` of every 2xx answer of ``document``."""
    out = []
    for label in labels(document):
        method, path = label.split(" ", 1)
        responses = document["paths"][path][method.lower()]["responses"]
        for status, response in responses.items():
            if not status.startswith("2"):
                continue
            content = response.get("content") or {"(none)": {}}
            for media_type, body in content.items():
                concrete = _concrete(document, media_type, body.get("schema") or {})
                out.append((label, status, media_type, concrete))
    return out


def test_every_success_answer_has_a_concrete_schema() -> None:
    answers = success_answers(DOCUMENT)
    concrete = [a for a in answers if a[3]]
    print(f"wrapper OpenAPI: {len(concrete)} of {len(answers)} success answers are concrete")
    assert [a for a in answers if not a[3]] == []
    assert {a[0] for a in answers} == set(labels(DOCUMENT))  # every operation has a 2xx


def test_the_response_schema_check_validates_success_answers(wrapper: Target) -> None:
    """A live 200 passes the check against the served schema, and fails it against the
    same schema requiring one more field: the check reads success bodies."""
    headers = {"X-Username": "alice"}
    strict = copy.deepcopy(DOCUMENT)
    lock = strict["components"]["schemas"]["LockStatus"]
    lock["properties"]["expires_at"] = {"type": "string"}
    lock["required"] = [*lock.get("required", []), "expires_at"]
    for document, passes in ((DOCUMENT, True), (strict, False)):
        case = schemathesis.openapi.from_dict(document)["/lock"]["GET"].Case(headers=headers)
        response = case.call(base_url=wrapper.url, session=wrapper.session)
        assert response.status_code == 200, response.text
        if passes:
            case.validate_response(response, checks=[response_schema_conformance])
            continue
        with pytest.raises(FailureGroup) as failed:
            case.validate_response(response, checks=[response_schema_conformance])
        (failure,) = failed.value.exceptions
        assert '"expires_at" is a required property' in str(failure), failure


def test_the_live_wrapper_serves_the_fuzzed_document(wrapper: Target) -> None:
    served = requests.get(f"{wrapper.url}/openapi.json", timeout=30).json()
    assert served["paths"] == DOCUMENT["paths"]
    assert served["components"] == DOCUMENT["components"]
    for label in labels(DOCUMENT):
        method, path = label.split(" ", 1)
        responses = DOCUMENT["paths"][path][method.lower()]["responses"]
        assert "202" in responses or not path.endswith("/{name}") or method != "POST", label
        assert {"400", "401", "403", "404", "408", "409", "413", "415", "503"} <= set(responses)


@pytest.mark.parametrize("label", labels(DOCUMENT))
def test_analyst(wrapper: Target, label: str) -> None:
    headers = {"X-Username": "alice"}
    if label in TOKEN_ONLY:
        headers["X-Wrapper-Token"] = TOKEN
    wrapper.fuzz(
        label, headers, max_examples=EXAMPLES_PER_OPERATION, boundaries=BOUNDARIES_PER_OPERATION
    )


def test_query_as_arrow(wrapper: Target) -> None:
    """The Arrow answer of ``POST /query`` is declared too (content type conformance)."""
    headers = {"X-Username": "alice", "Accept": "application/vnd.apache.arrow.stream"}
    wrapper.fuzz(
        "POST /query",
        headers,
        max_examples=EXAMPLES_PER_OPERATION,
        boundaries=BOUNDARIES_PER_OPERATION,
    )


@pytest.mark.parametrize(("label", "name"), ALGORITHMS)
def test_algorithm_parameters(wrapper: Target, label: str, name: str) -> None:
    known = requests.get(
        f"{wrapper.url}{label.split(' ')[1].format(name=name)}",
        headers={"X-Username": "alice"},
        timeout=30,
    )
    assert known.status_code == 200, known.text  # the name is real: the fuzz reaches the engine
    wrapper.fuzz(
        label,
        {"X-Username": "alice"},
        max_examples=EXAMPLES_PER_OPERATION,
        boundaries=BOUNDARIES_PER_OPERATION,
        path_parameters={"name": name},
    )


def _refused(_case: Any, response: Any) -> None:
    """401, or 400 for a request of the wrong shape (checked before the credentials);
    never an answer that tells an anonymous caller anything about a resource."""
    error = response.json()["error"]
    assert response.status_code in (400, 401), response.text
    assert error["code"] == ("VALIDATION_ERROR" if response.status_code == 400 else "UNAUTHORIZED")


@pytest.mark.parametrize("label", labels(DOCUMENT))
def test_anonymous(wrapper: Target, label: str) -> None:
    wrapper.fuzz(label, {}, max_examples=2, also=None if label in PUBLIC else _refused)
