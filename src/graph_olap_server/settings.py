"""Settings of the local platform: one frozen object, from arguments, environment, defaults.

Environment variables:

==================================  ======================================================
``GRAPH_OLAP_DATA_DIR``             folder holding all the platform's data
``GRAPH_OLAP_DATABASE_URL``         SQLAlchemy URL of the metadata DB (SQLite file default)
``GRAPH_OLAP_WAREHOUSE``            extra warehouse sources: DuckDB files or folders of
                                    Parquet/CSV files, separated by ``os.pathsep``
``GRAPH_OLAP_NO_SAMPLE``            ``true``: do not attach the sample warehouse
``GRAPH_OLAP_WAREHOUSE_URL``        the warehouse: ``duckdb:`` (default: the sources
                                    above), ``postgresql://user:pw@host/db`` or
                                    ``trino://user@host:port/catalog``
``GRAPH_OLAP_INTERNAL_API_KEY``     key accepted in ``X-Internal-Api-Key``
``GRAPH_OLAP_DEV_MODE``             ``false`` refuses ``X-Username`` (API keys only)
``GRAPH_OLAP_INSECURE_DEV_MODE``    ``true``: serve dev mode on a non-loopback host too
                                    (``--insecure-dev-mode``; refused by default)
``GRAPH_OLAP_ADMINS`` / ``_OPS``    comma-separated usernames with those roles in dev mode
``GRAPH_OLAP_CONTROL_PLANE_URL``    the URL instance wrappers use to reach the control
                                    plane (the CLI fills it in from ``--host``/``--port``)
``GRAPH_OLAP_ENGINE``               graph engine of new instances (``ryugraph``, ``kuzu``);
                                    default: the wrapper's default engine
``GRAPH_OLAP_IN_CLUSTER_URL_``      where clients inside the cluster reach an instance's
``TEMPLATE``                        wrapper, with ``{port}`` and ``{instance_id}``;
                                    default ``http://127.0.0.1:{port}`` (the external URL)
``GRAPH_OLAP_SNAPSHOT_STORAGE``      where snapshots live: a folder (default
                                    ``<data_dir>/snapshots``) or ``s3://bucket/prefix``,
                                    ``gs://...``, ``az://...`` (credentials: the provider's
                                    usual environment variables)
``GRAPH_OLAP_SNAPSHOT_STORAGE_``    the endpoint of an S3-compatible server (MinIO, Ceph)
``ENDPOINT``
``GRAPH_OLAP_RUNTIME``              ``local`` (default: wrapper processes here) or
                                    ``kubernetes`` (a pod per instance)
``GRAPH_OLAP_K8S_*``                the Kubernetes runtime: ``NAMESPACE``, ``IMAGE``
                                    (required), ``IMAGE_PULL_POLICY``, ``SERVICE_ACCOUNT``,
                                    ``PLATFORM_NAME``, ``MEMORY_REQUEST``/``_LIMIT``,
                                    ``INGRESS_URL_TEMPLATE``, ``WRAPPER_ENV_SECRET``
==================================  ======================================================
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import string
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from graph_olap_server.storage.location import (  # helper K3: snapshot storage
    ObjectLocation,
    check_endpoint,
    parse_storage,
)
from graph_olap_server.wrapper.engine import DEFAULT_ENGINE, ENGINES

__all__ = ["DEFAULT_IN_CLUSTER_URL_TEMPLATE", "Settings", "default_data_dir"]

_TRUE = {"1", "true", "yes", "on"}

DEFAULT_IN_CLUSTER_URL_TEMPLATE = "http://127.0.0.1:{port}"
"""The in-cluster address of a local instance: the same as its external one."""
_URL_FIELDS = frozenset({"port", "instance_id"})


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("graph-olap", appauthor=False))


def _names(raw: str | None, default: tuple[str, ...]) -> frozenset[str]:
    if raw is None:
        return frozenset(default)
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the control plane needs to start.

    Example:
        >>> Settings(data_dir=Path("/tmp/go")).database_url
        'sqlite:////tmp/go/metadata.db'
    """

    data_dir: Path
    database_url: str = dataclasses.field(default="", repr=False)  # may hold a password
    warehouse_sources: tuple[Path, ...] = ()
    sample_warehouse: bool = True
    dev_mode: bool = True
    insecure_dev_mode: bool = False  # helper H (issue 17): dev mode off loopback, on purpose
    internal_api_key: str | None = dataclasses.field(default=None, repr=False)
    admins: frozenset[str] = frozenset({"admin"})
    ops_users: frozenset[str] = frozenset({"ops"})
    # background jobs: seconds between scheduled runs; 0 disables the scheduler
    run_scheduler: bool = True
    job_intervals: tuple[tuple[str, float], ...] = (
        ("reconciliation", 60.0),
        ("lifecycle", 300.0),
        ("export_reconciliation", 120.0),
        ("schema_cache", 24 * 3600.0),
    )
    job_trigger_min_interval: float = 60.0
    allow_explicit_snapshots: bool = True
    max_body_bytes: int = 1_000_000
    version: str = "0.1.0"
    # snapshots and instances
    run_workers: bool = True
    """Start the exporter and instance monitor threads and adopt instances at start-up;
    ``False`` only for tests that write rows straight into the database."""
    export_workers: int = 2
    control_plane_url: str | None = None
    """Where wrappers reach this control plane; ``None``: ``http://127.0.0.1:8000``."""
    wrapper_engine: str | None = None
    """Engine of new instances; ``None``: the wrapper's ``DEFAULT_ENGINE`` (else ryugraph)."""
    wrapper_command: tuple[str, ...] = ()
    """Command that starts a wrapper, before its arguments; empty: ``python -m
    graph_olap_server.wrapper`` (tests point it at a stand-in)."""
    stop_instances_on_exit: bool = False
    """Terminate every live instance when the control plane stops (tests, demos); by
    default instances keep running and the next start adopts them."""
    instance_poll_interval: float = 0.25
    instance_start_timeout: float = 600.0
    instance_stop_timeout: float = 10.0
    in_cluster_url_template: str = DEFAULT_IN_CLUSTER_URL_TEMPLATE
    """Where clients inside the cluster (SDK in-cluster mode) reach an instance's wrapper:
    an ``http(s)`` URL with ``{port}`` and/or ``{instance_id}``, published as each
    running instance's ``in_cluster_url``."""
    # -- instance runtime (helper K1, issue 14): GRAPH_OLAP_RUNTIME, GRAPH_OLAP_K8S_* --
    runtime: str = "local"
    """``local`` (wrapper processes on this machine) or ``kubernetes`` (a pod each)."""
    k8s_namespace: str = ""
    """Namespace of the instance pods; empty: the control plane's own (else ``default``)."""
    k8s_image: str = ""
    """The platform's image (the wrapper is its second entry point); required."""
    k8s_image_pull_policy: str = "IfNotPresent"
    k8s_service_account: str = ""
    """Service account of the instance pods (empty: the namespace's default); its API
    token is never mounted."""
    k8s_platform_name: str = "graph-olap"
    """Label ``graph-olap/platform`` and prefix of the pod/service names."""
    k8s_memory_request: str = "2Gi"
    k8s_memory_limit: str = ""
    """Memory limit of an instance pod; empty: the request."""
    k8s_ingress_url_template: str = ""
    """External URL of an instance, with ``{instance_id}`` (e.g.
    ``https://graph.example.com/instances/{instance_id}``); empty: its service URL."""
    k8s_wrapper_env_secret: str = ""
    """A Secret whose keys become the wrappers' environment (object-storage credentials)."""
    # -- warehouse (helper K4, issue 14): GRAPH_OLAP_WAREHOUSE_URL --
    warehouse_url: str = dataclasses.field(default="duckdb:", repr=False)  # may hold a password
    """``duckdb:`` (the embedded DuckDB over the sample and ``warehouse_sources``),
    ``postgresql://...`` or ``trino://user@host:port/catalog``."""
    # -- snapshot storage (helper K3, issue 14): GRAPH_OLAP_SNAPSHOT_STORAGE[_ENDPOINT] --
    snapshot_storage: str | Path | ObjectLocation | None = None
    """A folder (default ``<data_dir>/snapshots``) or ``s3://``/``gs://``/``az://`` URL;
    parsed to a ``Path`` or an ``ObjectLocation``."""
    snapshot_storage_endpoint: str | None = None
    """The endpoint of an S3-compatible server (MinIO...); ``None``: AWS (or
    ``AWS_ENDPOINT_URL``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        _check_url_template(self.in_cluster_url_template)
        _check_runtime(self)  # helper K1: GRAPH_OLAP_RUNTIME and GRAPH_OLAP_K8S_*
        _check_engine(self)  # issue 17: ryugraph is an extra of its own
        if self.warehouse_url.strip().lower() not in ("", "duckdb:"):  # helper K4: warehouse
            from graph_olap_server.warehouse.url import parse_warehouse_url

            parse_warehouse_url(self.warehouse_url)  # ValueError naming the problem
        storage = self.snapshot_storage  # helper K3: snapshot storage
        if not isinstance(storage, ObjectLocation):
            text = None if storage is None else str(storage)
            storage = parse_storage(text, data_dir=self.data_dir)
        object.__setattr__(self, "snapshot_storage", storage)
        endpoint = check_endpoint(self.snapshot_storage_endpoint, storage)
        object.__setattr__(self, "snapshot_storage_endpoint", endpoint)
        if not self.database_url:
            db = (self.data_dir / "metadata.db").as_posix()
            object.__setattr__(self, "database_url", f"sqlite:///{db}")

    @property
    def sample_warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "sample.duckdb"

    @property
    def snapshot_dir(self) -> Path:
        """Snapshot folders; with object storage, where exports stage their files."""
        storage = self.snapshot_storage
        return storage if isinstance(storage, Path) else self.data_dir / "snapshots"

    @property
    def instance_dir(self) -> Path:
        return self.data_dir / "instances"

    def in_cluster_url(self, instance_id: int, port: int) -> str:
        """The in-cluster address of the instance ``instance_id`` whose wrapper listens on
        ``port``, from ``in_cluster_url_template``.

        Example:
            >>> s = Settings(data_dir=Path("/tmp/go"),
            ...              in_cluster_url_template="http://instance-{instance_id}:{port}/")
            >>> s.in_cluster_url(7, 8080)
            'http://instance-7:8080'
        """
        url = self.in_cluster_url_template.format(port=port, instance_id=instance_id)
        return url.rstrip("/")

    def role_of(self, username: str) -> str:
        """Role of a username in dev mode: admin, ops, else analyst."""
        if username in self.admins:
            return "admin"
        if username in self.ops_users:
            return "ops"
        return "analyst"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``GRAPH_OLAP_*`` variables; non-None overrides win."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("GRAPH_OLAP_DATA_DIR") or default_data_dir()),
            "database_url": env.get("GRAPH_OLAP_DATABASE_URL", ""),
            "warehouse_sources": tuple(
                Path(p) for p in env.get("GRAPH_OLAP_WAREHOUSE", "").split(os.pathsep) if p
            ),
            "sample_warehouse": env.get("GRAPH_OLAP_NO_SAMPLE", "").lower() not in _TRUE,
            "warehouse_url": env.get("GRAPH_OLAP_WAREHOUSE_URL") or "duckdb:",  # helper K4
            "dev_mode": env.get("GRAPH_OLAP_DEV_MODE", "true").lower() in _TRUE,
            "insecure_dev_mode": env.get("GRAPH_OLAP_INSECURE_DEV_MODE", "").lower()
            in _TRUE,  # helper H (issue 17)
            "internal_api_key": env.get("GRAPH_OLAP_INTERNAL_API_KEY") or None,
            "admins": _names(env.get("GRAPH_OLAP_ADMINS"), ("admin",)),
            "ops_users": _names(env.get("GRAPH_OLAP_OPS"), ("ops",)),
            "control_plane_url": env.get("GRAPH_OLAP_CONTROL_PLANE_URL") or None,
            "wrapper_engine": env.get("GRAPH_OLAP_ENGINE") or None,
        }
        if env.get("GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE"):
            values["in_cluster_url_template"] = env["GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE"]
        values.update(_runtime_env(env))  # helper K1: GRAPH_OLAP_RUNTIME and GRAPH_OLAP_K8S_*
        values["snapshot_storage"] = env.get("GRAPH_OLAP_SNAPSHOT_STORAGE") or None  # K3
        values["snapshot_storage_endpoint"] = (
            env.get("GRAPH_OLAP_SNAPSHOT_STORAGE_ENDPOINT") or None
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


# -- instance runtime settings (helper K1, issue 14) ---------------------------------------

_RUNTIME_ENV = {
    "runtime": "GRAPH_OLAP_RUNTIME",
    "k8s_namespace": "GRAPH_OLAP_K8S_NAMESPACE",
    "k8s_image": "GRAPH_OLAP_K8S_IMAGE",
    "k8s_image_pull_policy": "GRAPH_OLAP_K8S_IMAGE_PULL_POLICY",
    "k8s_service_account": "GRAPH_OLAP_K8S_SERVICE_ACCOUNT",
    "k8s_platform_name": "GRAPH_OLAP_K8S_PLATFORM_NAME",
    "k8s_memory_request": "GRAPH_OLAP_K8S_MEMORY_REQUEST",
    "k8s_memory_limit": "GRAPH_OLAP_K8S_MEMORY_LIMIT",
    "k8s_ingress_url_template": "GRAPH_OLAP_K8S_INGRESS_URL_TEMPLATE",
    "k8s_wrapper_env_secret": "GRAPH_OLAP_K8S_WRAPPER_ENV_SECRET",
}
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


def _runtime_env(env: Mapping[str, str]) -> dict[str, str]:
    """The runtime settings set in ``env`` (``GRAPH_OLAP_RUNTIME``, ``GRAPH_OLAP_K8S_*``)."""
    return {field: env[name].strip() for field, name in _RUNTIME_ENV.items() if env.get(name)}


def _check_engine(s: Settings) -> None:
    """Refuse an unknown engine, or (local runtime) one that is not installed: every
    instance would fail to load. Kubernetes pods run the image's engines."""
    engine = s.wrapper_engine
    if not engine:
        return
    if engine not in ENGINES:
        raise ValueError(
            f"GRAPH_OLAP_ENGINE={engine!r} is not an engine: set it to one of "
            f"{', '.join(ENGINES)}, or leave it unset for the default ({DEFAULT_ENGINE})."
        )
    if s.runtime == "local" and importlib.util.find_spec(engine) is None:
        raise ValueError(
            f"GRAPH_OLAP_ENGINE={engine} but {engine} is not installed here: install it with "
            f'pip install "graph-olap[{engine}]", or leave GRAPH_OLAP_ENGINE unset for '
            f"{DEFAULT_ENGINE}."
        )


