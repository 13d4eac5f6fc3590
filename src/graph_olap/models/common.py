"""Shared model machinery: the response base class, model lists and favorites.

(:class:`PaginatedList` lives in :mod:`graph_olap.pagination`; it is importable from here too.)
"""

from __future__ import annotations

import functools
import typing
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
    "known_fields_only",
]

T = TypeVar("T")
R = TypeVar("R", bound="RequestModel")


class APIModel(BaseModel):
    """Base of every model the platform sends. Forward-compatible: a field this SDK does
    not know (a newer platform sent it) is kept, readable as ``model["field"]``,
    ``model.get("field")`` or in ``model.model_extra``, and shown in notebook cards;
    a status value it does not know is an :class:`~graph_olap.statuses.UnknownStatus`.
    Fields can also be read as ``model["field"]``.

    Example:
        >>> snap = Snapshot.model_validate({**known, "archived_at": "2027-01-01"})
        >>> snap["archived_at"], snap.model_extra
        ('2027-01-01', {'archived_at': '2027-01-01'})
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

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
        extra = self.model_extra or {}
        if key in extra:
            return extra[key]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access, for code written against the platform's JSON (fields this
        SDK does not know included).

        Example:
            >>> client.snapshots.get(3).get("size_bytes"), client.snapshots.get(3).get("x")
            (40960, None)
        """
        try:
            return self[key]
        except KeyError:
            return default

    def _repr_html_(self) -> str:
        """A card of the model in notebooks (see ``docs/notebook.md``)."""
        return model_html(self)

    def __repr_args__(self) -> Any:
        """pydantic's repr fields, with any secret-looking one (``token``...) masked."""
        for name, value in super().__repr_args__():
            yield name, mask_secrets(value, name or "")


class RequestModel(APIModel):
    """Base of models the SDK sends: unknown fields are refused with a suggestion.
    (A response that holds them, e.g. a mapping's node definitions, drops the fields
    this SDK does not know from them, so they can be sent back as they are.)"""

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


def known_fields_only(model: type[RequestModel], data: Any) -> Any:
    """``data`` (a dict for ``model``) without the keys ``model`` does not know, at every
    depth of nested request models: how a response holding request models (a mapping's
    node definitions) reads what a newer platform added to them, instead of refusing it.

    Example:
        >>> known_fields_only(PrimaryKey, {"name": "id", "type": "INT64", "new": 1})
        {'name': 'id', 'type': 'INT64'}
    """
    if not isinstance(data, dict):
        return data
    kept: dict[str, Any] = {}
    for name, alias, inner in _fields_of(model):
        key = name if name in data else alias
        if key is None or key not in data:
            continue
        value = data[key]
        if inner is not None:
            if isinstance(value, list):
                value = [known_fields_only(inner, item) for item in value]
            else:
                value = known_fields_only(inner, value)
        kept[key] = value
    return kept


@functools.cache
def _fields_of(
    model: type[RequestModel],
) -> tuple[tuple[str, str | None, type[RequestModel] | None], ...]:
    """Each field of ``model``: its name, alias and the request model it holds (worked
    out once per model: a list of 20 mappings reads thousands of fields)."""
    return tuple(
        (name, field.alias, _request_model_in(field.annotation))
        for name, field in model.model_fields.items()
    )


def _request_model_in(annotation: Any) -> type[RequestModel] | None:
    """The request model an annotation holds (``PrimaryKey``, ``list[PropertyDefinition]``,
    ``PrimaryKey | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, RequestModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _request_model_in(arg)
        if found is not None:
            return found
    return None


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
