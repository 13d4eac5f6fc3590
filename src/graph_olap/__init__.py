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
    InstanceGoneError,
    InvalidStateError,
    MaintenanceError,
    NotFoundError,
    PermissionDeniedError,
    QueryError,
    QueryTimeoutError,
    RateLimitError,
    ResourceLockedError,
    ResultShapeError,
    ServerError,
    SnapshotFailedError,
    TimeoutError,
    ValidationError,
    WriteNotAllowedError,
)
from graph_olap.instance import InstanceConnection, QueryResult
from graph_olap.models import (
    EdgeDefinition,
    GraphSchema,
    Instance,
    InstanceProgress,
    Mapping,
    MappingVersion,
    NodeDefinition,
    PaginatedList,
    PrimaryKey,
    PropertyDefinition,
    Snapshot,
    SnapshotProgress,
)
from graph_olap.progress import ProgressEvent, ProgressReporter, TextProgress

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
    "GraphSchema",
    "Instance",
    "InstanceConnection",
    "InstanceFailedError",
    "InstanceGoneError",
    "InstanceProgress",
    "InvalidStateError",
    "MaintenanceError",
    "Mapping",
    "MappingVersion",
    "NodeDefinition",
    "NotFoundError",
    "PaginatedList",
    "PermissionDeniedError",
    "PrimaryKey",
    "ProgressEvent",
    "ProgressReporter",
    "PropertyDefinition",
    "QueryError",
    "QueryResult",
    "QueryTimeoutError",
    "RateLimitError",
    "ResourceLockedError",
    "ResultShapeError",
    "ServerError",
    "Snapshot",
    "SnapshotFailedError",
    "SnapshotProgress",
    "TextProgress",
    "TimeoutError",
    "ValidationError",
    "WriteNotAllowedError",
    "__version__",
]
