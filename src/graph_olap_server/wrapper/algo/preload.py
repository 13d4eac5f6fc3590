"""The algorithm libraries, imported in the background when the wrapper starts.

Importing networkit takes about 0.6 s (it pulls in matplotlib and pandas) and scipy's
graph routines about 0.2 s. Imported on first use, the first algorithm run paid for
them; imported while the wrapper waits for its snapshot or loads it, nobody does.
"""

from __future__ import annotations

import importlib
import logging
import threading

__all__ = ["LIBRARIES", "preload"]

log = logging.getLogger("graph_olap_server.wrapper")

LIBRARIES = ("scipy.sparse", "scipy.sparse.csgraph", "networkit")
"""What the native algorithms import (``native_*.py``, ``dense_graph.py``)."""


def preload(libraries: tuple[str, ...] = LIBRARIES) -> threading.Thread:
    """Import ``libraries`` in a daemon thread; one that fails to import is logged and
    left for the run that needs it to report.

    Example:
        >>> preload().join()
    """

    def run() -> None:
        for name in libraries:
            try:
                importlib.import_module(name)
            except Exception as err:  # the run that needs it says what is missing
                log.warning("could not import %s in advance: %s", name, err)

    thread = threading.Thread(target=run, name="graph-olap-preload", daemon=True)
    thread.start()
    return thread
