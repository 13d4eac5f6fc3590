"""Small helpers shared across the SDK, and :func:`diff_mappings` for users.

Example:
    >>> from graph_olap.utils import diff_mappings
    >>> diff = diff_mappings(client.mappings.get_version(m.id, 1), client.mappings.get(m.id))
    >>> diff == client.mappings.diff_versions(m.id, 1, diff.to_version)
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_olap.utils.diff import diff_mappings

__all__ = ["diff_mappings"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the models import graph_olap.utils.optional, and
    # graph_olap.utils.diff imports the models, so an eager import here would be a cycle.
    if name == "diff_mappings":
        from graph_olap.utils.diff import diff_mappings

        return diff_mappings
    raise AttributeError(f"module 'graph_olap.utils' has no attribute {name!r}")