def _check_runtime(s: Settings) -> None:
    """Refuse an unknown runtime, or Kubernetes settings a cluster would reject."""
    if s.runtime not in ("local", "kubernetes"):
        raise ValueError(
            f"GRAPH_OLAP_RUNTIME={s.runtime!r} is not a runtime: set it to 'local' (wrapper "
            "processes on this machine, the default) or 'kubernetes' (a pod per instance)."
        )
    if s.runtime != "kubernetes":
        return
    problems = []
    if not s.k8s_image:
        problems.append(
            "GRAPH_OLAP_K8S_IMAGE is required (the platform's image, e.g. "
            "'registry.example.com/graph-olap:0.1.0')"
        )
    if not s.control_plane_url:
        problems.append(
            "GRAPH_OLAP_CONTROL_PLANE_URL is required (the control plane's "
            "service URL, e.g. 'http://graph-olap.analytics.svc:8000')"
        )
    if s.k8s_image_pull_policy not in ("Always", "IfNotPresent", "Never"):
        problems.append("GRAPH_OLAP_K8S_IMAGE_PULL_POLICY must be Always, IfNotPresent or Never")
    if s.k8s_namespace and not (
        len(s.k8s_namespace) <= 63
        and _DNS_NAME.match(s.k8s_namespace)
        and "." not in s.k8s_namespace
    ):
        problems.append(
            "GRAPH_OLAP_K8S_NAMESPACE must be a namespace name (lowercase letters, "
            "digits and '-', at most 63)"
        )
    if not (len(s.k8s_platform_name) <= 30 and _DNS_LABEL.match(s.k8s_platform_name)):
        problems.append(
            "GRAPH_OLAP_K8S_PLATFORM_NAME must start with a letter and hold only "
            "lowercase letters, digits and '-' (at most 30)"
        )
    for name, value in (
        ("SERVICE_ACCOUNT", s.k8s_service_account),
        ("WRAPPER_ENV_SECRET", s.k8s_wrapper_env_secret),
    ):
        if value and not (len(value) <= 253 and _DNS_NAME.match(value)):
            problems.append(f"GRAPH_OLAP_K8S_{name} {value!r} is not a Kubernetes object name")
    for name, value in (
        ("MEMORY_REQUEST", s.k8s_memory_request),
        ("MEMORY_LIMIT", s.k8s_memory_limit),
    ):
        if (value or name == "MEMORY_REQUEST") and not _QUANTITY.match(value):
            problems.append(
                f"GRAPH_OLAP_K8S_{name} {value!r} is not a memory quantity such as '4Gi' or '512Mi'"
            )
    template = s.k8s_ingress_url_template
    if template:
        problem = _template_problem(template)  # {port} alone: a laptop's port-forwards
        if problem:
            problems.append(
                f"GRAPH_OLAP_K8S_INGRESS_URL_TEMPLATE {template!r} {problem} (e.g. "
                "'https://graph.example.com/instances/{instance_id}')"
            )
    if problems:
        raise ValueError("The Kubernetes runtime is misconfigured: " + "; ".join(problems) + ".")


