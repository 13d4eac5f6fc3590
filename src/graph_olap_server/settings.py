"""Settings of the local platform: one frozen object, from arguments, environment, defaults.

Environment variables:

==================================  ======================================================
``GRAPH_OLAP_DATA_DIR``             folder holding all the platform's data
``GRAPH_OLAP_DATABASE_URL``         SQLAlchemy URL of the metadata DB (SQLite file default)
``GRAPH_OLAP_WAREHOUSE``            extra warehouse sources: DuckDB files or folders of
                                    Parquet/CSV files, separated by ``os.pathsep``
``GRAPH_OLAP_NO_SAMPLE``            ``true``: do not attach the sample warehouse
``GRAPH_OLAP_INTERNAL_API_KEY``     key accepted in ``X-Internal-Api-Key``
``GRAPH_OLAP_DEV_MODE``             ``false`` refuses ``X-Username`` (API keys only)
``GRAPH_OLAP_ADMINS`` / ``_OPS``    comma-separated usernames with those roles in dev mode
``GRAPH_OLAP_CONTROL_PLANE_URL``    the URL instance wrappers use to reach the control
                                    plane (the CLI fills it in from ``--host``/``--port``)
``GRAPH_OLAP_ENGINE``               graph engine of new instances (``ryugraph``, ``kuzu``);
                                    default: the wrapper's default engine
``GRAPH_OLAP_IN_CLUSTER_URL_``      where clients inside the cluster reach an instance's
``TEMPLATE``                        wrapper, with ``{port}`` and ``{instance_id}``;
                                    default ``http://127.0.0.1:{port}`` (the external URL)
==================================  ======================================================
"""

from __future__ import annotations

import dataclasses
import os
import string
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        _check_url_template(self.in_cluster_url_template)
        if not self.database_url:
            db = (self.data_dir / "metadata.db").as_posix()
            object.__setattr__(self, "database_url", f"sqlite:///{db}")

    @property
    def sample_warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "sample.duckdb"

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

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
            "dev_mode": env.get("GRAPH_OLAP_DEV_MODE", "true").lower() in _TRUE,
            "internal_api_key": env.get("GRAPH_OLAP_INTERNAL_API_KEY") or None,
            "admins": _names(env.get("GRAPH_OLAP_ADMINS"), ("admin",)),
            "ops_users": _names(env.get("GRAPH_OLAP_OPS"), ("ops",)),
            "control_plane_url": env.get("GRAPH_OLAP_CONTROL_PLANE_URL") or None,
            "wrapper_engine": env.get("GRAPH_OLAP_ENGINE") or None,
        }
        if env.get("GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE"):
            values["in_cluster_url_template"] = env["GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


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
