"""What an algorithm method returns, for type checkers: it depends on ``mode`` and
``wait``.

- ``mode="stream"`` (default), waited: the result, a polars DataFrame for native
  algorithms (``backend="pandas"``: a pandas one);
- ``mode="mutate"``: the completed :class:`ExecutionHandle`;
- ``wait=False``: the running :class:`ExecutionHandle` (its ``wait()`` and ``result()``
  are awaited on the async client).

:func:`frames` (``conn.algo``) and :func:`values` (``conn.networkx``, whose stream result
may be any value) put these overloads on an ``@api_method``: on a sync connection the
method is a :class:`SyncRun`, on an async one an :class:`AsyncRun`. At run time they
change nothing. The algorithm's own parameters and the other options are checked when
the method is called (an unknown keyword is refused with a suggestion).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar, overload

from typing_extensions import Self

from graph_olap._core.ops import Op
from graph_olap._core.resource import Async, Resource, Sync, api_method
from graph_olap.instance.arrow import Backend
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.instance.options import Mode

if TYPE_CHECKING:
    import polars as pl

__all__ = ["AsyncRun", "RunMethod", "SyncRun", "frames", "values"]

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class SyncRun(Protocol[S_co]):
    """An algorithm method on a sync connection."""

    @overload
    def __call__(
        self,
        *args: Any,
        mode: Literal["stream"] = ...,
        wait: Literal[True] = ...,
        backend: Literal["polars"] = ...,
        **kwargs: Any,
    ) -> S_co: ...
    @overload
    def __call__(
        self,
        *args: Any,
        mode: Literal["stream"] = ...,
        wait: Literal[True] = ...,
        backend: Literal["pandas"],
        **kwargs: Any,
    ) -> Any: ...
    @overload
    def __call__(
        self, *args: Any, mode: Literal["mutate"], wait: bool = ..., **kwargs: Any
    ) -> ExecutionHandle[Sync]: ...
    @overload
    def __call__(
        self, *args: Any, mode: Mode = ..., wait: Literal[False], **kwargs: Any
    ) -> ExecutionHandle[Sync]: ...
    @overload
    def __call__(
        self, *args: Any, mode: Mode = ..., wait: bool = ..., backend: Backend = ..., **kwargs: Any
    ) -> Any: ...


class AsyncRun(Protocol[S_co]):
    """An algorithm method on an async connection: the same, awaited."""

    @overload
    def __call__(
        self,
        *args: Any,
        mode: Literal["stream"] = ...,
        wait: Literal[True] = ...,
        backend: Literal["polars"] = ...,
        **kwargs: Any,
    ) -> Awaitable[S_co]: ...
    @overload
    def __call__(
        self,
        *args: Any,
        mode: Literal["stream"] = ...,
        wait: Literal[True] = ...,
        backend: Literal["pandas"],
        **kwargs: Any,
    ) -> Awaitable[Any]: ...
    @overload
    def __call__(
        self, *args: Any, mode: Literal["mutate"], wait: bool = ..., **kwargs: Any
    ) -> Awaitable[ExecutionHandle[Async]]: ...
    @overload
    def __call__(
        self, *args: Any, mode: Mode = ..., wait: Literal[False], **kwargs: Any
    ) -> Awaitable[ExecutionHandle[Async]]: ...
    @overload
    def __call__(
        self, *args: Any, mode: Mode = ..., wait: bool = ..., backend: Backend = ..., **kwargs: Any
    ) -> Awaitable[Any]: ...


class RunMethod(Generic[S]):
    """An ``@api_method`` typed as :class:`SyncRun` / :class:`AsyncRun` by the
    resource's mode; at run time it is the ``api_method`` itself."""

    def __init__(self, method: api_method[Any, Any]) -> None:
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: Resource[Sync], owner: type[Any]) -> SyncRun[S]: ...
    @overload
    def __get__(self, obj: Resource[Async], owner: type[Any]) -> AsyncRun[S]: ...
    def __get__(self, obj: Resource[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        return self._method.__get__(obj, owner)

    def op(self, obj: Any, *args: Any, **kwargs: Any) -> Op[Any]:
        """The undecorated operation, for composing methods inside other methods.

        Example:
            >>> op = AlgorithmManager.run.op(conn.algo, "wcc", wait=False)
        """
        return self._method.op(obj, *args, **kwargs)


def frames(method: api_method[Any, Any]) -> RunMethod[pl.DataFrame]:
    """Type a native algorithm method: a DataFrame when streamed, else a handle.

    Example:
        >>> class AlgorithmManager(ExecutionOps[M]):
        ...     @frames
        ...     @api_method
        ...     @run_options
        ...     def wcc(self, **options: Unpack[RunOptions]) -> Op[Any]: ...
    """
    return RunMethod(method)


def values(method: api_method[Any, Any]) -> RunMethod[Any]:
    """Type a NetworkX method: any value when streamed, else a handle.

    Example:
        >>> class NetworkXManager(ExecutionOps[M]):
        ...     @values
        ...     @api_method
        ...     def run(self, name: str, /, **kwargs: Any) -> Op[Any]: ...
    """
    return RunMethod(method)
