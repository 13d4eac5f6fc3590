"""Shared model machinery: the response base class, pagination and favorites."""

from __future__ import annotations

import difflib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel, ConfigDict

from graph_olap import exceptions as exc
from graph_olap.display import items_html, list_html, model_html
from graph_olap.display._html import mask_secrets
from graph_olap.utils.optional import import_optional

__all__ = [
    "APIModel",
    "Favorite",
    "ModelList",
    "PaginatedList",
    "RequestModel",
    "coerce_request",
]

T = TypeVar("T")
R = TypeVar("R", bound="RequestModel")


class APIModel(BaseModel):
    """Base of every model the platform sends: unknown fields are ignored so a newer
    server never breaks an older SDK. Fields can also be read as ``model["field"]``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def from_api_response(cls, data: Any) -> Any:
        """Build the model from the ``data`` of an API answer."""
        return cls.model_validate(data)

    from_dict = from_api_response

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON-compatible Python values."""
        return self.model_dump(mode="json")

    def __getitem__(self, key: str) -> Any:
        if key in type(self).model_fields:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access, for code written against the platform's JSON."""
        return getattr(self, key, default) if key in type(self).model_fields else default

    def _repr_html_(self) -> str:
        """A card of the model in notebooks (see ``docs/notebook.md``)."""
        return model_html(self)

    def __repr_args__(self) -> Any:
        """pydantic's repr fields, with any secret-looking one (``token``...) masked."""
        for name, value in super().__repr_args__():
            yield name, mask_secrets(value, name or "")


class RequestModel(APIModel):
    """Base of models the SDK sends: unknown fields are refused with a suggestion."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def coerce_request(model: type[R], value: R | dict[str, Any], where: str) -> R:
    """Accept a model or a dict for ``model``; a wrong dict is a ValidationError naming
    ``where`` and the field, with the closest known field name.

    Example:
        >>> coerce_request(PropertyDefinition, {"name": "age", "type": "INT64"}, "properties[0]")
        PropertyDefinition(name='age', type='INT64')
    """
    if isinstance(value, model):
        return value
    if not isinstance(value, dict):
        raise exc.ValidationError(
            f"{where} must be a {model.__name__} or a dict, got {type(value).__name__}."
        )
    known = set(model.model_fields)
    for key in value:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise exc.ValidationError(
                f"{where} has an unknown field {key!r}.{hint} "
                f"Known fields: {', '.join(sorted(known))}.",
                details={"field": f"{where}.{key}"},
            )
    try:
        return model.model_validate(value)
    except Exception as err:  # pydantic.ValidationError
        raise exc.ValidationError(
            f"{where} is not a valid {model.__name__}: {_pydantic_summary(err)}",
            details={"field": where},
        ) from err


def _pydantic_summary(err: Exception) -> str:
    errors = getattr(err, "errors", None)
    if not callable(errors):
        return str(err)
    parts = []
    for item in errors():
        loc = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{loc}: {item.get('msg')}" if loc else str(item.get("msg")))
    return "; ".join(parts)


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


class ModelList(list[T]):
    """A plain list of models (warehouse tables, columns...) that shows as a table in
    notebooks; otherwise an ordinary ``list``.

    Example:
        >>> tables = client.schema.list_tables("sample", "bank")
        >>> tables[0].table_name, isinstance(tables, list)
        ('accounts', True)
    """

    def _repr_html_(self) -> str:
        """A table of the items in notebooks, with "N items"."""
        return items_html(self)


def _row(item: Any) -> Any:
    if isinstance(item, BaseModel):
        return {k: v for k, v in item.model_dump().items() if not isinstance(v, (list, dict))}
    return item


class Favorite(APIModel):
    """A bookmarked mapping, snapshot or instance of the current user."""

    id: int | None = None
    resource_type: str
    resource_id: int
    resource_name: str | None = None
    resource_exists: bool = True
    created_at: datetime | None = None
