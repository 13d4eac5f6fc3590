"""``client.instances``: running graph databases."""

from __future__ import annotations

from typing import Any

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_id, to_page
from graph_olap.models.common import PaginatedList
from graph_olap.models.instance import Instance

__all__ = ["InstanceResource"]


class InstanceResource(Resource[M]):
    """Inspect graph instances.

    Example:
        >>> [i.name for i in client.instances.list(status="running")]
        ['fraud']
    """

    @api_method
    def list(
        self,
        *,
        snapshot_id: int | None = None,
        owner: str | None = None,
        status: str | None = None,
        search: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> Op[PaginatedList[Instance]]:
        """List instances with optional filters (same paging as ``mappings.list``).

        Example:
            >>> client.instances.list(owner="alice").total
            1
        """
        params = {
            "snapshot_id": snapshot_id,
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
        body = yield Call("GET", "/api/instances", params=params)

        def fetch(next_offset: int) -> Any:
            return self.list(**{**params, "offset": next_offset})  # type: ignore[arg-type]

        return to_page(body, Instance.model_validate, fetch)

    @api_method
    def get(self, instance_id: int) -> Op[Instance]:
        """Get an instance by id.

        Example:
            >>> client.instances.get(1).status
            'running'
        """
        body = yield Call("GET", f"/api/instances/{require_id(instance_id, 'instance_id')}")
        return Instance.model_validate(body["data"])
