"""Instances on the local platform: the runtime that runs their wrapper processes, the
monitor that walks them through start-up, admission rules and progress.

* :class:`InstanceRuntime` is the interface; :class:`LocalProcessRuntime` runs one
  ``python -m graph_olap_server.wrapper`` process per instance on 127.0.0.1;
* :class:`InstanceMonitor` starts instances whose snapshot is ready, follows their
  loading and adopts live wrappers after a restart;
* :mod:`.admission` checks the concurrency limits and TTLs of new instances;
* :class:`KubernetesRuntime` runs a pod per instance instead (``GRAPH_OLAP_RUNTIME=
  kubernetes``); :func:`make_runtime` picks the runtime the settings name.
"""

from __future__ import annotations

from graph_olap_server.runtime.base import (
    InstanceAddresses,
    InstanceRuntime,
    InstanceRuntimeError,
)
from graph_olap_server.runtime.kubernetes import KubernetesRuntime
from graph_olap_server.runtime.local import LocalProcessRuntime, default_engine
from graph_olap_server.runtime.monitor import RESTART_GONE, InstanceMonitor
from graph_olap_server.runtime.progress import instance_progress
from graph_olap_server.settings import Settings

__all__ = [
    "RESTART_GONE",
    "InstanceAddresses",
    "InstanceMonitor",
    "InstanceRuntime",
    "InstanceRuntimeError",
    "KubernetesRuntime",
    "LocalProcessRuntime",
    "default_engine",
    "instance_progress",
    "make_runtime",
]


def make_runtime(settings: Settings) -> InstanceRuntime:
    """The runtime ``settings.runtime`` names (``GRAPH_OLAP_RUNTIME``): local processes
    (the default) or Kubernetes pods.

    Example:
        >>> make_runtime(Settings(data_dir=Path("/tmp/go"))).description
        'local processes'
    """
    if settings.runtime == "kubernetes":
        return KubernetesRuntime(settings)
    return LocalProcessRuntime(settings)
