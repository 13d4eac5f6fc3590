"""``client.mappings``: create, version, compare, copy and delete mappings."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import (
    M,
    Resource,
    api_method,
    paged,
    require_id,
    require_text,
    to_page,
)
from graph_olap._core.resource import drop_none as _drop_none
from graph_olap.models.common import coerce_request
from graph_olap.models.dry_run import DryRunReport
from graph_olap.models.mapping import (
    EdgeDefinition,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
)
from graph_olap.models.snapshot import Snapshot
from graph_olap.pagination import PaginatedList, page_limit

__all__ = ["MappingResource"]

NodeDefs = Sequence[NodeDefinition | dict[str, Any]]
EdgeDefs = Sequence[EdgeDefinition | dict[str, Any]]


def _definitions(nodes: NodeDefs | None, edges: EdgeDefs | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if nodes is not None:
        body["node_definitions"] = [
            coerce_request(NodeDefinition, n, f"node_definitions[{i}]").to_dict()
            for i, n in enumerate(nodes)
        ]
    if edges is not None:
        body["edge_definitions"] = [
            coerce_request(EdgeDefinition, e, f"edge_definitions[{i}]").to_dict()
            for i, e in enumerate(edges)
        ]
    return body


class MappingResource(Resource[M]):
    """Manage mapping definitions: a graph described as SQL over the warehouse.

    Every update writes a new immutable version; instances are started from a version.

    Example:
        >>> m = client.mappings.create(
        ...     name="customers",
        ...     description="Customers and their accounts",
        ...     node_definitions=[{
        ...         "label": "Customer",
        ...         "sql": "SELECT customer_id, name FROM sample.bank.customers",
        ...         "primary_key": {"name": "customer_id", "type": "INT64"},
        ...         "properties": [{"name": "name", "type": "STRING"}],
        ...     }],
        ...     edge_definitions=[],
        ... )
        >>> m.current_version
        1
    """

    @api_method
    def list(
        self,
        owner: str | None = None,
        search: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> Op[PaginatedList[Mapping]]:
        """List mappings, newest first, with optional filters.

        Args:
            owner: Only mappings owned by this username.
            search: Case-insensitive text search on name and description.
            created_after: Only mappings created at or after this ISO 8601 timestamp.
            created_before: Only mappings created at or before this ISO 8601 timestamp.
            sort_by: ``name``, ``created_at``, ``updated_at`` or ``current_version``.
            sort_order: ``asc`` or ``desc``.
            offset: Number of records to skip.
            limit: Page size, 1 to 100. Use ``.iter_all()`` on the result to walk every page.

        Returns:
            One page of mappings; ``.total`` counts all matches.

        Example:
            >>> page = client.mappings.list(owner="alice", search="fraud", limit=20)
            >>> for m in page.iter_all():
            ...     print(m.id, m.name, m.current_version)
        """
        params = {
            "owner": owner,
            "search": search,
            "created_after": created_after,
            "created_before": created_before,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "offset": offset,
            "limit": limit,
        }
        return (yield from paged("/api/mappings", params, Mapping.model_validate, self.list))

    @api_method
    def get(self, mapping_id: int) -> Op[Mapping]:
        """Get a mapping with the definitions of its current version.

        Raises:
            NotFoundError: If the mapping does not exist.

        Example:
            >>> m = client.mappings.get(1)
            >>> [n.label for n in m.node_definitions]
            ['Customer', 'Account']
        """
        body = yield Call("GET", f"/api/mappings/{require_id(mapping_id, 'mapping_id')}")
        return Mapping.model_validate(body["data"])

    @api_method
    def get_version(self, mapping_id: int, version: int) -> Op[MappingVersion]:
        """Get one version of a mapping.

        Raises:
            NotFoundError: If the mapping or the version does not exist.

        Example:
            >>> v1 = client.mappings.get_version(1, 1)
            >>> v1.change_description
            'Initial version'
        """
        mid = require_id(mapping_id, "mapping_id")
        body = yield Call("GET", f"/api/mappings/{mid}/versions/{require_id(version, 'version')}")
        return MappingVersion.model_validate(body["data"])

    @api_method
    def list_versions(self, mapping_id: int) -> Op[builtins.list[MappingVersion]]:
        """List every version of a mapping, oldest first.

        Example:
            >>> [v.version for v in client.mappings.list_versions(1)]
            [1, 2]
        """
        body = yield Call("GET", f"/api/mappings/{require_id(mapping_id, 'mapping_id')}/versions")
        return [MappingVersion.model_validate(v) for v in body["data"]]

    @api_method
    def list_snapshots(
        self, mapping_id: int, *, offset: int = 0, limit: int = 50
    ) -> Op[PaginatedList[Snapshot]]:
        """List the snapshots of a mapping, across all its versions.

        Example:
            >>> client.mappings.list_snapshots(1).total
            2
        """
        mid = require_id(mapping_id, "mapping_id")
        params = {"offset": offset, "limit": page_limit(limit)}
        body = yield Call("GET", f"/api/mappings/{mid}/snapshots", params=params)

        def fetch(next_offset: int) -> Any:
            return self.list_snapshots(mid, offset=next_offset, limit=limit)

        return to_page(body, Snapshot.model_validate, fetch)

    @api_method
    def create(
        self,
        name: str,
        description: str,
        node_definitions: NodeDefs,
        edge_definitions: EdgeDefs,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Mapping]:
        """Create a mapping (version 1). Its SQL is checked against the warehouse first.

        Args:
            name: Display name.
            description: What the graph is for.
            node_definitions: :class:`NodeDefinition` objects or dicts of the same shape.
            edge_definitions: :class:`EdgeDefinition` objects or dicts (may be empty).
            ttl: Time-to-live as an ISO 8601 duration, e.g. ``"P7D"``.
            inactivity_timeout: ISO 8601 duration, e.g. ``"PT24H"``.

        Raises:
            ValidationError: A definition is malformed, or its SQL names a table or column
                the warehouse does not have (the message names it). Nothing is created.

        Example:
            >>> m = client.mappings.create(
            ...     "accounts", "Accounts only",
            ...     node_definitions=[NodeDefinition(
            ...         label="Account",
            ...         sql="SELECT account_id, account_type FROM sample.bank.accounts",
            ...         primary_key={"name": "account_id", "type": "INT64"},
            ...         properties=[{"name": "account_type"}],
            ...     )],
            ...     edge_definitions=[],
            ... )
        """
        body: dict[str, Any] = {
            "name": require_text(name, "name"),
            "description": description,
            **_definitions(node_definitions, edge_definitions),
            "ttl": ttl,
            "inactivity_timeout": inactivity_timeout,
        }
        result = yield Call("POST", "/api/mappings", json=_drop_none(body))
        return Mapping.model_validate(result["data"])

    @api_method
    def update(
        self,
        mapping_id: int,
        change_description: str,
        node_definitions: NodeDefs | None = None,
        edge_definitions: EdgeDefs | None = None,
    ) -> Op[Mapping]:
        """Write a new version of a mapping. Definitions left as ``None`` are kept.

        Raises:
            ValidationError: ``change_description`` is empty or a definition is invalid.
            PermissionDeniedError: You are neither the owner nor an admin.

        Example:
            >>> m = client.mappings.update(
            ...     m.id, "Add the city property",
            ...     node_definitions=[...],
            ... )
            >>> m.current_version
            2
        """
        mid = require_id(mapping_id, "mapping_id")
        body = {
            "change_description": require_text(change_description, "change_description"),
            **_definitions(node_definitions, edge_definitions),
        }
        result = yield Call("PUT", f"/api/mappings/{mid}", json=body)
        return Mapping.model_validate(result["data"])

    @api_method
    def delete(self, mapping_id: int) -> Op[None]:
        """Delete a mapping and all its versions.

        Raises:
            DependencyError: Snapshots or instances still use the mapping; the message
                lists them. Terminate or delete them first.
            PermissionDeniedError: You are neither the owner nor an admin.

        Example:
            >>> client.mappings.delete(m.id)
        """
        yield Call("DELETE", f"/api/mappings/{require_id(mapping_id, 'mapping_id')}")

    @api_method
    def copy(self, mapping_id: int, new_name: str) -> Op[Mapping]:
        """Copy the current version of a mapping into a new mapping that you own.

        Example:
            >>> mine = client.mappings.copy(1, "my copy of customers")
            >>> mine.current_version
            1
        """
        mid = require_id(mapping_id, "mapping_id")
        body = {"name": require_text(new_name, "new_name")}
        result = yield Call("POST", f"/api/mappings/{mid}/copy", json=body)
        return Mapping.model_validate(result["data"])

    @api_method
    def set_lifecycle(
        self,
        mapping_id: int,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Mapping]:
        """Set a mapping's TTL and inactivity timeout (ISO 8601 durations).

        An empty string clears a value; ``None`` leaves it unchanged.

        Example:
            >>> client.mappings.set_lifecycle(m.id, ttl="P30D").ttl
            'P30D'
        """
        mid = require_id(mapping_id, "mapping_id")
        body = _drop_none({"ttl": ttl, "inactivity_timeout": inactivity_timeout})
        result = yield Call("PUT", f"/api/mappings/{mid}/lifecycle", json=body)
        return Mapping.model_validate(result["data"])

    @api_method
    def get_tree(
        self,
        mapping_id: int,
        *,
        include_instances: bool = True,
        status: str | None = None,
    ) -> Op[MappingTree]:
        """The mapping's versions, each with its snapshots (and their instances).

        Args:
            include_instances: Include each snapshot's instances.
            status: Only snapshots in this status.

        Example:
            >>> tree = client.mappings.get_tree(1)
            >>> [(v["version"], len(v["snapshots"])) for v in tree.versions]
            [(1, 0), (2, 1)]
        """
        mid = require_id(mapping_id, "mapping_id")
        params = {"include_instances": include_instances, "status": status}
        body = yield Call("GET", f"/api/mappings/{mid}/tree", params=params)
        return MappingTree.model_validate(body["data"])

    @api_method
    def diff_versions(self, mapping_id: int, from_version: int, to_version: int) -> Op[MappingDiff]:
        """Compare two versions of a mapping, definition by definition.

        Example:
            >>> diff = client.mappings.diff_versions(1, from_version=1, to_version=2)
            >>> diff.summary.nodes_modified, [c.fields_changed for c in diff.nodes]
            (1, [['properties']])
        """
        mid = require_id(mapping_id, "mapping_id")
        a = require_id(from_version, "from_version")
        b = require_id(to_version, "to_version")
        body = yield Call("GET", f"/api/mappings/{mid}/versions/{a}/diff/{b}")
        return MappingDiff.model_validate(body["data"])

    @api_method
    def dry_run(
        self,
        mapping_id: int | None = None,
        version: int | None = None,
        *,
        node_definitions: NodeDefs | None = None,
        edge_definitions: EdgeDefs | None = None,
        sample_above: int | None = None,
        sample_rows: int | None = None,
        time_budget: float | None = None,
    ) -> Op[DryRunReport]:
        """Check a mapping (or unsaved definitions) against the warehouse before exporting.

        Per node definition: row count, NULL and duplicate primary keys, values that do
        not convert to their declared types; per edge definition: row count, ends that
        match no node (dangling), type errors; and the instance's estimated memory, disk
        and load time. Nothing is saved or exported.

        Args:
            mapping_id: A saved mapping (its ``version``, the current one by default);
                or leave it out and pass ``node_definitions``/``edge_definitions``.
            sample_above: Definitions with more rows are checked on ``sample_rows`` rows
                (their row counts stay exact; the report says ``exact=False``).
            time_budget: Seconds after which the definitions left are checked on a sample.

        Raises:
            ValidationError: A definition is invalid (its SQL, a column, a type).
            NotFoundError: The mapping or the version does not exist.

        Example:
            >>> report = client.mappings.dry_run(1)
            >>> report.ok, report.estimate.memory_bytes > 0
            (True, True)
            >>> client.mappings.dry_run(node_definitions=[node], edge_definitions=[]).problems
            ["node Person: 2 primary key value(s) repeat, e.g. 1 (3x), 2 (2x)"]
        """
        unsaved = node_definitions is not None or edge_definitions is not None
        if (mapping_id is None) == (not unsaved):
            raise ValueError(
                "pass either mapping_id (and optionally version) or node_definitions "
                "(and edge_definitions), not both and not neither"
            )
        if unsaved and version is not None:
            raise ValueError("version goes with mapping_id; unsaved definitions have none")
        params = _drop_none(
            {"sample_above": sample_above, "sample_rows": sample_rows, "time_budget": time_budget}
        )
        timeout = max(120.0, 4 * (time_budget or 0))  # the budget is per check, not a cap
        if mapping_id is None:
            body = _definitions(node_definitions or [], edge_definitions or [])
            result = yield Call(
                "POST", "/api/mappings/dry-run", json=body, params=params, timeout=timeout
            )
        else:
            mid = require_id(mapping_id, "mapping_id")
            if version is not None:
                params["version"] = require_id(version, "version")
            result = yield Call(
                "POST", f"/api/mappings/{mid}/dry-run", params=params, timeout=timeout
            )
        return DryRunReport.model_validate(result["data"])
