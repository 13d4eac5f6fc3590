"""Zero-configuration entry point for Jupyter: ``client = notebook.connect()``.

Where the platform is comes from the environment (arguments win):

1. ``GRAPH_OLAP_API_URL`` when set;
2. the in-cluster service ``http://control-plane.<GRAPH_OLAP_NAMESPACE>.svc:8000`` when
   ``GRAPH_OLAP_IN_CLUSTER_MODE=true``;
3. the local platform, ``http://localhost:8000`` (``GRAPH_OLAP_PORT`` changes the port).
   When nothing answers there and the platform is installed (``graph-olap[server]``),
   :func:`connect` starts it in the background (``graph-olap start``; a kernel restart
   does not stop it, ``graph-olap stop`` does) and says so in one line. A configured URL
   or in-cluster mode is never replaced by it.

Credentials: ``GRAPH_OLAP_API_KEY``, ``GRAPH_OLAP_INTERNAL_API_KEY`` or
``GRAPH_OLAP_USERNAME``; with none of them you are ``JUPYTERHUB_USER`` or your OS login
name (see docs/configuration.md). :func:`connect` keeps the client as the notebook's
current one (:func:`get_client`) and closes the one it replaces, so re-running a cell
never leaks connections. It also makes SDK errors show compactly (:func:`compact_errors`;
``%tb`` prints the full traceback). If ``itables`` is installed, DataFrames become
interactive tables.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from graph_olap.client import GraphOLAPClient
from graph_olap.display.errors import caught_error_html, show_error
from graph_olap.display.frames import caption_frames_with_lineage
from graph_olap.display.interactive import enable_itables, init_itables
from graph_olap.exceptions import GraphOLAPError
from graph_olap.local_platform import ensure_local_platform

__all__ = ["compact_errors", "connect", "get_client", "init", "verbose_errors"]

log = logging.getLogger("graph_olap.notebook")

_current_client: GraphOLAPClient | None = None


def connect(
    api_url: str | None = None,
    api_key: str | None = None,
    *,
    start_platform: bool = True,
    **kwargs: Any,
) -> GraphOLAPClient:
    """Connect to the Graph OLAP platform, configured from the environment.

    Args:
        api_url: Overrides ``GRAPH_OLAP_API_URL`` (and the in-cluster / local default).
        api_key: Overrides ``GRAPH_OLAP_API_KEY``.
        start_platform: With no URL configured and nothing answering at the local
            platform's URL, start the local platform in the background (when it is
            installed). ``False``: never start anything.
        **kwargs: Any other :class:`~graph_olap.GraphOLAPClient` argument (``username``,
            ``internal_api_key``, ``timeout``, ``max_retries``, ...).

    Returns:
        The client, also kept as the notebook's current client.

    Raises:
        ConnectionError: something that is not a Graph OLAP platform answers at the
            local platform's URL, or the local platform failed to start.

    Example:
        >>> from graph_olap import notebook
        >>> client = notebook.connect()          # local platform, or what the env says
        Started the Graph OLAP local platform at http://127.0.0.1:8000 in the background ...
        >>> client.mappings.list()
    """
    global _current_client
    compact_errors()  # first, so that connect()'s own errors show compactly too
    client = GraphOLAPClient.from_env(api_url=api_url, api_key=api_key, **kwargs)
    local_default = not (api_url or os.environ.get("GRAPH_OLAP_API_URL"))
    if start_platform and local_default and not client.config.in_cluster_mode:
        try:
            ensure_local_platform(client.config.api_url)
        except BaseException:
            client.close()
            raise
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


def compact_errors() -> bool:
    """Show SDK errors in this IPython kernel as a compact block (message, code, status,
    request id, hint, your line) instead of the SDK's frames; :func:`connect` calls it.

    Returns whether it is on (False outside IPython, or when another library has its
    own handler). ``%tb`` in the next cell prints the full traceback.

    Example:
        >>> notebook.compact_errors()
        True
    """
    shell = _shell()
    if shell is None:
        return False
    # an error caught and shown as a value (``err`` as a cell's last line): the same card
    shell.display_formatter.formatters["text/html"].for_type(GraphOLAPError, caught_error_html)
    if shell.custom_exceptions not in ((), (GraphOLAPError,)):
        log.debug("compact errors not set: IPython already has %s", shell.custom_exceptions)
        return False
    shell.set_custom_exc((GraphOLAPError,), show_error)
    return True


def verbose_errors() -> None:
    """Show SDK errors with IPython's full traceback again (undoes :func:`compact_errors`).

    Example:
        >>> notebook.verbose_errors()
    """
    shell = _shell()
    if shell is not None and shell.custom_exceptions == (GraphOLAPError,):
        shell.set_custom_exc((), None)


def _shell() -> Any:
    """The running IPython shell, or None (IPython is imported only if it is loaded)."""
    import sys

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _setup_itables() -> None:
    """Interactive DataFrames through itables, when it is installed (a no-op otherwise)."""
    try:
        init_itables()  # itables.init_notebook_mode, its outputs in an order JupyterLab runs
    except ImportError:  # itables (the notebook extra) is not installed
        return
    except Exception as err:  # outside a notebook, or an itables without this API
        log.debug("itables not set up: %s", err)
        return
    enable_itables()  # query results render through it from now on
    caption_frames_with_lineage()  # and the SDK's DataFrames say where they came from
