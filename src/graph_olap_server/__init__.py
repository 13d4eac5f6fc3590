"""The local Graph OLAP platform: control plane, warehouse, jobs, instance runtime, wrapper.

It never imports the SDK (``graph_olap``): the SDK's end-to-end tests are a real contract
test against it. The app is imported lazily so that a wrapper process (which needs none of
it) starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from graph_olap_server.app import create_app

        return create_app
    if name == "Settings":
        from graph_olap_server.settings import Settings

        return Settings
    raise AttributeError(f"module 'graph_olap_server' has no attribute {name!r}")
