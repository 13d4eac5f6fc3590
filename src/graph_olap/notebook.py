"""Zero-configuration entry point for Jupyter: ``client = notebook.connect()``.

Where the platform is comes from the environment (arguments win):

1. ``GRAPH_OLAP_API_URL`` when set;
2. the in-cluster service ``http://control-plane.<GRAPH_OLAP_NAMESPACE>.svc:8000`` when
   ``GRAPH_OLAP_IN_CLUSTER_MODE=true``;
3. the local platform, ``http://localhost:8000`` (start it with ``graph-olap server``).

Credentials: ``GRAPH_OLAP_API_KEY``, ``GRAPH_OLAP_INTERNAL_API_KEY`` or
``GRAPH_OLAP_USERNAME`` (see docs/configuration.md). :func:`connect` keeps the client as
the notebook's current one (:func:`get_client`) and closes the one it replaces, so
re-running a cell never leaks connections. If ``itables`` is installed, DataFrames
become interactive tables.
"""

from __future__ import annotations

import logging
from typing import Any

from graph_olap.client import GraphOLAPClient
from graph_olap.display.interactive import enable_itables

__all__ = ["connect", "get_client", "init"]

log = logging.getLogger("graph_olap.notebook")

_current_client: GraphOLAPClient | None = None


def connect(
    api_url: str | None = None, api_key: str | None = None, **kwargs: Any
) -> GraphOLAPClient:
    """Connect to the Graph OLAP platform, configured from the environment.

    Args:
        api_url: Overrides ``GRAPH_OLAP_API_URL`` (and the in-cluster / local default).
        api_key: Overrides ``GRAPH_OLAP_API_KEY``.
        **kwargs: Any other :class:`~graph_olap.GraphOLAPClient` argument (``username``,
            ``internal_api_key``, ``timeout``, ``max_retries``, ...).

    Returns:
        The client, also kept as the notebook's current client.

    Example:
        >>> from graph_olap import notebook
        >>> client = notebook.connect()          # local platform, or what the env says
        >>> client.mappings.list()
    """
    global _current_client
    client = GraphOLAPClient.from_env(api_url=api_url, api_key=api_key, **kwargs)
    previous, _current_client = _current_client, client
    if previous is not None and previous is not client:
        previous.close()
    _setup_itables()
    return client


def init(api_url: str | None = None, api_key: str | None = None, **kwargs: Any) -> GraphOLAPClient:
    """The same as :func:`connect` (the name some notebooks use).

    Example:
        >>> client = notebook.init(username="alice")
    """
    return connect(api_url=api_url, api_key=api_key, **kwargs)


def get_client() -> GraphOLAPClient | None:
    """The client of the last :func:`connect` call, or None before the first.

    Example:
        >>> notebook.get_client() is client
        True
    """
    return _current_client


def _setup_itables() -> None:
    """Interactive DataFrames through itables, when it is installed (a no-op otherwise)."""
    try:
        import itables  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return
    try:
        itables.init_notebook_mode(all_interactive=True)
    except Exception as err:  # outside a notebook, or an itables without this API
        log.debug("itables not set up: %s", err)
        return
    enable_itables()  # query results render through it from now on
