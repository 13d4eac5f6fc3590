"""Fuzz every operation of the control plane's OpenAPI document (issue 6).

As analyst alice every operation; as admin the ops/admin-only ones (which refuse an
analyst before reading the request); anonymously every operation, where anything but
``/health`` and ``/ready`` must answer 401 with the error envelope.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.fuzz.harness import (
    BOUNDARIES_PER_OPERATION,
    EXAMPLES_PER_OPERATION,
    Target,
    control_plane_document,
    labels,
)

DOCUMENT = control_plane_document()
PUBLIC = {"GET /health", "GET /ready"}
PRIVILEGED = ("/api/config", "/api/cluster", "/api/ops", "/api/admin", "/api/schema/admin",
              "/api/schema/stats", "/metrics")  # fmt: skip


def test_the_live_server_serves_the_fuzzed_document(control_plane: Target) -> None:
    served = requests.get(f"{control_plane.url}/openapi.json", timeout=30).json()
    assert served == DOCUMENT
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for label in labels(DOCUMENT):
        method, path = label.split(" ", 1)
        responses = DOCUMENT["paths"][path][method.lower()]["responses"]
        for status in ("400", "401", "403", "404", "409", "413", "415", "422", "429"):
            assert responses[status]["content"]["application/json"]["schema"] == envelope, (
                label,
                status,
            )
    assert "HTTPValidationError" not in str(DOCUMENT), "422 HTTPValidationError is never sent"
    assert list(DOCUMENT["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [
        "text/plain"
    ]
    assert "503" in DOCUMENT["paths"]["/ready"]["get"]["responses"]


def _concrete(schema: dict[str, Any]) -> bool:
    """A declared shape (a named model or listed properties), not "any object"."""
    return "$ref" in schema or bool(schema.get("properties"))


def test_every_success_answer_has_a_concrete_schema() -> None:
    """So the response-schema check validates every 2xx body: a JSON answer names its
    model, a 204 has no body, /metrics is text."""
    vague = []
    for label in labels(DOCUMENT):
        method, path = label.split(" ", 1)
        for status, answer in DOCUMENT["paths"][path][method.lower()]["responses"].items():
            if not status.startswith("2"):
                continue
            content = answer.get("content", {})
            if status == "204":
                assert not content, (label, "a 204 has no body")
                continue
            schema = content.get("application/json", {}).get("schema")
            text = list(content) == ["text/plain"]
            declared = _concrete(schema) if schema is not None else text
            if not declared:
                vague.append(f"{label} {status}")
    assert vague == [], "success answers without a declared model"


@pytest.mark.parametrize("label", labels(DOCUMENT))
def test_analyst(control_plane: Target, label: str) -> None:
    control_plane.fuzz(
        label,
        {"X-Username": "alice"},
        max_examples=EXAMPLES_PER_OPERATION,
        boundaries=BOUNDARIES_PER_OPERATION,
    )


@pytest.mark.parametrize("label", labels(DOCUMENT, lambda _m, p: p.startswith(PRIVILEGED)))
def test_admin(control_plane: Target, label: str) -> None:
    control_plane.fuzz(
        label,
        {"X-Username": "admin"},
        max_examples=EXAMPLES_PER_OPERATION,
        boundaries=BOUNDARIES_PER_OPERATION,
    )


def _refused(_case: Any, response: Any) -> None:
    """401, or 400 for a request of the wrong shape (checked before the credentials);
    never an answer that tells an anonymous caller anything about a resource."""
    error = response.json()["error"]
    assert response.status_code in (400, 401), response.text
    assert error["code"] == ("VALIDATION_ERROR" if response.status_code == 400 else "UNAUTHORIZED")


@pytest.mark.parametrize("label", labels(DOCUMENT))
def test_anonymous(control_plane: Target, label: str) -> None:
    check = None if label in PUBLIC else _refused
    control_plane.fuzz(label, {}, max_examples=2, also=check)
