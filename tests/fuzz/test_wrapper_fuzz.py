"""Fuzz every operation of the instance wrapper's OpenAPI document (issue 6).

As alice (trusted by this wrapper) every operation, the token-only ones with the
wrapper's token, and the algorithm runs also with real algorithm names (random names
mostly meet 404, real ones reach the parameter checks and the engine); anonymously
every operation, where all but ``/health`` and ``/ready`` must answer 401.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

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
