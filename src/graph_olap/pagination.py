"""Pages of list answers: :class:`PaginatedList` and the page-size limit.

Example:
    >>> from graph_olap.pagination import PaginatedList
    >>> page = client.mappings.list(limit=10)
    >>> isinstance(page, PaginatedList), len(page), page.total
    (True, 10, 42)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

from graph_olap.display import list_html
from graph_olap.utils.optional import import_optional

__all__ = ["MAX_PAGE_SIZE", "PaginatedList", "page_limit"]

T = TypeVar("T")


MAX_PAGE_SIZE = 100
"""The most items one page of a list holds; larger ``limit`` values are clamped to it."""


def page_limit(limit: int) -> int:
    """``limit`` as sent to the platform: at most :data:`MAX_PAGE_SIZE`, as the design
    specifies (``iter_all()`` pages through the rest).

    Example:
        >>> page_limit(500)
        100
    """
    return min(limit, MAX_PAGE_SIZE)


class PaginatedList(Sequence[T], Generic[T]):
    """One page of a list answer, with the total and lazy access to every page.

    ``len()``, iteration and indexing see this page; ``total`` is the count across all
    pages; :meth:`iter_all` (or :meth:`aiter_all` on the async client) walks every page,
    fetching each only when reached.

    Example:
        >>> page = client.mappings.list(limit=10)
        >>> len(page), page.total
        (10, 42)
        >>> names = [m.name for m in page.iter_all()]   # all 42, 10 per request
    """

    def __init__(
        self,
        items: list[T],
        *,
        total: int,
        offset: int,
        limit: int,
        fetch: Callable[[int], Any] | None = None,
    ) -> None:
        self.items = items
        self.total = total
        self.offset = offset
        self.limit = limit
        self._fetch = fetch

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __repr__(self) -> str:
        shown = self.offset + len(self.items)
        return (
            f"PaginatedList({len(self.items)} items, {self.offset + 1 if self.items else 0}"
            f"-{shown} of {self.total})"
        )

    def _repr_html_(self) -> str:
        """A table of this page in notebooks, with "showing N of TOTAL"."""
        return list_html(self)

    @property
    def has_more(self) -> bool:
        """Whether pages after this one hold more items."""
        return self.offset + len(self.items) < self.total

    def _next_offset(self) -> int:
        return self.offset + max(len(self.items), 1)

    def iter_all(self) -> Iterator[T]:
        """Every item on every page, from this page on, fetching pages as needed."""
        page: PaginatedList[T] = self
        while True:
            yield from page.items
            if not page.has_more or page._fetch is None or not page.items:
                return
            page = page._fetch(page._next_offset())

    async def aiter_all(self) -> AsyncIterator[T]:
        """Async twin of :meth:`iter_all`, for the async client."""
        page: PaginatedList[T] = self
        while True:
            for item in page.items:
                yield item
            if not page.has_more or page._fetch is None or not page.items:
                return
            fetched = page._fetch(page._next_offset())
            page = await fetched if isinstance(fetched, Awaitable) else fetched

    def to_polars(self) -> Any:
        """This page as a polars DataFrame (needs ``polars``)."""
        pl = import_optional("polars", extra="polars")
        return pl.DataFrame([_row(item) for item in self.items])

    def to_pandas(self) -> Any:
        """This page as a pandas DataFrame (needs ``pandas``)."""
        pd = import_optional("pandas", extra="pandas")
        return pd.DataFrame([_row(item) for item in self.items])


def _row(item: Any) -> Any:
    if isinstance(item, BaseModel):
        return {k: v for k, v in item.model_dump().items() if not isinstance(v, (list, dict))}
    return item