def _check_url_template(template: str) -> None:
    """Refuse an in-cluster URL template that could not give each instance its address.

    Example:
        >>> _check_url_template("http://graph-{instance_id}.analytics.svc:8000")
        >>> _check_url_template("http://127.0.0.1")
        Traceback (most recent call last):
        ValueError: GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE ...
    """
    problem = _template_problem(template)
    if problem:
        raise ValueError(
            f"GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE {template!r} {problem}. Give an http(s) URL "
            "with {port} and/or {instance_id}, such as 'http://127.0.0.1:{port}' (the "
            "default) or 'http://graph-instance-{instance_id}.<namespace>.svc:8000'."
        )


def _template_problem(template: str) -> str | None:
    if not template.strip():
        return "is empty"
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template)]
    except ValueError as err:
        return f"is not a valid template ({err}; write a literal brace as {{{{ or }}}})"
    names = {name for name, _, _ in fields if name is not None}
    unknown = sorted(names - _URL_FIELDS)
    if unknown:
        return f"uses unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}"
    if any(name is not None and (spec or conv) for name, spec, conv in fields):
        return "formats a placeholder (write {port} or {instance_id} plain)"
    if not names:
        return "has no {port} or {instance_id}, so every instance would get the same address"
    url = urllib.parse.urlsplit(template.format(port=8080, instance_id=1))
    if url.scheme not in ("http", "https") or not url.hostname:
        return "is not an http:// or https:// URL with a host"
    try:
        url.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        return "has a port that is not a number"
    return None
