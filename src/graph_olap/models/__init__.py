"""Typed models of everything the platform sends and receives.

Importing this package also registers the models' notebook cards
(:mod:`graph_olap.display.layouts` and :mod:`graph_olap.display.resource_layouts` import
the models and register a layout per type; the models' own modules never import them).
"""

from graph_olap.display import layouts as _layouts  # noqa: F401  (registers the cards)
from graph_olap.display import resource_layouts as _resource_layouts  # noqa: F401
from graph_olap.models._dicts import ModelDict
from graph_olap.models.algorithm import (
    AlgorithmExecution,
    AlgorithmInfo,
    AlgorithmParameter,
    AlgorithmProgress,
    AlgorithmSummary,
    ExecutionError,
)
from graph_olap.models.common import APIModel, Favorite, ModelList, PaginatedList
from graph_olap.models.dry_run import DryRunReport
from graph_olap.models.graph import (
    GraphProperty,
    GraphSchema,
    NodeLabelSchema,
    RelationshipTypeSchema,
)
from graph_olap.models.instance import Instance, InstanceProgress, LockStatus
from graph_olap.models.job import JobList, JobRecord  # jobs
from graph_olap.models.mapping import (
    DefinitionChange,
    EdgeDefinition,
    Mapping,
    MappingDiff,
    MappingDiffSummary,
    MappingTree,
    MappingVersion,
    NodeDefinition,
    PrimaryKey,
    PropertyDefinition,
)
from graph_olap.models.ops import (
    BulkDeleteResult,
    ClusterHealth,
    ClusterInstances,
    ComponentHealth,
    ConcurrencyConfig,
    ExportConfig,
    ExportJob,
    HealthStatus,
    InstanceLimits,
    JobsStatus,
    JobStatus,
    JobTriggerResult,
    LifecycleConfig,
    MaintenanceMode,
    ResourceLifecycleConfig,
    SystemState,
)
from graph_olap.models.schema import CacheStats, Catalog, Column, Schema, Table
from graph_olap.models.snapshot import Snapshot, SnapshotProgress

__all__ = [
    "APIModel",
    "AlgorithmExecution",
    "AlgorithmInfo",
    "AlgorithmParameter",
    "AlgorithmProgress",
    "AlgorithmSummary",
    "BulkDeleteResult",
    "CacheStats",
    "Catalog",
    "ClusterHealth",
    "ClusterInstances",
    "Column",
    "ComponentHealth",
    "ConcurrencyConfig",
    "DefinitionChange",
    "DryRunReport",
    "EdgeDefinition",
    "ExecutionError",
    "ExportConfig",
    "ExportJob",
    "Favorite",
    "GraphProperty",
    "GraphSchema",
    "HealthStatus",
    "Instance",
    "InstanceLimits",
    "InstanceProgress",
    "JobList",
    "JobRecord",
    "JobStatus",
    "JobTriggerResult",
    "JobsStatus",
    "LifecycleConfig",
    "LockStatus",
    "MaintenanceMode",
    "Mapping",
    "MappingDiff",
    "MappingDiffSummary",
    "MappingTree",
    "MappingVersion",
    "ModelDict",
    "ModelList",
    "NodeDefinition",
    "NodeLabelSchema",
    "PaginatedList",
    "PrimaryKey",
    "PropertyDefinition",
    "RelationshipTypeSchema",
    "ResourceLifecycleConfig",
    "Schema",
    "Snapshot",
    "SnapshotProgress",
    "SystemState",
    "Table",
]
