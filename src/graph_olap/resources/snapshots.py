"""``client.snapshots``: the exported data behind instances (mostly internal).

Snapshots are created for you by ``client.instances.create_from_mapping``; this resource
lets you inspect them. Creation, waiting and retry arrive with the instance runtime.
"""

from __future__ import annotations

from typing import Any

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_id, to_page
from graph_olap.models.common import PaginatedList
from graph_olap.models.snapshot import Snapshot

__all__ = ["SnapshotResource"]


class SnapshotResource(Resource[M]):
    """Inspect snapshots.

    Example:
        >>> [s.status for s in client.snapshots.list(mapping_id=1)]
        ['ready']
    """

    @api_method
    def list(
        self,
        *,
        mapping_id: int | None = None,
        mapping_version: int | None = None,
        owner: str | None = None,
        status: str | None = None,
        search: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> Op[PaginatedList[Snapshot]]:
        """List snapshots with optional filters (same paging as ``mappings.list``).

        Example:
            >>> client.snapshots.list(status="ready").total
            3
        """
        params = {
            "mapping_id": mapping_id,
            "mapping_version": mapping_version,
            "owner": owner,
            "status": status,
            "search": search,
            "created_after": created_after,
            "created_before": created_before,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "offset": offset,
            "limit": limit,
        }
        body = yield Call("GET", "/api/snapshots", params=params)

        def fetch(next_offset: int) -> Any:
            return self.list(**{**params, "offset": next_offset})  # type: ignore[arg-type]

        return to_page(body, Snapshot.model_validate, fetch)

    @api_method
    def get(self, snapshot_id: int) -> Op[Snapshot]:
        """Get a snapshot by id.

        Example:
            >>> client.snapshots.get(1).status
            'ready'
        """
        body = yield Call("GET", f"/api/snapshots/{require_id(snapshot_id, 'snapshot_id')}")
        return Snapshot.model_validate(body["data"])
