"""graph_olap: the Python SDK of the Graph OLAP platform.

Example:
    >>> from graph_olap import GraphOLAPClient
    >>> client = GraphOLAPClient(username="alice")        # the local platform
    >>> client.mappings.list().total
    0
"""

from graph_olap._version import __version__
from graph_olap.client import AsyncGraphOLAPClient, GraphOLAPClient
from graph_olap.config import Config
from graph_olap.exceptions import (
    AlreadyExistsError,
    AuthenticationError,
    ConcurrencyLimitError,
    ConflictError,
    ConnectionError,
    DependencyError,
    ForbiddenError,
    GraphOLAPError,
    InstanceFailedError,
    InvalidStateError,
    MaintenanceError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResourceLockedError,
    ServerError,
    SnapshotFailedError,
    TimeoutError,
    ValidationError,
)
from graph_olap.models import (
    EdgeDefinition,
    Mapping,
    MappingVersion,
    NodeDefinition,
    PaginatedList,
    PrimaryKey,
    PropertyDefinition,
)

__all__ = [
    "AlreadyExistsError",
    "AsyncGraphOLAPClient",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "Config",
    "ConflictError",
    "ConnectionError",
    "DependencyError",
    "EdgeDefinition",
    "ForbiddenError",
    "GraphOLAPClient",
    "GraphOLAPError",
    "InstanceFailedError",
    "InvalidStateError",
    "MaintenanceError",
    "Mapping",
    "MappingVersion",
    "NodeDefinition",
    "NotFoundError",
    "PaginatedList",
    "PermissionDeniedError",
    "PrimaryKey",
    "PropertyDefinition",
    "RateLimitError",
    "ResourceLockedError",
    "ServerError",
    "SnapshotFailedError",
    "TimeoutError",
    "ValidationError",
    "__version__",
]
