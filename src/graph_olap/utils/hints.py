"""The "Did you mean ...?" of error messages, in one place."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """``" Did you mean 'label'?"`` for the known name closest to ``name``, or ``""``.

    Example:
        >>> did_you_mean("lable", ["label", "sql"])
        " Did you mean 'label'?"
    """
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""
