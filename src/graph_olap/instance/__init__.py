"""Working with a running instance: :class:`InstanceConnection` and :class:`QueryResult`.

Example:
    >>> conn = client.instances.connect(12)
    >>> conn.query("MATCH (c:Customer) RETURN count(c) AS n").scalar()
    200
"""

from graph_olap.instance.connection import InstanceConnection
from graph_olap.instance.result import QueryResult

__all__ = ["InstanceConnection", "QueryResult"]
