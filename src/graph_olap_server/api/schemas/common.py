"""Shared wire shapes: the success envelopes, the error envelope and the base classes of
request and response models.

Every success answer of the control plane is ``{"data": T}`` (:class:`Envelope`) or, for a
paged list, ``{"data": [T], "meta": {"total", "offset", "limit"}}`` (:class:`Page`). Every
error answer is :class:`ErrorEnvelope`.

Example:
    >>> Envelope[int](data=3).model_dump()
    {'data': 3}
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from graph_olap_server.strict import Strict

__all__ = [
    "Envelope",
    "ErrorBody",
    "ErrorEnvelope",
    "LifecycleUpdate",
    "Out",
    "Page",
    "PageMeta",
    "Strict",
    "error_responses",
]

T = TypeVar("T")
OutT = TypeVar("OutT", bound="Out")


class LifecycleUpdate(Strict):
    """TTL and inactivity timeout of a mapping, snapshot or instance (``""`` clears one,
    a field left out is unchanged)."""

    ttl: str | None = Field(default=None, max_length=64)
    inactivity_timeout: str | None = Field(default=None, max_length=64)


class Out(BaseModel):
    """Base of every response model: built from ORM rows or dicts, and every field is
    required in the OpenAPI document (the platform always sends it, ``null`` included).

    Example:
        >>> class Pet(Out):
        ...     name: str | None = None
        >>> Pet.model_json_schema(mode="serialization")["required"]
        ['name']
    """

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    @classmethod
    def from_row(cls: type[OutT], row: Any, **overrides: Any) -> OutT:
        """The model of ``row`` (an ORM row or any object with the fields as attributes),
        with ``overrides`` for fields computed elsewhere.

        Example:
            >>> class Pet(Out):
            ...     name: str
            ...     legs: int
            >>> from types import SimpleNamespace
            >>> Pet.from_row(SimpleNamespace(name="Rex", legs=3), legs=4)
            Pet(name='Rex', legs=4)
        """
        values = {
            name: overrides[name] if name in overrides else getattr(row, name)
            for name in cls.model_fields
        }
        return cls.model_validate(values)


class Envelope(Out, Generic[T]):
    """``{"data": T}``, the answer of every success with a body except paged lists.

    Example:
        >>> Envelope[str](data="x").model_dump()
        {'data': 'x'}
    """

    data: T


class PageMeta(Out):
    """Where a page sits: ``total`` matches, and the ``offset`` and ``limit`` asked."""

    total: int
    offset: int
    limit: int


class Page(Out, Generic[T]):
    """``{"data": [T], "meta": {...}}``, one page of a list.

    Example:
        >>> Page[int].of([1, 2], total=5, offset=0, limit=2).model_dump()
        {'data': [1, 2], 'meta': {'total': 5, 'offset': 0, 'limit': 2}}
    """

    data: list[T]
    meta: PageMeta

    @classmethod
    def of(cls, items: list[T], *, total: int, offset: int, limit: int) -> Page[T]:
        """The page of ``items`` (the ``offset``-th to the ``offset + limit``-th match)."""
        return cls(data=items, meta=PageMeta(total=total, offset=offset, limit=limit))


class ErrorBody(Out):
    """What went wrong: an ``UPPER_SNAKE`` code, a message saying what to do, details."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    message: str = Field(min_length=1)
    details: dict[str, Any]


class ErrorEnvelope(Out):
    """``{"error": {"code", "message", "details"}}``, the answer of every failure."""

    error: ErrorBody


def error_responses(**statuses: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for the error answers a route sends beyond the common ones (400 to
    429 are declared on every operation by ``errors.document_error_responses``).

    Example:
        >>> error_responses(s503="The instance did not answer")[503]["description"]
        'The instance did not answer'
    """
    return {
        int(key.removeprefix("s")): {"model": ErrorEnvelope, "description": text}
        for key, text in statuses.items()
    }
