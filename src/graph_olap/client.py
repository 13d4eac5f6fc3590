"""The clients: :class:`GraphOLAPClient` (blocking) and :class:`AsyncGraphOLAPClient`.

Both expose the same resources with the same methods; the async client's methods are
awaited. They share every resource class (see :mod:`graph_olap._core.resource`).
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any, Generic

import httpx
from typing_extensions import Self

from graph_olap._core.resource import Async, M, Sync
from graph_olap._core.waiter import ProgressCallback
from graph_olap._identity import ARGUMENT, resolve_identity
from graph_olap.config import DEFAULT_API_URL, Config
from graph_olap.display import client_html
from graph_olap.http import AsyncHTTPClient, HTTPClient
from graph_olap.instance.connection import InstanceConnection
from graph_olap.progress import ProgressReporter
from graph_olap.resources import (
    AdminResource,
    FavoriteResource,
    HealthResource,
    InstanceResource,
    JobResource,
    MappingResource,
    OpsResource,
    SchemaResource,
    SnapshotResource,
)

__all__ = ["AsyncGraphOLAPClient", "GraphOLAPClient"]


class _Resources(Generic[M]):
    """The resource attributes, typed by mode, attached once for either client."""

    mappings: MappingResource[M]
    snapshots: SnapshotResource[M]
    instances: InstanceResource[M]
    favorites: FavoriteResource[M]
    schema: SchemaResource[M]
    ops: OpsResource[M]
    admin: AdminResource[M]
    health: HealthResource[M]
    jobs: JobResource[M]  # jobs: exports, starts, executions, bulk deletes
    _config: Config

    def _attach(self, runner: HTTPClient | AsyncHTTPClient) -> None:
        self._config = runner.config
        self.mappings = MappingResource(runner)
        self.snapshots = SnapshotResource(runner)
        self.instances = InstanceResource(runner)
        self.favorites = FavoriteResource(runner)
        self.schema = SchemaResource(runner)
        self.ops = OpsResource(runner)
        self.admin = AdminResource(runner)
        self.health = HealthResource(runner)
        self.jobs = JobResource(runner)

    @classmethod
    def from_env(
        cls,
        api_url: str | None = None,
        api_key: str | None = None,
        internal_api_key: str | None = None,
        username: str | None = None,
        **kwargs: Any,
    ) -> Self:
        """Create a client (sync or async) from ``GRAPH_OLAP_*`` environment variables;
        arguments win.

        With nothing set it talks to the local platform at ``http://localhost:8000``
        (``GRAPH_OLAP_PORT`` changes the port); with ``GRAPH_OLAP_IN_CLUSTER_MODE=true`` to
        the in-cluster service. The user is ``username``, else ``GRAPH_OLAP_USERNAME``,
        else (with no key) ``JUPYTERHUB_USER`` or the OS login name.

        Example:
            >>> import os
            >>> os.environ["GRAPH_OLAP_USERNAME"] = "alice"
            >>> GraphOLAPClient.from_env().config.username
            'alice'
        """
        settings = {k: kwargs.pop(k) for k in ("timeout", "max_retries") if k in kwargs}
        config = Config.from_env(
            api_url=api_url,
            api_key=api_key,
            internal_api_key=internal_api_key,
            username=username,
            **settings,
        )
        return cls(config=config, **kwargs)  # type: ignore[call-arg]  # the concrete clients take config=

    @property
    def config(self) -> Config:
        """The client's settings (secrets masked in its ``repr``)."""
        return self._config

    def __repr__(self) -> str:
        cfg = self._config
        who = cfg.username or (
            "api key" if cfg.api_key else "internal key" if cfg.internal_api_key else "anonymous"
        )
        if cfg.username and cfg.username_source not in (None, ARGUMENT):
            who += f" ({cfg.username_source})"
        return f"<{type(self).__name__} {cfg.api_url} as {who}>"

    def _repr_html_(self) -> str:
        """A card of the client in notebooks: its URL and how it signs in, no secret."""
        return client_html(self)


