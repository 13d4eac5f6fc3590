"""Building requests and reading answers: the wire contract, shared by sync and async."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from graph_olap import exceptions as exc
from graph_olap._core.ops import MUTATING_METHODS, BinaryAnswer, Call
from graph_olap._core.retry import RetryableOutcome, parse_retry_after
from graph_olap._version import __version__
from graph_olap.config import Config

__all__ = [
    "auth_headers",
    "build_request",
    "exhausted_error",
    "parse_response",
    "read_envelope",
]

USER_AGENT = f"graph-olap-python/{__version__}"
REQUEST_ID_HEADER = "x-request-id"


def auth_headers(config: Config) -> dict[str, str]:
    """Credentials in the seed's priority order: internal key, API key, username.

    An internal service key may act for a user, so ``X-Username`` goes with it.
    """
    headers: dict[str, str] = {}
    if config.internal_api_key:
        headers["X-Internal-Api-Key"] = config.internal_api_key
        if config.username:
            headers["X-Username"] = config.username
    elif config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    elif config.username:
        headers["X-Username"] = config.username
    return headers


def base_headers(config: Config) -> dict[str, str]:
    return {"Accept": "application/json", "User-Agent": USER_AGENT, **auth_headers(config)}


def new_idempotency_key(call: Call) -> str | None:
    """One key per mutating call, reused on every attempt of that call."""
    return str(uuid.uuid4()) if call.method in MUTATING_METHODS else None


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    call: Call,
    *,
    idempotency_key: str | None,
) -> httpx.Request:
    headers: dict[str, str] = {}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if call.accept:
        headers["Accept"] = call.accept
    extensions = None
    if call.timeout is not None:
        extensions = {"timeout": httpx.Timeout(call.timeout).as_dict()}
    return client.build_request(
        call.method,
        call.path,
        params=call.query_params(),
        json=call.json,
        headers=headers or None,
        extensions=extensions,
    )


def read_envelope(answer: Any) -> dict[str, Any]:
    """The JSON envelope of an answer to ``client.http.request(...)``: ``{}`` when the
    answer was empty (204)."""
    return {} if answer is None else answer


def _request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get(REQUEST_ID_HEADER)
    return value


def parse_response(response: httpx.Response, call: Call) -> Any:
    """The envelope of a successful answer, or the SDK exception for a failed one."""
    if response.is_success:
        if response.status_code == 204 or (not response.content and not call.binary):
            return None
        if call.binary:
            return BinaryAnswer(
                content=response.content,
                headers={k.lower(): v for k, v in response.headers.items()},
                content_type=response.headers.get("content-type", ""),
            )
        if call.raw:
            return response.text
        try:
            return response.json()
        except ValueError as err:
            raise exc.ServerError(
                f"The platform answered {call.method} {call.path} with HTTP "
                f"{response.status_code} but the body is not JSON "
                f"({_preview(response.text)}). Check that the API URL points at a Graph "
                "OLAP control plane, not a proxy or login page.",
                status_code=response.status_code,
                code="INVALID_RESPONSE",
                request_id=_request_id(response),
            ) from err
    raise error_from_response(response, call)


def error_from_response(response: httpx.Response, call: Call) -> exc.GraphOLAPError:
    code: str | None = None
    details: dict[str, Any] = {}
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
    except ValueError:
        error = None
    if isinstance(error, dict):
        code = error.get("code")
        message = str(error.get("message") or "")
        raw_details = error.get("details")
        details = raw_details if isinstance(raw_details, dict) else {}
    else:
        message = (
            f"{call.method} {call.path} failed with HTTP {response.status_code} "
            f"{response.reason_phrase}: {_preview(response.text)}"
        )
    cls = exc.error_for_status(response.status_code, code)
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "code": code,
        "details": details,
        "request_id": _request_id(response),
    }
    if issubclass(cls, exc.RateLimitError):
        kwargs["retry_after"] = parse_retry_after(response)
    return cls(message or _default_message(response), **kwargs)


def _default_message(response: httpx.Response) -> str:
    return f"The platform answered HTTP {response.status_code} {response.reason_phrase}."


def exhausted_error(
    outcome: RetryableOutcome, call: Call, *, attempts: int, base_url: str
) -> exc.GraphOLAPError:
    """The error to raise when every attempt failed: says how many and what the last was."""
    plural = "s" if attempts != 1 else ""
    suffix = f" (gave up after {attempts} attempt{plural}; last failure: {outcome.describe()})"
    if outcome.response is not None:
        error = error_from_response(outcome.response, call)
        error.message = (error.message or _default_message(outcome.response)) + suffix
        error.details.setdefault("attempts", attempts)
        return error
    err = outcome.error
    details = {"attempts": attempts, "last_error": outcome.describe()}
    if isinstance(err, httpx.TimeoutException):
        return exc.TimeoutError(
            f"{call.method} {call.path} timed out{suffix}. The platform at {base_url} is slow "
            "or overloaded: retry later, or raise the client's timeout.",
            details=details,
        )
    return exc.ConnectionError(
        f"Could not reach the Graph OLAP platform at {base_url}{suffix}. Is it running? "
        "Start the local platform with `graph-olap server`, or check GRAPH_OLAP_API_URL.",
        details=details,
    )


def _preview(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if not text:
        return "empty body"
    return repr(text[:limit] + ("..." if len(text) > limit else ""))
