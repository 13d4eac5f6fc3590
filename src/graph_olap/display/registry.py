"""The one registry of card layouts, keyed by model type.

A layout is a function ``(model, now) -> html`` registered with the :func:`layout`
decorator on the class (or classes) it draws. :func:`layout_of` finds it by type (the
class or its nearest registered base), so renaming a model moves its card with it; a
model with no layout gets the generic card of :mod:`graph_olap.display.cards`.

``ModelDict`` results are keyed by their own class (not by the pydantic shape that
validates them): ``ModelDict._repr_html_`` passes it.

Example:
    >>> @layout(LockStatus)
    ... def _lock(model, now):
    ...     return card("Lock", None, badge("locked"), "")
    >>> layout_of(LockStatus) is _lock
    True
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Layout", "layout", "layout_of", "layouts"]

Layout = Callable[[Any, datetime.datetime | None], str]
"""Draws a model's card: ``layout(model, now)`` returns an HTML fragment."""

L = TypeVar("L", bound=Layout)

_LAYOUTS: dict[type, Layout] = {}


def layout(*types: type) -> Callable[[L], L]:
    """Register the decorated function as the card layout of ``types``.

    Raises:
        TypeError: No type given, or a type already has a layout (two would race).

    Example:
        >>> @layout(NodeDefinition, EdgeDefinition)
        ... def _definition(model, now): ...
    """
    if not types:
        raise TypeError("layout() needs the model class(es) it draws, e.g. @layout(Mapping).")

    def register(function: L) -> L:
        for cls in types:
            known = _LAYOUTS.get(cls)
            if known is not None and known is not function:
                raise TypeError(
                    f"{cls.__qualname__} already has the layout {known.__qualname__}; "
                    f"remove one of it and {function.__qualname__}."
                )
            _LAYOUTS[cls] = function
        return function

    return register


def layout_of(cls: type) -> Layout | None:
    """The layout of ``cls`` or of its nearest registered base class; None when there is
    none (the generic card is used).

    Example:
        >>> layout_of(Snapshot).__name__, layout_of(Favorite)
        ('_snapshot', None)
    """
    for base in cls.__mro__:
        found = _LAYOUTS.get(base)
        if found is not None:
            return found
    return None


def layouts() -> dict[type, Layout]:
    """A copy of the registry: every class with its own layout.

    Example:
        >>> Mapping in layouts()
        True
    """
    return dict(_LAYOUTS)
