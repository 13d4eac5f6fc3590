"""Optional dependencies, imported lazily with an error that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]


def import_optional(module: str, *, extra: str) -> ModuleType:
    """Import ``module`` or raise ImportError naming the extra that provides it.

    Example:
        >>> pl = import_optional("polars", extra="polars")
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"This feature needs the optional package {module!r}. "
            f"Install it with: pip install 'graph-olap[{extra}]'"
        ) from err
