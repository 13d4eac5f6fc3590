"""``client.favorites``: the current user's bookmarks."""

from __future__ import annotations

import builtins

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method, require_id, require_text
from graph_olap.models.common import Favorite

__all__ = ["FavoriteResource"]


class FavoriteResource(Resource[M]):
    """Bookmark mappings, snapshots and instances to find them again quickly.

    Example:
        >>> client.favorites.add("mapping", 1)
        >>> [f.resource_name for f in client.favorites.list()]
        ['customers']
        >>> client.favorites.remove("mapping", 1)
    """

    @api_method
    def list(self, resource_type: str | None = None) -> Op[builtins.list[Favorite]]:
        """The current user's favorites, newest first.

        Args:
            resource_type: Only this type: ``mapping``, ``snapshot`` or ``instance``.

        Example:
            >>> client.favorites.list(resource_type="mapping")
        """
        body = yield Call("GET", "/api/favorites", params={"resource_type": resource_type})
        return [Favorite.model_validate(f) for f in body["data"]]

    @api_method
    def add(self, resource_type: str, resource_id: int) -> Op[Favorite]:
        """Add a resource to your favorites.

        Raises:
            NotFoundError: The resource does not exist.
            AlreadyExistsError: It is already a favorite (a ``ConflictError``).

        Example:
            >>> fav = client.favorites.add("mapping", 1)
            >>> fav.resource_name
            'customers'
        """
        body = {
            "resource_type": require_text(resource_type, "resource_type"),
            "resource_id": require_id(resource_id, "resource_id"),
        }
        result = yield Call("POST", "/api/favorites", json=body)
        return Favorite.model_validate(result["data"])

    @api_method
    def remove(self, resource_type: str, resource_id: int) -> Op[None]:
        """Remove a resource from your favorites.

        Raises:
            NotFoundError: It is not one of your favorites.

        Example:
            >>> client.favorites.remove("mapping", 1)
        """
        rtype = require_text(resource_type, "resource_type")
        rid = require_id(resource_id, "resource_id")
        yield Call("DELETE", f"/api/favorites/{rtype}/{rid}")