def _quick_start_options(
    *,
    snapshot_name: str | None,
    instance_name: str | None,
    wait_timeout: float,
    on_progress: ProgressCallback | None,
    progress: bool | ProgressReporter | None,
) -> dict[str, Any]:
    return {
        "name": instance_name or "Quick Instance",
        "snapshot_name": snapshot_name or "Quick Snapshot",
        "timeout": wait_timeout,
        "on_progress": on_progress,
        "progress": progress,
    }


class _Default(float):
    """A default argument that can be told apart from the same value passed explicitly
    (so that ``config=`` with ``timeout=30`` is refused, not silently ignored)."""

    def __repr__(self) -> str:
        return repr(float(self))


class _DefaultInt(int):
    """The ``int`` twin of :class:`_Default`."""

    def __repr__(self) -> str:
        return repr(int(self))


DEFAULT_TIMEOUT: float = _Default(30.0)
DEFAULT_MAX_RETRIES: int = _DefaultInt(3)


def _config(
    config: Config | None,
    api_url: str | None,
    api_key: str | None,
    internal_api_key: str | None,
    username: str | None,
    timeout: float,
    max_retries: int,
) -> Config:
    if config is not None:
        given = [
            name
            for name, value in (
                ("api_url", api_url),
                ("api_key", api_key),
                ("internal_api_key", internal_api_key),
                ("username", username),
            )
            if value is not None
        ]
        given += [
            name
            for name, value, default in (
                ("timeout", timeout, DEFAULT_TIMEOUT),
                ("max_retries", max_retries, DEFAULT_MAX_RETRIES),
            )
            if value is not default
        ]
        if given:
            raise ValueError(
                f"Pass either config=... or {', '.join(given)}, not both: the config already "
                "holds every setting. To change one, pass "
                f"config=dataclasses.replace(config, {given[0]}=...)."
            )
        return config
    # with a key, only the username argument goes along (from_env also sends
    # GRAPH_OLAP_USERNAME); without one, the name comes from the environment or the OS
    keyed = bool(api_key or internal_api_key)
    who = resolve_identity(username, has_key=keyed, environ={} if keyed else os.environ)
    return Config(
        api_url=api_url or DEFAULT_API_URL,
        api_key=api_key,
        internal_api_key=internal_api_key,
        username=who.username,
        username_source=who.source,
        timeout=float(timeout),
        max_retries=int(max_retries),
    )


