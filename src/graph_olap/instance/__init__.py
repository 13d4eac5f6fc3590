"""Working with a running instance: :class:`InstanceConnection`, :class:`QueryResult`
and :class:`ExecutionHandle` (a live handle on an algorithm execution).

Example:
    >>> conn = client.instances.connect(12)
    >>> conn.query("MATCH (c:Customer) RETURN count(c) AS n").scalar()
    200
"""

from graph_olap.instance.connection import InstanceConnection
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.instance.result import QueryResult

__all__ = ["ExecutionHandle", "InstanceConnection", "QueryResult"]
