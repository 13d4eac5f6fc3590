"""Where the SDK runs: the one place that tells a Jupyter kernel from a script or a
terminal (the progress displays and the graph view ask it)."""

from __future__ import annotations

import sys

__all__ = ["in_jupyter_kernel"]


def in_jupyter_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's shell is a ZMQInteractiveShell).

    IPython is not imported here: a kernel has always imported it already.

    Example:
        >>> in_jupyter_kernel()  # in a plain script
        False
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    return type(get_ipython()).__name__ == "ZMQInteractiveShell"
