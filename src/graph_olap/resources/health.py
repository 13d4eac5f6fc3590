"""``client.health``: liveness and readiness of the control plane."""

from __future__ import annotations

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, Resource, api_method
from graph_olap.models.ops import HealthStatus

__all__ = ["HealthResource"]


class HealthResource(Resource[M]):
    """Health checks; they need no credentials.

    Example:
        >>> client.health.check().status
        'healthy'
        >>> client.health.ready().database
        'ok'
    """

    @api_method
    def check(self) -> Op[HealthStatus]:
        """Liveness: the control plane answers.

        Example:
            >>> client.health.check().version
            '0.1.0'
        """
        body = yield Call("GET", "/health")
        return HealthStatus.model_validate(body)

    @api_method
    def ready(self) -> Op[HealthStatus]:
        """Readiness: the metadata database and the warehouse answer too.

        Raises:
            ServerError: The platform is not ready (HTTP 503); the message says which part.

        Example:
            >>> client.health.ready().status
            'ready'
        """
        body = yield Call("GET", "/ready")
        return HealthStatus.model_validate(body)
