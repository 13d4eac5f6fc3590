"""``ModelDict``: a result that is a real ``dict`` (the platform's JSON) and also has typed
attributes, for the methods the SDK's design declares as returning ``dict``."""

from __future__ import annotations

import copy
import inspect
import typing
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import create_model

from graph_olap.display import model_html
from graph_olap.models.common import APIModel

__all__ = ["ModelDict"]

D = TypeVar("D", bound="ModelDict")


class ModelDict(dict[str, Any]):
    """A ``dict`` of JSON values that also reads its fields as typed attributes.

    A subclass declares its fields as class annotations, exactly like a pydantic model
    (defaults and ``Field(default_factory=...)`` allowed), plus its own methods and
    properties. Building one validates the data with a pydantic model of the same name
    (missing required ones raise pydantic's ``ValidationError``; fields this SDK does not
    know, sent by a newer platform, are kept: items of the dict, and in
    ``x.model.model_extra``), then fills the dict with that model's JSON dump.

    - **Item access** (``x["summary"]["nodes_added"]``, ``in``, ``keys()``, iteration,
      ``json.dumps(x)``) gives the JSON values: ISO strings for datetimes, plain dicts for
      nested models. This is the shape the design's examples use.
    - **Attribute access** (``x.summary.nodes_added``) gives the typed values the
      validation produced: nested models stay models, datetimes are ``datetime``.
    - The attributes are a view taken when the result was built: changing the dict's
      items afterwards does not change them (``type(x).model_validate(x)`` builds a
      fresh result from the edited dict), and attributes cannot be assigned.
    - ``_repr_html_`` shows the same notebook card as the model; ``copy``, ``deepcopy``
      and ``pickle`` work.

    Example:
        >>> class Count(ModelDict):
        ...     name: str
        ...     total: int = 0
        >>> c = Count.model_validate({"name": "runs", "total": "3", "extra": 1})
        >>> dict(c), c.total, isinstance(c, dict), json.dumps(c)
        ({'name': 'runs', 'total': 3, 'extra': 1}, 3, True, '{"name": "runs", ...}')
    """

    __slots__ = ("_model",)
    _model: APIModel

    _field_defaults: ClassVar[dict[str, Any]] = {}
    _shape: ClassVar[type[APIModel] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        defaults = dict(cls._field_defaults)  # the fields of the parent classes, in order
        for name, annotation in inspect.get_annotations(cls).items():
            if name.startswith("_") or "ClassVar" in str(annotation):
                continue
            if hasattr(ModelDict, name):
                raise TypeError(
                    f"{cls.__name__}.{name} would hide dict's or ModelDict's {name!r}; "
                    "rename the field."
                )
            # a class attribute would shadow __getattr__: keep the default for the shape
            defaults[name] = cls.__dict__.get(name, ...)
            if name in cls.__dict__:
                delattr(cls, name)
        cls._field_defaults = defaults
        cls._shape = None

    @classmethod
    def shape(cls) -> type[APIModel]:
        """The pydantic model that validates this class's data (built once, on first use;
        its ``__name__`` is this class's; notebook cards find their layout by this class).

        Example:
            >>> MappingDiff.shape().model_fields["summary"].annotation
            <class 'graph_olap.models.mapping.MappingDiffSummary'>
        """
        shape = cls.__dict__.get("_shape")
        if shape is None:
            hints = typing.get_type_hints(cls, include_extras=True)  # keeps Field(...)
            fields: dict[str, Any] = {
                name: (hints[name], default) for name, default in cls._field_defaults.items()
            }
            shape = create_model(
                cls.__name__,
                __base__=APIModel,
                __module__=cls.__module__,
                __doc__=cls.__doc__,
                **fields,
            )
            cls._shape = shape
        return typing.cast("type[APIModel]", shape)

    def __init__(self, data: Any = None, /, **fields: Any) -> None:
        if isinstance(data, ModelDict):
            data = dict(data)  # its items, edits included
        if fields:
            data = {**(dict(data) if data is not None else {}), **fields}
        model = self.shape().model_validate({} if data is None else data)
        super().__init__(model.model_dump(mode="json"))
        object.__setattr__(self, "_model", model)

    @classmethod
    def model_validate(cls: type[D], obj: Any) -> D:
        """Validate ``obj`` (a dict, or a model of the same shape) into this class.

        Example:
            >>> BulkDeleteResult.model_validate(
            ...     {"dry_run": True, "resource_type": "mapping", "matched_count": 0}
            ... )["matched_ids"]
            []
        """
        return cls(obj)

    @classmethod
    def from_api_response(cls: type[D], data: Any) -> D:
        """Build the result from the ``data`` of an API answer.

        Example:
            >>> SystemState.from_api_response({"mappings": {"total": 2}}).mappings
            {'total': 2}
        """
        return cls(data)

    from_dict = from_api_response

    @property
    def model(self) -> APIModel:
        """The validated pydantic model behind the attributes.

        Example:
            >>> type(client.ops.get_state().model).__name__
            'SystemState'
        """
        return self._model

    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` copy of the items (JSON values, nested copies).

        Example:
            >>> type(client.ops.get_state().to_dict())
            <class 'dict'>
        """
        return copy.deepcopy(dict(self))

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """The typed values as pydantic's ``model_dump`` gives them (same arguments).

        Example:
            >>> client.ops.get_job_status().model_dump()["jobs"][0]["last_run_at"]
            datetime.datetime(2026, 12, 5, 9, 30, tzinfo=TzInfo(UTC))
        """
        return self.model.model_dump(**kwargs)

    if not TYPE_CHECKING:  # mypy sees the declared fields only, and flags a typo

        def __getattr__(self, name: str) -> Any:
            if not name.startswith("_"):
                try:
                    model = object.__getattribute__(self, "_model")
                except AttributeError:  # pragma: no cover - only while unpickling
                    model = None
                if model is not None and name in type(model).model_fields:
                    return getattr(model, name)
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r}. Its fields are "
                f"{', '.join(self._field_defaults)}; item access (result[key]) reads the "
                f"same data as JSON values."
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__}.{name} cannot be assigned: the attributes are the "
            f"result as validated. Edit the dict's items instead, then build a fresh result "
            f"with {type(self).__name__}.model_validate(edited) if you need the attributes."
        )

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._field_defaults})

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return repr(self.model)

    def _repr_html_(self) -> str:
        """The notebook card of the result (the same as its model's)."""
        return model_html(self.model, key=type(self))
