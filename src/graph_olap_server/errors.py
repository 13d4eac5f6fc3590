"""The error envelope: every failure answers ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "DOCUMENTED_ERRORS",
    "ERROR_CODES",
    "ERROR_ENVELOPE_SCHEMA",
    "APIError",
    "bad_request",
    "conflict",
    "document_error_responses",
    "error_response",
    "forbidden",
    "install_error_handlers",
    "not_found",
]

log = logging.getLogger("graph_olap_server")

_STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "TIMEOUT",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}

ERROR_CODES: dict[str, tuple[int, ...]] = {
    # sent for a status by the handlers above (and by the helpers below)
    "VALIDATION_ERROR": (400, 422),
    "UNAUTHORIZED": (401,),
    "FORBIDDEN": (403,),
    "NOT_FOUND": (404,),
    "METHOD_NOT_ALLOWED": (405,),
    "TIMEOUT": (408,),
    "CONFLICT": (409,),
    "PAYLOAD_TOO_LARGE": (413,),
    "UNSUPPORTED_MEDIA_TYPE": (415,),
    "RATE_LIMITED": (429,),
    "INTERNAL_ERROR": (500,),
    "SERVICE_UNAVAILABLE": (503,),
    "HTTP_ERROR": (),  # any other status: the SDK picks the class by the status
    # the idempotency middleware
    "IDEMPOTENCY_KEY_REUSED": (422,),
    "REQUEST_IN_PROGRESS": (409,),
    "ALREADY_DONE": (409,),
    # the control plane's routes and services
    "ALREADY_EXISTS": (409,),
    "INVALID_STATE": (409,),
    "RESOURCE_HAS_DEPENDENCIES": (409,),
    "CONCURRENCY_LIMIT_EXCEEDED": (409,),
    "SNAPSHOTS_DISABLED": (403,),
    "MAINTENANCE_MODE": (503,),
    # the wrapper (an instance's engine)
    "NOT_READY": (503,),
    "QUERY_ERROR": (400,),
    "QUERY_TIMEOUT": (408,),
    "QUERY_CANCELLED": (409,),  # POST /query/{id}/cancel stopped it
    "WRITE_NOT_ALLOWED": (403,),
    "INVALID_PARAMETER": (400,),
    "ALGORITHM_NOT_FOUND": (404,),
    "GRAPH_TOO_LARGE": (400,),
    "RESOURCE_LOCKED": (409,),
    "RESULT_EXPIRED": (410,),
    "RESULT_TOO_LARGE": (406,),  # guarded fetch: over the caller's max_rows/max_bytes
    # jobs (services/jobs.py)
    "JOB_NOT_FOUND": (404,),
}
"""Every error ``code`` the platform sends (control plane and wrapper), with the HTTP
statuses it comes with. The SDK has an exception class for each
(``graph_olap.exceptions.ERROR_CLASSES``); ``tests/unit/test_error_codes.py`` checks both
that every code raised in this package is listed here and that the SDK maps each one."""


class APIError(Exception):
    """Raise anywhere in a request to answer with the error envelope."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers


def not_found(kind: str, ident: object, hint: str = "") -> APIError:
    hint = hint or f"List them with client.{kind.lower()}s.list() to find the right id."
    return APIError(404, "NOT_FOUND", f"{kind} {ident} does not exist. {hint}", {"id": ident})


def bad_request(message: str, **details: Any) -> APIError:
    return APIError(400, "VALIDATION_ERROR", message, details)


def forbidden(message: str, **details: Any) -> APIError:
    return APIError(403, "FORBIDDEN", message, details)


def conflict(code: str, message: str, **details: Any) -> APIError:
    return APIError(409, code, message, details)


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status_code, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    where = "request"
    if loc[:1] and loc[0] in ("body", "query", "path", "header", "cookie"):
        where, loc = str(loc[0]), loc[1:]  # where it was sent, not part of the name
    parts = [str(p) for p in loc]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or where


_WHOLE_BODY_TYPES = {"model_attributes_type", "dict_type", "model_type"}


def _is_json(content_type: str) -> bool:
    main = content_type.partition(";")[0].strip().lower()
    return main == "application/json" or (
        main.startswith("application/") and main.endswith("+json")
    )


def _problem(item: Any) -> dict[str, str]:
    loc = tuple(item.get("loc", ()))
    if item.get("type") == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        reason = (item.get("ctx") or {}).get("error", "JSON decode error")
        return {"field": "body", "problem": f"not valid JSON ({reason}{where})"}
    if loc == ("body",) and item.get("type") in _WHOLE_BODY_TYPES:
        return {"field": "body", "problem": "must be a JSON object"}
    problem = str(item.get("msg")).removeprefix("Value error, ").rstrip(".")
    return {"field": _field_path(loc), "problem": problem}


async def _validation_handler(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    errors = err.errors()
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type) and any(
        tuple(e.get("loc", ())) == ("body",) and e.get("type") in _WHOLE_BODY_TYPES for e in errors
    ):
        return error_response(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The request body must be JSON: send it with Content-Type: application/json "
            f"(got {content_type or 'no Content-Type'!r}).",
            {"content_type": content_type or None},
        )
    problems = [_problem(item) for item in errors]
    text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
    return error_response(
        400,
        "VALIDATION_ERROR",
        f"Invalid request: {text}. Fix the named field(s) and try again.",
        {"errors": problems},
    )