class GraphOLAPClient(_Resources[Sync]):
    """Main client for the Graph OLAP Platform.

    Authentication, in priority order: ``internal_api_key`` (``X-Internal-Api-Key``),
    ``api_key`` (``Authorization: Bearer``), ``username`` (``X-Username``, development and
    the local platform). With none of them the username is ``GRAPH_OLAP_USERNAME``, else
    ``JUPYTERHUB_USER``, else the OS login name (``client.config.username_source`` says
    which); a platform that requires keys refuses it. For an anonymous client pass a
    hand-built config: ``GraphOLAPClient(config=Config(api_url=url))``.

    Args:
        api_url: Base URL of the Control Plane API (default ``http://localhost:8000``).
        api_key: API key for production.
        internal_api_key: Internal service key.
        username: Username on a development platform (default: see above).
        timeout: Request timeout in seconds.
        max_retries: Retries of transient failures (connection errors, 429, 502-504).
        config: A ready :class:`~graph_olap.config.Config` instead of the arguments above.
        http_client: An ``httpx.Client`` to use (its base URL and headers are set).
        transport: An httpx transport for the client the SDK creates.

    Example:
        >>> from graph_olap import GraphOLAPClient
        >>> with GraphOLAPClient("http://localhost:8000", username="alice") as client:
        ...     print(client.health.check().status)
        ...     mappings = client.mappings.list()
        healthy
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        internal_api_key: str | None = None,
        username: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        config: Config | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        **http_options: Any,
    ) -> None:
        cfg = _config(config, api_url, api_key, internal_api_key, username, timeout, max_retries)
        self._http = HTTPClient(cfg, http_client=http_client, transport=transport, **http_options)
        self._attach(self._http)

    def quick_start(
        self,
        mapping_id: int,
        *,
        snapshot_name: str | None = None,
        instance_name: str | None = None,
        wait_timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
    ) -> InstanceConnection[Sync]:
        """From a mapping to a connection ready for queries, in one call.

        Exports the mapping, starts an instance, waits until it runs and connects. The
        instance keeps running afterwards: terminate it when done.

        Args:
            mapping_id: The mapping to load.
            snapshot_name: Name of the snapshot (default ``"Quick Snapshot"``).
            instance_name: Name of the instance (default ``"Quick Instance"``).
            wait_timeout: Seconds to wait for the export and the start-up.
            on_progress: ``callback(phase, completed_steps, total_steps)``.
            progress: ``None`` (default): a bar in Jupyter once the wait lasts over a
                second, nothing elsewhere; ``True``: always (a bar in Jupyter, a text line
                elsewhere); ``False``: never; or a ``ProgressReporter``.

        Example:
            >>> conn = client.quick_start(mapping_id=1)
            >>> conn.query_scalar("MATCH (n) RETURN count(n)")
            550
            >>> client.instances.terminate(conn.instance_id)   # when done
        """
        options = _quick_start_options(
            snapshot_name=snapshot_name,
            instance_name=instance_name,
            wait_timeout=wait_timeout,
            on_progress=on_progress,
            progress=progress,
        )
        return self.instances._quick_start(mapping_id, options)

    @property
    def http(self) -> HTTPClient:
        """The client's transport, for endpoints the SDK has no method for yet: same
        credentials, retries and errors as every method.

        Example:
            >>> client.http.get("/api/config/lifecycle")["data"]["instance"]["default_ttl"]
            'PT24H'
        """
        return self._http

    def close(self) -> None:
        """Close the HTTP connections. The client cannot be used afterwards."""
        self._http.close()

    def __enter__(self) -> GraphOLAPClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncGraphOLAPClient(_Resources[Async]):
    """Async twin of :class:`GraphOLAPClient`: the same resources, awaited.

    Example:
        >>> async with AsyncGraphOLAPClient(username="alice") as client:
        ...     page = await client.mappings.list()
        ...     async for m in page.aiter_all():
        ...         print(m.name)
    """

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        internal_api_key: str | None = None,
        username: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        config: Config | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **http_options: Any,
    ) -> None:
        cfg = _config(config, api_url, api_key, internal_api_key, username, timeout, max_retries)
        self._http = AsyncHTTPClient(
            cfg, http_client=http_client, transport=transport, **http_options
        )
        self._attach(self._http)

    async def quick_start(
        self,
        mapping_id: int,
        *,
        snapshot_name: str | None = None,
        instance_name: str | None = None,
        wait_timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
    ) -> InstanceConnection[Async]:
        """Async twin of :meth:`GraphOLAPClient.quick_start`.

        Example:
            >>> async with await client.quick_start(1) as conn:
            ...     n = await conn.query_scalar("MATCH (n) RETURN count(n)")
        """
        options = _quick_start_options(
            snapshot_name=snapshot_name,
            instance_name=instance_name,
            wait_timeout=wait_timeout,
            on_progress=on_progress,
            progress=progress,
        )
        return await self.instances._quick_start(mapping_id, options)

    @property
    def http(self) -> AsyncHTTPClient:
        """The client's async transport (see :attr:`GraphOLAPClient.http`).

        Example:
            >>> (await aclient.http.get("/api/mappings"))["meta"]["total"]
            42
        """
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncGraphOLAPClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
