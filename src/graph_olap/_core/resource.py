"""Resources written once, served sync and async.

A resource method is a generator of operations (see :mod:`graph_olap._core.ops`)
decorated with :func:`api_method`. Accessed on a ``Resource[Sync]`` it is a plain method;
on a ``Resource[Async]`` it returns an awaitable, and type checkers know which.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, Generic, TypeVar, overload

from typing_extensions import ParamSpec, Self

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op
from graph_olap.pagination import PaginatedList, page_limit

if TYPE_CHECKING:
    from graph_olap.http import AsyncHTTPClient, HTTPClient

__all__ = [
    "Async",
    "Resource",
    "Sync",
    "api_method",
    "drop_none",
    "paged",
    "require_id",
    "require_text",
    "to_page",
]

P = ParamSpec("P")
T = TypeVar("T")


class Sync:
    """Marker: the resource's methods block and return values."""


class Async:
    """Marker: the resource's methods return awaitables."""


M = TypeVar("M", Sync, Async)


class Resource(Generic[M]):
    """Base of every resource: holds the transport that runs its operations."""

    def __init__(self, http: HTTPClient | AsyncHTTPClient) -> None:
        self._runner = http
        self._is_async = inspect.iscoroutinefunction(http.run)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._runner.config.api_url}>"


class api_method(Generic[P, T]):
    """Turn an operation generator into a sync or async method, by the resource's mode."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Op[T]]) -> None:
        self._fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> Callable[P, Awaitable[T]]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        fn = self._fn
        run = obj._runner.run
        if obj._is_async:

            @functools.wraps(fn)
            async def abound(*args: Any, **kwargs: Any) -> Any:
                return await run(fn(obj, *args, **kwargs))  # type: ignore[arg-type]

            return abound

        @functools.wraps(fn)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return run(fn(obj, *args, **kwargs))

        return bound

    def op(self, obj: Any, *args: P.args, **kwargs: P.kwargs) -> Op[T]:
        """The undecorated operation, for composing methods inside other methods."""
        return self._fn(obj, *args, **kwargs)


def require_id(value: Any, name: str) -> int:
    """Validate an id argument: a positive integer, or a clear ValidationError naming it.

    Example:
        >>> require_id(3, "mapping_id")
        3
    """
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise exc.ValidationError(
            f"{name} must be a positive integer id, got {value!r}. "
            f"Pass the `.id` of the resource (e.g. `{name}=mapping.id`).",
            code="VALIDATION_ERROR",
            details={"field": name},
        )
    return value


def require_text(value: Any, name: str) -> str:
    """Validate a required text argument: non-empty after stripping."""
    if not isinstance(value, str) or not value.strip():
        raise exc.ValidationError(
            f"{name} must be a non-empty string, got {value!r}.",
            details={"field": name},
        )
    return value


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON body without its ``None`` values (fields the caller left unset)."""
    return {k: v for k, v in body.items() if v is not None}


def paged(
    path: str,
    params: dict[str, Any],
    parse: Callable[[Any], T],
    again: Callable[..., Any],
) -> Op[PaginatedList[T]]:
    """GET one page of a list; later pages come from ``again(**params, offset=...)``, the
    public list method itself, so they are fetched sync or async like the first. A
    ``limit`` above :data:`~graph_olap.pagination.MAX_PAGE_SIZE` is clamped to it."""
    if isinstance(params.get("limit"), int):
        params = {**params, "limit": page_limit(params["limit"])}
    body = yield Call("GET", path, params=params)
    return to_page(body, parse, lambda offset: again(**{**params, "offset": offset}))


def to_page(
    body: Any,
    parse: Callable[[Any], T],
    fetch: Callable[[int], Any] | None,
) -> PaginatedList[T]:
    """A :class:`PaginatedList` from a list envelope ``{"data": [...], "meta": {...}}``."""
    meta = body.get("meta") or {}
    items = [parse(item) for item in body["data"]]
    return PaginatedList(
        items,
        total=int(meta.get("total", len(items))),
        offset=int(meta.get("offset", 0)),
        limit=int(meta.get("limit", len(items))),
        fetch=fetch,
    )
