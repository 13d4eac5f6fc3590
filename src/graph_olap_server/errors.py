"""The error envelope: every failure answers ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "APIError",
    "bad_request",
    "conflict",
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
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "request"


async def _validation_handler(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = []
    for item in err.errors():
        field = _field_path(tuple(item.get("loc", ())))
        problems.append({"field": field, "problem": str(item.get("msg"))})
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
    else:
        message = str(err.detail)
    return error_response(err.status_code, code, message, headers=getattr(err, "headers", None))


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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
