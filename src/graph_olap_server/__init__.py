"""The local Graph OLAP platform: control plane, warehouse, jobs (and, later, instances).

It never imports the SDK (``graph_olap``): the SDK's end-to-end tests are a real contract
test against it.
"""

from graph_olap_server.app import create_app
from graph_olap_server.settings import Settings

__all__ = ["Settings", "create_app"]
