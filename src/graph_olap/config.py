"""Client configuration: explicit argument, then environment variable, then local default.

Environment variables (seed "Configuration"):

=============================  ==========================================================
``GRAPH_OLAP_API_URL``         Control Plane base URL (default ``http://localhost:8000``)
``GRAPH_OLAP_API_KEY``         API key, sent as ``Authorization: Bearer <key>``
``GRAPH_OLAP_INTERNAL_API_KEY`` internal service key, sent as ``X-Internal-Api-Key``
``GRAPH_OLAP_USERNAME``        username on a development platform (``X-Username``); when
                               unset (and no key is given): ``JUPYTERHUB_USER``, else the
                               OS login name
``GRAPH_OLAP_PORT``            port of the local platform (8000), used when
                               ``GRAPH_OLAP_API_URL`` is unset and not in-cluster
``GRAPH_OLAP_IN_CLUSTER_MODE`` ``true`` inside the cluster: use service DNS
``GRAPH_OLAP_NAMESPACE``       Kubernetes namespace for service DNS (``graph-olap-local``)
``GRAPH_OLAP_TIMEOUT``         request timeout in seconds (30)
``GRAPH_OLAP_MAX_RETRIES``     retries of transient failures (3)
``GRAPH_OLAP_MAX_RESULT_ROWS`` guarded fetch: most rows a query sends at once (1000000;
                               ``0`` or ``none``: no limit)
``GRAPH_OLAP_MAX_RESULT_BYTES`` guarded fetch: most Arrow bytes a query sends at once
                               (536870912 = 512 MiB; ``0`` or ``none``: no limit)
=============================  ==========================================================

A :class:`Config` built by hand is taken as it is: it reads no environment, so
``Config(api_url=url)`` with no credential is an anonymous client's (pass it as
``GraphOLAPClient(config=...)``). The clients' arguments and :meth:`Config.from_env`
fill in the user's name (see :mod:`graph_olap._identity`).
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

from graph_olap._identity import ARGUMENT, Identity, resolve_identity
from graph_olap.display import config_html

__all__ = ["DEFAULT_API_URL", "Config", "local_api_url"]

DEFAULT_API_URL = "http://localhost:8000"
_TRUE = {"1", "true", "yes", "on"}


def _mask(secret: str | None) -> str | None:
    return None if secret is None else "***"


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of one client. Secrets are masked in ``repr``.

    Example:
        >>> Config(api_url="http://localhost:8000", api_key="sk-secret")
        Config(api_url='http://localhost:8000', api_key='***', internal_api_key=None, ...)
    """

    api_url: str = DEFAULT_API_URL
    api_key: str | None = dataclasses.field(default=None, repr=False)
    internal_api_key: str | None = dataclasses.field(default=None, repr=False)
    username: str | None = None
    timeout: float = 30.0
    max_retries: int = 3
    in_cluster_mode: bool = False
    namespace: str = "graph-olap-local"
    max_result_rows: int | None = 1_000_000
    """Guarded fetch: a query whose result has more rows raises ResultTooLargeError (the
    instance holds it); None (or 0): no limit. Per call: ``max_rows=``."""
    max_result_bytes: int | None = 512 << 20
    """Guarded fetch: the same for the result's Arrow size in bytes. Per call: ``max_bytes=``."""
    username_source: str | None = None
    """Where ``username`` came from: ``argument``, ``GRAPH_OLAP_USERNAME``,
    ``JUPYTERHUB_USER`` or ``OS login`` (see :mod:`graph_olap._identity`)."""

    def __post_init__(self) -> None:
        if self.username and self.username_source is None:
            object.__setattr__(self, "username_source", ARGUMENT)
        if not self.username:
            object.__setattr__(self, "username_source", None)
        if "@" in urllib.parse.urlsplit(self.api_url or "").netloc:
            # never echoed: the URL holds a password, and errors and reprs show the URL
            raise ValueError(
                "api_url must not carry a user name or password (user:password@host). "
                "Pass the credential as api_key=... (or GRAPH_OLAP_API_KEY) and give the "
                "URL without it."
            )
        if not self.api_url or not self.api_url.startswith(("http://", "https://")):
            raise ValueError(
                f"api_url must be an http:// or https:// URL, got {self.api_url!r}. "
                "Set GRAPH_OLAP_API_URL or pass api_url=..."
            )
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))
        if self.timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {self.max_retries}")
        for name in ("max_result_rows", "max_result_bytes"):  # guarded fetch
            limit = getattr(self, name)
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                      or limit < 0):  # fmt: skip
                raise ValueError(
                    f"{name} must be a whole number of 1 or more, or None or 0 for no limit; "
                    f"got {limit!r}"
                )
            if limit == 0:
                object.__setattr__(self, name, None)

    def __repr__(self) -> str:
        return (
            f"Config(api_url={self.api_url!r}, api_key={_mask(self.api_key)!r}, "
            f"internal_api_key={_mask(self.internal_api_key)!r}, username={self.username!r}, "
            f"timeout={self.timeout!r}, max_retries={self.max_retries!r}, "
            f"in_cluster_mode={self.in_cluster_mode!r}, namespace={self.namespace!r}, "
            f"max_result_rows={self.max_result_rows!r}, "
            f"max_result_bytes={self.max_result_bytes!r}, "
            f"username_source={self.username_source!r})"
        )

    @property
    def identity(self) -> Identity:
        """The username and where it came from.

        Example:
            >>> Config(username="alice").identity.describe()
            'alice'
        """
        return Identity(self.username, self.username_source)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """A card of the settings in notebooks; keys show only whether they are set."""
        return config_html(self)

    @classmethod
    def from_env(
        cls,
        *,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Config:
        """Build a config from ``GRAPH_OLAP_*`` variables; explicit overrides win.

        ``None`` overrides are ignored, so ``Config.from_env(api_url=None)`` reads the
        environment. Without a username (argument or ``GRAPH_OLAP_USERNAME``) and without
        a key, the user is ``JUPYTERHUB_USER`` or the OS login name.

        Example:
            >>> Config.from_env(environ={"GRAPH_OLAP_USERNAME": "alice"}).username
            'alice'
        """
        env = os.environ if environ is None else environ
        in_cluster = env.get("GRAPH_OLAP_IN_CLUSTER_MODE", "false").strip().lower() in _TRUE
        namespace = env.get("GRAPH_OLAP_NAMESPACE") or "graph-olap-local"
        values: dict[str, Any] = {
            "api_url": env.get("GRAPH_OLAP_API_URL")
            or (_in_cluster_url(namespace) if in_cluster else local_api_url(env)),
            "api_key": env.get("GRAPH_OLAP_API_KEY") or None,
            "internal_api_key": env.get("GRAPH_OLAP_INTERNAL_API_KEY") or None,
            "in_cluster_mode": in_cluster,
            "namespace": namespace,
        }
        if env.get("GRAPH_OLAP_TIMEOUT", "").strip():
            values["timeout"] = _number(env, "GRAPH_OLAP_TIMEOUT", float)
        if env.get("GRAPH_OLAP_MAX_RETRIES", "").strip():
            values["max_retries"] = _number(env, "GRAPH_OLAP_MAX_RETRIES", int)
        for name in ("GRAPH_OLAP_MAX_RESULT_ROWS", "GRAPH_OLAP_MAX_RESULT_BYTES"):  # guarded fetch
            if env.get(name, "").strip():
                values[name.removeprefix("GRAPH_OLAP_").lower()] = _limit(env, name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "username_source" not in overrides:
            who = resolve_identity(
                values.pop("username", None),
                has_key=bool(values.get("api_key") or values.get("internal_api_key")),
                environ=env,
            )
            values.update(username=who.username, username_source=who.source)
        return cls(**values)


def local_api_url(environ: Mapping[str, str] | None = None) -> str:
    """The URL of the local platform: ``http://localhost:<GRAPH_OLAP_PORT or 8000>``.

    Example:
        >>> local_api_url({"GRAPH_OLAP_PORT": "8123"})
        'http://localhost:8123'
    """
    env = os.environ if environ is None else environ
    raw = (env.get("GRAPH_OLAP_PORT") or "").strip()
    if not raw:
        return DEFAULT_API_URL
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(
            f"GRAPH_OLAP_PORT must be a port number (1-65535), got {raw!r}. "
            "Unset it to use the local platform's default port 8000."
        )
    return f"http://localhost:{int(raw)}"


def _in_cluster_url(namespace: str) -> str:
    return f"http://control-plane.{namespace}.svc:8000"


def _number(env: Mapping[str, str], name: str, kind: type[float] | type[int]) -> Any:
    raw = env[name]
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def _limit(env: Mapping[str, str], name: str) -> int | None:
    """A guarded-fetch limit: a whole number of 1 or more; ``0`` or ``none``: no limit."""
    raw = env[name].strip().replace("_", "")
    if raw.lower() in ("none", "0"):
        return None
    if not raw.isdigit():
        raise ValueError(
            f"{name} must be a whole number (e.g. 1000000), or 0 or 'none' for no limit; "
            f"got {env[name]!r}. Fix or unset it."
        )
    return int(raw)
