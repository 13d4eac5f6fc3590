"""Exceptions raised by the graph_olap SDK.

Every error the SDK raises is a :class:`GraphOLAPError`. Errors that come from the
platform carry the HTTP ``status_code``, the platform's stable ``code``
(``UPPER_SNAKE``), a ``message`` that says what to do next, structured ``details`` and
the ``request_id`` to quote when asking for help.

The tree::

    GraphOLAPError
    ├── AuthenticationError          401  no or bad credentials
    ├── PermissionDeniedError        403  the role may not do this
    │   └── ForbiddenError           403  FORBIDDEN (the name the ops/admin docs use)
    │       ├── SnapshotsDisabledError 403  SNAPSHOTS_DISABLED: explicit snapshots are off
    │       └── WriteNotAllowedError 403  WRITE_NOT_ALLOWED: a write query without write=True
    ├── NotFoundError                404
    │   ├── AlgorithmNotFoundError   404  ALGORITHM_NOT_FOUND: no such algorithm (suggestions)
    │   ├── JobNotFoundError         404  JOB_NOT_FOUND: no such job (ids look like export-12)
    │   └── ResultExpiredError       410  RESULT_EXPIRED: a kept (or held) result was evicted
    ├── ValidationError              400 / 422  VALIDATION_ERROR: bad input; nothing was changed
    │   ├── QueryError               400  QUERY_ERROR: the engine refused the Cypher
    │   ├── GraphTooLargeError       400  GRAPH_TOO_LARGE: a NetworkX run would take too long
    │   ├── PayloadTooLargeError     413  PAYLOAD_TOO_LARGE: the body is over the size limit
    │   ├── UnsupportedMediaTypeError 415  UNSUPPORTED_MEDIA_TYPE: the body is not JSON
    │   └── IdempotencyKeyReusedError 422  IDEMPOTENCY_KEY_REUSED: same key, other body
    ├── MethodNotAllowedError        405  METHOD_NOT_ALLOWED: no such method on that path
    ├── ConflictError                409  CONFLICT
    │   ├── ResourceLockedError          RESOURCE_LOCKED
    │   ├── QueryCancelledError          QUERY_CANCELLED: the query was cancelled on the instance
    │   ├── ConcurrencyLimitError        CONCURRENCY_LIMIT_EXCEEDED
    │   ├── DependencyError              RESOURCE_HAS_DEPENDENCIES
    │   ├── InvalidStateError            INVALID_STATE
    │   │   └── InstanceGoneError            the instance was terminated, failed or deleted
    │   ├── AlreadyExistsError           ALREADY_EXISTS
    │   ├── AlreadyDoneError             ALREADY_DONE: a repeated request that was done
    │   └── RequestInProgressError       REQUEST_IN_PROGRESS: the same request still runs
    ├── TimeoutError                 408  TIMEOUT, or a wait that ran past its deadline
    │   └── QueryTimeoutError        408  QUERY_TIMEOUT: a query ran past its time limit
    ├── RateLimitError               429  RATE_LIMITED (``retry_after`` seconds)
    ├── ServerError                  5xx  INTERNAL_ERROR, or an answer the SDK cannot read
    │   └── ServiceUnavailableError  503  SERVICE_UNAVAILABLE
    │       ├── MaintenanceError     503  MAINTENANCE_MODE
    │       └── InstanceNotReadyError 503  NOT_READY: the instance is still starting
    ├── ConnectionError              the platform could not be reached
    ├── SnapshotFailedError          a snapshot ended in ``failed``
    ├── InstanceFailedError          an instance ended in ``failed``
    ├── AlgorithmFailedError         an algorithm execution ended in ``failed``
    ├── AlgorithmCancelledError      an algorithm execution was cancelled
    ├── JobFailedError               a bulk delete job failed or was cancelled (client.jobs)
    ├── ResultTooLargeError      406  RESULT_TOO_LARGE: a result over max_rows/max_bytes,
    │                                 held on the instance (``err.result``)
    └── ResultShapeError             a result helper (``scalar()``, ``to_networkx()``) does
                                     not fit the result (also a ``ValueError``)

The query errors (``QueryError``, ``QueryTimeoutError``, ``WriteNotAllowedError``) carry
the Cypher text in ``.query``. Interrupting a wait (Ctrl-C) raises ``KeyboardInterrupt``
with a message naming the resource, which keeps running on the platform.

A 400 ``INVALID_PARAMETER`` (an algorithm's parameter, selection or orientation) is a
``ValidationError`` whose ``details["parameter"]`` names the culprit.

Each platform error code maps to one class (:data:`ERROR_CLASSES`; the platform's codes
are listed in docs/errors.md); a code this SDK does not know falls back to the class of
the HTTP status.

``TimeoutError`` and ``ConnectionError`` also derive from the built-in exceptions of the
same name, so ``except TimeoutError`` works with either.

Every error has a ``hint`` (what to try next, or None). In a notebook connected with
``notebook.connect()`` an SDK error shows as a compact block (message, code, status,
request id, hint); ``%tb`` prints the full traceback (see docs/errors.md).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "ERROR_CLASSES",
    "AlgorithmCancelledError",
    "AlgorithmFailedError",
    "AlgorithmNotFoundError",
    "AlreadyDoneError",
    "AlreadyExistsError",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "ConflictError",
    "ConnectionError",
    "DependencyError",
    "ForbiddenError",
    "GraphOLAPError",
    "GraphTooLargeError",
    "IdempotencyKeyReusedError",
    "InstanceFailedError",
    "InstanceGoneError",
    "InstanceNotReadyError",
    "InvalidStateError",
    "JobFailedError",
    "JobNotFoundError",
    "MaintenanceError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QueryCancelledError",
    "QueryError",
    "QueryTimeoutError",
    "RateLimitError",
    "RequestInProgressError",
    "ResourceLockedError",
    "ResultExpiredError",
    "ResultShapeError",
    "ResultTooLargeError",
    "ServerError",
    "ServiceUnavailableError",
    "SnapshotFailedError",
    "SnapshotsDisabledError",
    "TimeoutError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WriteNotAllowedError",
    "error_for_status",
]


class GraphOLAPError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: What went wrong and what to do next.
        status_code: HTTP status of the platform's answer, if there was one.
        code: The platform's stable error code (e.g. ``"VALIDATION_ERROR"``).
        details: Structured details from the platform (field names, ids, limits).
        request_id: The platform's id for the request; quote it when reporting a problem.
        hint: What to try next (the platform's ``details["hint"]``, else the class's
            ``default_hint``), or None.

    Example:
        >>> try:
        ...     client.mappings.get(999_999)
        ... except GraphOLAPError as err:
        ...     print(err.code, err.status_code, err.message)
        NOT_FOUND 404 Mapping 999999 does not exist. ...
    """

    default_code = "GRAPH_OLAP_ERROR"
    default_hint: str | None = None

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        given = hint or self.details.get("hint")
        self.hint: str | None = str(given) if given else self.default_hint

    def __str__(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status_code={self.status_code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(GraphOLAPError):
    """The platform did not accept the credentials (HTTP 401)."""

    default_code = "UNAUTHORIZED"
    default_hint = (
        "Pass api_key=... (or set GRAPH_OLAP_API_KEY); on a development platform, "
        "username=... (or GRAPH_OLAP_USERNAME). client.config shows what is sent."
    )


class PermissionDeniedError(GraphOLAPError):
    """The caller's role may not perform this operation (HTTP 403)."""

    default_code = "FORBIDDEN"


class ForbiddenError(PermissionDeniedError):
    """HTTP 403: the name used for ops and admin endpoints. Catch either class."""


class NotFoundError(GraphOLAPError):
    """The resource does not exist, or is not visible to the caller (HTTP 404)."""

    default_code = "NOT_FOUND"


class ValidationError(GraphOLAPError):
    """The request was invalid (HTTP 400/422). Nothing was changed on the platform."""

    default_code = "VALIDATION_ERROR"


class ConflictError(GraphOLAPError):
    """The request conflicts with the resource's current state (HTTP 409)."""

    default_code = "CONFLICT"


class ResourceLockedError(ConflictError):
    """The instance is locked by a running algorithm (409 ``RESOURCE_LOCKED``).

    A ``mutate`` algorithm run holds the instance's lock until it ends; another ``mutate``
    run or a ``write=True`` query is refused meanwhile (read queries keep working).
    ``details`` holds ``holder_username``, ``algorithm``, ``execution_id`` and
    ``locked_at``; see ``conn.lock_status()``.

    Example:
        >>> try:
        ...     conn.algo.pagerank(mode="mutate")
        ... except ResourceLockedError as err:
        ...     print(err.holder_username, err.algorithm, err.execution_id)
        alice louvain ex-4f3a9c1b
    """

    default_code = "RESOURCE_LOCKED"

    @property
    def holder_username(self) -> str | None:
        """Who holds the lock."""
        return _text(self.details.get("holder_username"))

    @property
    def algorithm(self) -> str | None:
        """The algorithm holding the lock."""
        return _text(self.details.get("algorithm"))

    @property
    def execution_id(self) -> str | None:
        """The execution holding the lock (cancel it with
        ``conn.algo.execution(id).cancel()`` if it is yours)."""
        return _text(self.details.get("execution_id"))


class ConcurrencyLimitError(ConflictError):
    """Too many instances are running (409 ``CONCURRENCY_LIMIT_EXCEEDED``)."""

    default_code = "CONCURRENCY_LIMIT_EXCEEDED"


class DependencyError(ConflictError):
    """Other resources depend on this one (409 ``RESOURCE_HAS_DEPENDENCIES``)."""

    default_code = "RESOURCE_HAS_DEPENDENCIES"


class QueryCancelledError(ConflictError):
    """The query was cancelled on the instance while it ran (409 ``QUERY_CANCELLED``): its
    sender's Ctrl-C reaches the SDK as :class:`~graph_olap.Interrupted` instead; this is
    what a query gets when someone else (ops, an admin) cancelled it with
    ``POST /query/{id}/cancel``. ``details["query_id"]`` names it; nothing was answered.

    Example:
        >>> try:
        ...     conn.query("MATCH (a), (b) RETURN count(*)")
        ... except QueryCancelledError as err:
        ...     print(err.details["query_id"])   # run it again if you still need it
    """

    default_code = "QUERY_CANCELLED"


class InvalidStateError(ConflictError):
    """The resource is not in a state that allows the operation (409 ``INVALID_STATE``)."""

    default_code = "INVALID_STATE"


class AlreadyExistsError(ConflictError):
    """The resource already exists (409 ``ALREADY_EXISTS``)."""

    default_code = "ALREADY_EXISTS"


class AlreadyDoneError(ConflictError):
    """A repeat (same ``Idempotency-Key``) of a request that was already done, whose
    answer held a secret that is never sent twice (409 ``ALREADY_DONE``); the message
    says what was done and how to read it again."""

    default_code = "ALREADY_DONE"


class RequestInProgressError(ConflictError):
    """The same request (same ``Idempotency-Key``) is still being processed (409
    ``REQUEST_IN_PROGRESS``): wait a moment and send it again with the same key."""

    default_code = "REQUEST_IN_PROGRESS"
    default_hint = "Retry in a moment with the same Idempotency-Key; the first one still runs."


class PayloadTooLargeError(ValidationError):
    """The request body is larger than the platform accepts (413 ``PAYLOAD_TOO_LARGE``);
    nothing was changed."""

    default_code = "PAYLOAD_TOO_LARGE"
    default_hint = (
        "Send less in one request (split the work), or ask the operator for a higher limit."
    )


class UnsupportedMediaTypeError(ValidationError):
    """The request body is not JSON (415 ``UNSUPPORTED_MEDIA_TYPE``); nothing was changed."""

    default_code = "UNSUPPORTED_MEDIA_TYPE"


class IdempotencyKeyReusedError(ValidationError):
    """An ``Idempotency-Key`` was sent again with a different body (422
    ``IDEMPOTENCY_KEY_REUSED``); nothing was changed."""

    default_code = "IDEMPOTENCY_KEY_REUSED"
    default_hint = "Use a new Idempotency-Key for a different request."


class MethodNotAllowedError(GraphOLAPError):
    """The path exists but not with this HTTP method (405 ``METHOD_NOT_ALLOWED``)."""

    default_code = "METHOD_NOT_ALLOWED"


class SnapshotsDisabledError(ForbiddenError):
    """The platform does not let users create snapshots explicitly (403
    ``SNAPSHOTS_DISABLED``); create an instance from the mapping instead."""

    default_code = "SNAPSHOTS_DISABLED"


class TimeoutError(GraphOLAPError, builtins.TimeoutError):
    """A request or a wait ran past its deadline (HTTP 408 or a client-side deadline)."""

    default_code = "TIMEOUT"


class RateLimitError(GraphOLAPError):
    """Too many requests (HTTP 429). ``retry_after`` says how many seconds to wait."""

    default_code = "RATE_LIMITED"

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, details, **kwargs)
        self.retry_after = retry_after


class ServerError(GraphOLAPError):
    """The platform failed (HTTP 5xx) or sent an answer the SDK could not read."""

    default_code = "SERVER_ERROR"


class ServiceUnavailableError(ServerError):
    """The platform (or a part it needs) is unavailable for now (503
    ``SERVICE_UNAVAILABLE``); retry later."""

    default_code = "SERVICE_UNAVAILABLE"


class MaintenanceError(ServiceUnavailableError):
    """The platform is in maintenance mode (503 ``MAINTENANCE_MODE``)."""

    default_code = "MAINTENANCE_MODE"


class ConnectionError(GraphOLAPError, builtins.ConnectionError):
    """The platform could not be reached (after the configured retries)."""

    default_code = "CONNECTION_ERROR"
    default_hint = (
        "Check the URL (GRAPH_OLAP_API_URL) and that the platform runs there; for the "
        "local platform run graph-olap start, or notebook.connect() starts it."
    )


class SnapshotFailedError(GraphOLAPError):
    """A snapshot's export ended in status ``failed``."""

    default_code = "SNAPSHOT_FAILED"


class InstanceNotReadyError(ServiceUnavailableError):
    """The instance's engine is still starting (503 ``NOT_READY``); wait for the instance
    to be ``running``."""

    default_code = "NOT_READY"


class InstanceFailedError(GraphOLAPError):
    """An instance ended in status ``failed``."""

    default_code = "INSTANCE_FAILED"


class AlgorithmNotFoundError(NotFoundError):
    """There is no algorithm of that name (404 ``ALGORITHM_NOT_FOUND``).

    The message names the close matches; ``suggestions`` lists them.

    Example:
        >>> try:
        ...     conn.algo.run("pagerang")
        ... except AlgorithmNotFoundError as err:
        ...     print(err.suggestions)
        ['pagerank']
    """

    default_code = "ALGORITHM_NOT_FOUND"

    @property
    def suggestions(self) -> list[str]:
        """Close matches of the name asked for (may be empty)."""
        found = self.details.get("suggestions")
        return [str(s) for s in found] if isinstance(found, list) else []


class ResultExpiredError(NotFoundError):
    """An algorithm's result, or a held query result (guarded fetch), is no longer kept
    (410 ``RESULT_EXPIRED``): the wrapper keeps the newest results only, for a while. Run
    the algorithm or the query again."""

    default_code = "RESULT_EXPIRED"


class JobNotFoundError(NotFoundError):
    """No job has that id, or it is not yours (404 ``JOB_NOT_FOUND``; jobs: ``client.jobs``).

    Job ids look like ``export-12``, ``start-34``, ``algorithm-7-ex-4f3a9c1b`` or
    ``bulk_delete-5``; ``client.jobs.list()`` lists yours.

    Example:
        >>> try:
        ...     client.jobs.get("export-999999")
        ... except JobNotFoundError as err:
        ...     print(err.code)
        JOB_NOT_FOUND
    """

    default_code = "JOB_NOT_FOUND"


class JobFailedError(GraphOLAPError):
    """A job without a resource of its own (a bulk delete) ended ``failed`` or
    ``cancelled``; ``details`` holds ``job_id``, ``status`` and ``error_message``.

    Example:
        >>> try:
        ...     client.jobs.get("bulk_delete-5").wait()
        ... except JobFailedError as err:
        ...     print(err.details["status"])
        cancelled
    """


class GraphTooLargeError(ValidationError):
    """A NetworkX algorithm would run too long on this graph (400 ``GRAPH_TOO_LARGE``).

    ``details`` holds ``estimated_seconds``, ``nodes``, ``relationships`` and
    ``limit_seconds``. Select fewer labels or types, use a native algorithm
    (``conn.algo``), or pass ``force=True`` to run it anyway.
    """

    default_code = "GRAPH_TOO_LARGE"


class _ExecutionErrorMixin:
    """Gives execution errors ``.execution_id`` and ``.algorithm`` from their details."""

    details: dict[str, Any]

    @property
    def execution_id(self) -> str | None:
        """The execution's id (``conn.algo.execution(id)`` shows it)."""
        return _text(self.details.get("execution_id"))

    @property
    def algorithm(self) -> str | None:
        """The algorithm's name."""
        return _text(self.details.get("algorithm"))


class AlgorithmFailedError(_ExecutionErrorMixin, GraphOLAPError):
    """An algorithm execution ended in ``failed``: the algorithm raised.

    The message is the library's, after the execution's id; ``execution_id`` and
    ``algorithm`` name the run. Nothing was written and the instance's lock is free.
    """

    default_code = "ALGORITHM_FAILED"


class AlgorithmCancelledError(_ExecutionErrorMixin, GraphOLAPError):
    """An algorithm execution was cancelled (``execution.cancel()``) before it finished;
    it wrote nothing."""

    default_code = "ALGORITHM_CANCELLED"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class _QueryMixin:
    """Gives query errors ``.query``: the Cypher text, from the platform's details."""

    query: str | None

    def _set_query(self, details: dict[str, Any]) -> None:
        value = details.get("query")
        self.query = value if isinstance(value, str) else None


class QueryError(ValidationError, _QueryMixin):
    """The graph engine refused a query: a syntax or binder error (400 ``QUERY_ERROR``).

    The message is the engine's; ``query`` holds the Cypher text.

    Example:
        >>> try:
        ...     conn.query("MATCH (c:Custmer) RETURN c")
        ... except QueryError as err:
        ...     print(err.message, err.query)
    """

    default_code = "QUERY_ERROR"

    def __init__(self, message: str, details: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, details, **kwargs)
        self._set_query(self.details)


class QueryTimeoutError(TimeoutError, _QueryMixin):
    """A query ran past its time limit (408 ``QUERY_TIMEOUT``, or the HTTP wait ended).

    Pass a larger ``timeout=`` to ``conn.query(...)``, or narrow the query.
    """

    default_code = "QUERY_TIMEOUT"

    def __init__(self, message: str, details: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, details, **kwargs)
        self._set_query(self.details)


class WriteNotAllowedError(ForbiddenError, _QueryMixin):
    """A query that writes to the graph was sent without ``write=True`` (403
    ``WRITE_NOT_ALLOWED``). Nothing was changed."""

    default_code = "WRITE_NOT_ALLOWED"

    def __init__(self, message: str, details: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, details, **kwargs)
        self._set_query(self.details)


class InstanceGoneError(InvalidStateError):
    """The instance a connection points at was terminated, failed or deleted.

    Start a new one with ``client.instances.create_from_mapping_and_wait(...)``.
    ``details`` holds ``instance_id`` and its last ``status``.
    """

    default_code = "INSTANCE_GONE"


class ResultShapeError(GraphOLAPError, builtins.ValueError):
    """A result helper does not fit the result: ``scalar()`` on several values,
    ``to_networkx()`` on a result without nodes or relationships."""

    default_code = "RESULT_SHAPE"


class ResultTooLargeError(GraphOLAPError):
    """A query's result exceeds ``max_rows`` or ``max_bytes`` (406 ``RESULT_TOO_LARGE``):
    it was not sent, so the kernel does not freeze; the instance holds it for a while.

    The message says the full size and the ways out, as code to paste. Attributes:
    ``row_count`` and ``bytes`` (the Arrow size) of the whole result; ``preview``, its
    first rows (a polars DataFrame, or a list of dicts without polars); ``result``, a
    :class:`~graph_olap.instance.large.HeldResult` (``fetch()``, ``batches(n)``,
    ``to_parquet(path)``, ``scan()``), or None when the instance could not hold it.

    Example:
        >>> try:
        ...     df = conn.query_df("MATCH (a:Account) RETURN a")
        ... except ResultTooLargeError as err:
        ...     print(err.row_count, err.bytes)
        ...     for batch in err.result.batches(100_000):
        ...         ...
    """

    default_code = "RESULT_TOO_LARGE"

    def __init__(self, message: str, details: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, details, **kwargs)
        self.row_count: int | None = _int(self.details.get("row_count"))
        self.bytes: int | None = _int(self.details.get("bytes"))
        self.query: str | None = _text(self.details.get("query"))
        columns = [str(c) for c in self.details.get("columns") or []]
        rows = self.details.get("preview") or []
        self.preview: Any = [dict(zip(columns, row, strict=False)) for row in rows]
        self.result: Any = None
        """The held result (set by the connection that ran the query)."""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


ERROR_CLASSES: Mapping[str, type[GraphOLAPError]] = MappingProxyType(
    {
        "VALIDATION_ERROR": ValidationError,
        "UNAUTHORIZED": AuthenticationError,
        "FORBIDDEN": ForbiddenError,
        "NOT_FOUND": NotFoundError,
        "METHOD_NOT_ALLOWED": MethodNotAllowedError,
        "TIMEOUT": TimeoutError,
        "CONFLICT": ConflictError,
        "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
        "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaTypeError,
        "IDEMPOTENCY_KEY_REUSED": IdempotencyKeyReusedError,
        "ALREADY_DONE": AlreadyDoneError,
        "REQUEST_IN_PROGRESS": RequestInProgressError,
        "SNAPSHOTS_DISABLED": SnapshotsDisabledError,
        "INTERNAL_ERROR": ServerError,
        "SERVICE_UNAVAILABLE": ServiceUnavailableError,
        "NOT_READY": InstanceNotReadyError,
        "QUERY_ERROR": QueryError,
        "QUERY_TIMEOUT": QueryTimeoutError,
        "QUERY_CANCELLED": QueryCancelledError,
        "WRITE_NOT_ALLOWED": WriteNotAllowedError,
        "RESOURCE_LOCKED": ResourceLockedError,
        "ALGORITHM_NOT_FOUND": AlgorithmNotFoundError,
        "INVALID_PARAMETER": ValidationError,
        "GRAPH_TOO_LARGE": GraphTooLargeError,
        "RESULT_EXPIRED": ResultExpiredError,
        "RESULT_TOO_LARGE": ResultTooLargeError,  # guarded fetch
        "JOB_NOT_FOUND": JobNotFoundError,  # jobs (client.jobs)
        "ALGORITHM_FAILED": AlgorithmFailedError,
        "CONCURRENCY_LIMIT_EXCEEDED": ConcurrencyLimitError,
        "RESOURCE_HAS_DEPENDENCIES": DependencyError,
        "INVALID_STATE": InvalidStateError,
        "ALREADY_EXISTS": AlreadyExistsError,
        "MAINTENANCE_MODE": MaintenanceError,
        "RATE_LIMITED": RateLimitError,
    }
)
"""The exception class of each platform error code (a code beats the HTTP status).

Example:
    >>> ERROR_CLASSES["PAYLOAD_TOO_LARGE"].__name__
    'PayloadTooLargeError'
"""

_BY_STATUS: dict[int, type[GraphOLAPError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    408: TimeoutError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_for_status(status_code: int, code: str | None) -> type[GraphOLAPError]:
    """Pick the exception class for an error answer: a known ``code`` beats the status
    (:data:`ERROR_CLASSES`); an unknown one (a newer platform's) falls back to the status.

    Example:
        >>> error_for_status(413, "PAYLOAD_TOO_LARGE").__name__
        'PayloadTooLargeError'
        >>> error_for_status(409, "SOME_NEW_CODE").__name__
        'ConflictError'
    """
    found = ERROR_CLASSES.get(code) if code else None
    if found is not None:
        return found
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return ServerError
    return GraphOLAPError