async def _api_error_handler(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, APIError)
    return error_response(err.status_code, err.code, err.message, err.details, err.headers)


async def _http_handler(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    code = _STATUS_CODES.get(err.status_code, "HTTP_ERROR")
    if err.status_code == 404:
        message = (
            f"No endpoint at {request.method} {request.url.path}. "
            "Check the URL; the API reference is at /docs."
        )
    elif err.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
    elif err.detail == "There was an error parsing the body" and err.__cause__ is not None:
        message = _unreadable_body(err.__cause__)
    else:
        message = str(err.detail)
    return error_response(err.status_code, code, message, headers=getattr(err, "headers", None))


def _unreadable_body(cause: BaseException) -> str:
    """Why FastAPI could not read a body ("There was an error parsing the body")."""
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"The request body is not valid UTF-8 (byte {cause.start}: {cause.reason}). "
            "Send JSON encoded as UTF-8."
        )
    if isinstance(cause, RecursionError):
        return (
            "The JSON body is nested too deeply to read (the limit is about 900 levels of "
            "objects and arrays). Send a flatter document."
        )
    return (
        f"The request body could not be read as JSON ({type(cause).__name__}). "
        "Send one JSON object."
    )


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _out_of_range(values: Any) -> list[str]:
    names = []
    for name, value in values.items():
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if not INT64_MIN <= number <= INT64_MAX:
            names.append(str(name))
    return names


async def _overflow_handler(request: Request, err: Exception) -> JSONResponse:
    """A number too large for the database (an id like 10**30) is the caller's mistake."""
    names = _out_of_range(request.path_params) + _out_of_range(request.query_params)
    log.info("out-of-range number in %s %s: %s", request.method, request.url.path, err)
    where = ", ".join(names) if names else "the request body"
    return error_response(
        400,
        "VALIDATION_ERROR",
        f"A number in {where} is out of range: integers must be between {INT64_MIN} and "
        f"{INT64_MAX}. Ids are those the platform returned; offsets and counts are far smaller.",
        {"errors": [{"field": n, "problem": "out of the 64-bit integer range"} for n in names]},
    )


async def _unexpected_handler(request: Request, err: Exception) -> JSONResponse:
    request_id = request.headers.get("x-request-id") or getattr(request.state, "request_id", "")
    log.exception(
        "unhandled error in %s %s (request %s)", request.method, request.url.path, request_id
    )
    return error_response(
        500,
        "INTERNAL_ERROR",
        "The platform failed while handling this request. It has been logged; "
        f"quote request id {request_id} when reporting it.",
    )


ERROR_ENVELOPE_SCHEMA: dict[str, Any] = {
    "title": "ErrorEnvelope",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
                "message": {"type": "string", "minLength": 1},
                "details": {"type": "object"},
            },
        }
    },
}

DOCUMENTED_ERRORS: dict[str, str] = {
    "400": "Invalid request (VALIDATION_ERROR, with details.errors); fix the named field",
    "401": "Missing or invalid credentials (UNAUTHORIZED)",
    "403": "The caller's role or ownership does not allow this (FORBIDDEN)",
    "404": "Unknown resource or endpoint (NOT_FOUND)",
    "409": "Conflicts with the resource's state (e.g. RESOURCE_HAS_DEPENDENCIES)",
    "413": "Request body over the size limit (PAYLOAD_TOO_LARGE)",
    "415": "The body is not JSON (UNSUPPORTED_MEDIA_TYPE); send application/json",
    "422": "Idempotency-Key reused with another request (IDEMPOTENCY_KEY_REUSED)",
    "429": "Too many requests (RATE_LIMITED); wait for Retry-After",
}


def document_error_responses(app: FastAPI, extra: dict[str, str] | None = None) -> None:
    """Declare the error envelope for the error statuses on every operation of ``app``.

    FastAPI documents only a 422 ``HTTPValidationError``, which this platform never sends
    (validation failures are 400 with the error envelope). The generated OpenAPI document
    gets the ``ErrorEnvelope`` schema and a response for each status in
    :data:`DOCUMENTED_ERRORS` (plus ``extra``) wherever the operation does not declare one.

    Args:
        app: The FastAPI app whose ``/openapi.json`` to complete.
        extra: More statuses (``{"503": "description"}``) to declare on every operation.

    Example:
        >>> app = FastAPI()
        >>> document_error_responses(app, {"503": "Not ready"})
        >>> "ErrorEnvelope" in app.openapi()["components"]["schemas"]
        True
    """
    statuses = {**DOCUMENTED_ERRORS, **(extra or {})}
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorEnvelope"] = ERROR_ENVELOPE_SCHEMA
        ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in statuses.items():
                    declared = responses.get(status)
                    if declared is None or "HTTPValidationError" in str(declared):
                        responses[status] = {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        }
        for unused in ("HTTPValidationError", "ValidationError"):
            if unused not in str(document.get("paths")):
                schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure of ``app`` with the error envelope, and document it in the
    app's OpenAPI document (see :func:`document_error_responses`).

    Example:
        >>> app = FastAPI()
        >>> install_error_handlers(app)
    """
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(OverflowError, _overflow_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
    document_error_responses(app)
