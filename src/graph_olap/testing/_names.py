"""Names of the resources a test creates: random, and tagged so leftovers can be found."""

from __future__ import annotations

import re
import secrets

__all__ = ["DEFAULT_TAG", "new_run_id", "random_name", "run_prefix"]

DEFAULT_TAG = "gotest"
"""First part of every name :class:`~graph_olap.testing.TestFixtures` gives a resource."""

_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.]*$")


def random_name(prefix: str = "test") -> str:
    """A unique name: ``prefix``, a dash and 8 random hex digits.

    Args:
        prefix: The readable start of the name.

    Returns:
        For example ``"test-3fa2c1d0"``.

    Example:
        >>> random_name("mapping")
        'mapping-9c41e07b'
    """
    return f"{prefix}-{secrets.token_hex(4)}"


def new_run_id() -> str:
    """A short random id for one set of fixtures (8 hex digits).

    Example:
        >>> len(new_run_id())
        8
    """
    return secrets.token_hex(4)


def run_prefix(tag: str, run_id: str) -> str:
    """``"<tag>-<run_id>-"``: the start of every name one set of fixtures creates.

    Raises:
        ValueError: ``tag`` or ``run_id`` is empty or has characters other than letters,
            digits and dots (they would make the prefix ambiguous or break searches).

    Example:
        >>> run_prefix("gotest", "3fa2c1d0")
        'gotest-3fa2c1d0-'
    """
    for label, value in (("tag", tag), ("run_id", run_id)):
        if not _TAG.match(value or ""):
            raise ValueError(
                f"{label} must be letters, digits and dots (no dash, space or underscore), "
                f"got {value!r}."
            )
    return f"{tag}-{run_id}-"
