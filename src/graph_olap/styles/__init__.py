"""The notebook design system: the CSS embedded in every rich notebook output."""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["get_notebook_css"]


@functools.lru_cache(maxsize=1)
def get_notebook_css() -> str:
    """The design system's CSS (every class prefixed ``go-``; light and dark themes).

    Example:
        >>> "--go-bg" in get_notebook_css()
        True
    """
    return resources.files(__name__).joinpath("notebook.css").read_text(encoding="utf-8")
