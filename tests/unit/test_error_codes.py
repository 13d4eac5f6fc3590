"""Every error code the platform sends has its own SDK exception class.

The platform's code table is ``graph_olap_server.errors.ERROR_CODES`` (code -> HTTP
statuses). These tests read it, check that it lists every code the server package
actually raises (found by parsing its source), and that the SDK maps each code to a
specific class under the class of its HTTP status; then one real 413 from the local
platform arrives as :class:`PayloadTooLargeError`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import graph_olap_server
from graph_olap import exceptions as exc
from graph_olap._core.ops import Call
from graph_olap._core.wire import error_from_response
from graph_olap.client import GraphOLAPClient
from graph_olap_server import errors as server_errors
from graph_olap_server.errors import ERROR_CODES
from graph_olap_server.settings import Settings

SERVER_SOURCE = Path(graph_olap_server.__file__).parent

# the calls that send an error code: (name, index of the status, index of the code)
_SENDERS = {
    "APIError": (0, 1),
    "error_response": (0, 1),
    "_json_error": (0, 1),
    "conflict": (None, 0),
}
_CONFLICT_STATUS = 409


def _raised_codes() -> Iterator[tuple[str, int | None, str]]:
    """(code, status or None, where) for every call in the server package that sends a
    literal error code."""
    for path in sorted(SERVER_SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in _SENDERS:
                continue
            status_at, code_at = _SENDERS[name]
            keywords = {k.arg: k.value for k in node.keywords}
            code_node = node.args[code_at] if len(node.args) > code_at else keywords.get("code")
            if not (isinstance(code_node, ast.Constant) and isinstance(code_node.value, str)):
                continue  # passed on from a variable (the generic handlers)
            status: int | None = _CONFLICT_STATUS if name == "conflict" else None
            if status_at is not None:
                status_node = (
                    node.args[status_at]
                    if len(node.args) > status_at
                    else keywords.get("status_code")
                )
                if isinstance(status_node, ast.Constant) and isinstance(status_node.value, int):
                    status = status_node.value
            where = f"{path.relative_to(SERVER_SOURCE)}:{node.lineno}"
            yield code_node.value, status, where


def test_the_parser_finds_the_codes_it_must() -> None:
    found = {code for code, _, _ in _raised_codes()}
    # a few sent by each kind of sender: a parser that finds nothing would pass vacuously
    assert {"PAYLOAD_TOO_LARGE", "ALREADY_DONE", "REQUEST_IN_PROGRESS"} <= found  # middleware
    assert {"RESOURCE_HAS_DEPENDENCIES", "QUERY_ERROR", "UNSUPPORTED_MEDIA_TYPE"} <= found


def test_every_code_the_server_sends_is_in_its_table() -> None:
    missing = [f"{code} ({where})" for code, _, where in _raised_codes() if code not in ERROR_CODES]
    assert not missing, (
        "Codes sent by the server but missing from graph_olap_server.errors.ERROR_CODES "
        f"(add them, with their status, and an SDK class): {missing}"
    )


def test_every_code_is_sent_with_a_status_the_table_lists() -> None:
    wrong = [
        f"{code} with {status} ({where}); the table says {ERROR_CODES[code]}"
        for code, status, where in _raised_codes()
        if code in ERROR_CODES and status is not None and status not in ERROR_CODES[code]
    ]
    assert not wrong, wrong


def test_the_status_handler_codes_are_in_the_table() -> None:
    table = server_errors._STATUS_CODES
    for status, code in table.items():
        assert status in ERROR_CODES[code], (status, code)


@pytest.mark.parametrize("code", sorted(c for c, statuses in ERROR_CODES.items() if statuses))
def test_each_code_maps_to_its_own_class_under_its_status_class(code: str) -> None:
    cls = exc.ERROR_CLASSES.get(code)
    assert cls is not None, f"graph_olap.exceptions.ERROR_CLASSES has no class for {code}"
    assert cls is not exc.GraphOLAPError
    for status in ERROR_CODES[code]:
        assert exc.error_for_status(status, code) is cls
        by_status = exc.error_for_status(status, None)
        assert issubclass(cls, by_status), (
            f"{code} ({status}) maps to {cls.__name__}, which is not a {by_status.__name__}: "
            "code that catches the status's class would miss it"
        )


def test_a_code_without_a_status_of_its_own_falls_back_to_the_status() -> None:
    generic = [code for code, statuses in ERROR_CODES.items() if not statuses]
    assert generic == ["HTTP_ERROR"]
    assert exc.error_for_status(404, "HTTP_ERROR") is exc.NotFoundError
    assert exc.error_for_status(502, "HTTP_ERROR") is exc.ServerError


def test_every_sdk_code_class_names_its_code() -> None:
    # the general classes (ValidationError for INVALID_PARAMETER, ServerError for
    # INTERNAL_ERROR) keep their own default code; every other class is its code's
    shared = {"INVALID_PARAMETER", "INTERNAL_ERROR"}
    for code, cls in exc.ERROR_CLASSES.items():
        if code not in shared:
            assert cls.default_code == code, (code, cls.__name__)
        assert cls.__name__ in exc.__all__


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (413, "PAYLOAD_TOO_LARGE", exc.PayloadTooLargeError),
        (409, "ALREADY_DONE", exc.AlreadyDoneError),
        (409, "REQUEST_IN_PROGRESS", exc.RequestInProgressError),
        (409, "A_CODE_FROM_A_NEWER_PLATFORM", exc.ConflictError),
    ],
)
def test_an_error_answer_becomes_its_class_with_everything_kept(
    status: int, code: str, cls: type[exc.GraphOLAPError]
) -> None:
    body = {"error": {"code": code, "message": "what to do", "details": {"limit": 1}}}
    response = httpx.Response(status, json=body, headers={"x-request-id": "req-1"})
    err = error_from_response(response, Call("POST", "/api/mappings"))
    assert type(err) is cls
    assert (err.status_code, err.code, err.details, err.request_id) == (
        status,
        code,
        {"limit": 1},
        "req-1",
    )
    assert err.message == "what to do"


def test_a_real_413_is_a_payload_too_large_error(
    client: GraphOLAPClient, platform_settings: Settings
) -> None:
    limit = platform_settings.max_body_bytes
    with pytest.raises(exc.PayloadTooLargeError) as caught:
        client.mappings.create(
            name="too big",
            description="x" * (limit + 1),
            node_definitions=[],
            edge_definitions=[],
        )
    assert caught.value.status_code == 413
    assert caught.value.code == "PAYLOAD_TOO_LARGE"
    assert isinstance(caught.value, exc.ValidationError)
