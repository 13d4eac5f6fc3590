"""Shared model machinery: the response base class, model lists and favorites.

(:class:`PaginatedList` lives in :mod:`graph_olap.pagination`; it is importable from here too.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from graph_olap import exceptions as exc
from graph_olap.display import items_html, model_html
from graph_olap.display._html import mask_secrets
from graph_olap.pagination import PaginatedList
from graph_olap.utils.hints import did_you_mean

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
            hint = did_you_mean(key, known)
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


class Favorite(APIModel):
    """A bookmarked mapping, snapshot or instance of the current user."""

    id: int | None = None
    resource_type: str
    resource_id: int
    resource_name: str | None = None
    resource_exists: bool = True
    created_at: datetime | None = None
