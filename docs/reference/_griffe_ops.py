"""Griffe extension for the API reference (mkdocstrings loads it; see mkdocs.yml).

- Resource methods are written once as generators of operations (``-> Op[Mapping]``)
  decorated with ``api_method``; a user calls them on ``client.mappings`` and gets the
  ``Mapping`` (on the async client, an awaitable of it). The documented return type
  becomes ``Mapping``.
- The docstrings title their doctests ``Example:`` (the Napoleon spelling); griffe's
  Google parser knows only ``Examples:`` and would render the doctest as prose. The
  section is renamed before parsing so the examples render as code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class UnwrapOps(griffe.Extension):
    """Document ``@api_method`` functions as users call them; doctests as code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rename ``Example:`` sections to ``Examples:`` before the docstring is parsed."""
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        """Replace ``Op[X]`` by ``X`` in the return annotation of an ``api_method``."""
        if not any(str(d.value).split(".")[-1] == "api_method" for d in func.decorators):
            return
        returns = func.returns
        if isinstance(returns, griffe.ExprSubscript) and str(returns.left) == "Op":
            func.returns = returns.slice
