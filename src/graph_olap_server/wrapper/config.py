"""Configuration of one wrapper process: the command line plus the environment.

Command line (docs/design-instances.md)::

    python -m graph_olap_server.wrapper --instance-id N --snapshot DIR --port P
        --data-dir DIR --engine kuzu|ryugraph --threads C --control-plane URL
        [--host 127.0.0.1] [--buffer-pool-mb 2048] [--default-timeout-ms 300000]

Environment (secrets never go on the command line):

==============================  ==========================================================
``GRAPH_OLAP_WRAPPER_TOKEN``    the token shared with the control plane (internal calls)
``GRAPH_OLAP_WRAPPER_TRUST``    dev/test only: comma-separated usernames trusted by their
                                ``X-Username`` alone, without asking the control plane
==============================  ==========================================================
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from graph_olap_server.wrapper.engine import DEFAULT_ENGINE, ENGINES

__all__ = ["TOKEN_ENV", "TRUST_ENV", "WrapperConfig", "parse_args"]

TOKEN_ENV = "GRAPH_OLAP_WRAPPER_TOKEN"
TRUST_ENV = "GRAPH_OLAP_WRAPPER_TRUST"


@dataclasses.dataclass(frozen=True)
class WrapperConfig:
    """Everything one wrapper needs; ``data_dir`` is its own folder (the graph lives there).

    Example:
        >>> WrapperConfig(instance_id=1, snapshot_dir=Path("snap"), data_dir=Path("inst"))
    """

    instance_id: int
    snapshot_dir: Path
    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    engine: str = DEFAULT_ENGINE
    threads: int = 1
    control_plane: str | None = None
    token: str = dataclasses.field(default="", repr=False)
    trusted_users: frozenset[str] | None = None  # dev/test only (GRAPH_OLAP_WRAPPER_TRUST)
    buffer_pool_mb: int = 2048
    max_connections: int = 4
    default_timeout_ms: int = 300_000
    max_timeout_ms: int = 3_600_000
    json_max_rows: int = 1_000_000
    arrow_batch_rows: int = 100_000
    in_memory: bool = False
    max_body_bytes: int = 10_000_000
    """Larger request bodies are refused with 413 (a query is at most 1,000,000
    characters; the rest is room for parameters)."""
    held_ttl_seconds: float = 600.0
    """Guarded fetch: a held result (too large to send) lives this long after its last use."""
    held_max_count: int = 16
    """Guarded fetch: at most this many results are held (least recently used evicted)."""
    held_max_bytes: int = 2 << 30
    """Guarded fetch: at most this much Arrow data is held (a larger result is not held)."""
    warm_projection: bool = True
    """Build the whole graph's projection for the algorithms in advance: during the load,
    from the snapshot's edge files (from the engine after the load when the files cannot
    vouch for it), so the first algorithm run does not pay for it. False: nothing is
    built in advance."""
    await_snapshot: bool = False
    """Started while the snapshot is still exported (``--await-snapshot``): the process
    starts, then waits for the control plane's ``POST /internal/snapshot/ready`` before
    it reads the snapshot, so its start-up overlaps the export."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "snapshot_dir", Path(self.snapshot_dir))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")

    @property
    def db_path(self) -> Path | None:
        """Where the graph database lives (``None``: in memory)."""
        return None if self.in_memory else self.data_dir / "graph.kz"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def parse_args(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> WrapperConfig:
    """The config of ``python -m graph_olap_server.wrapper ARGS`` in ``environ``."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m graph_olap_server.wrapper",
        description="Serve one graph instance: load a snapshot and answer Cypher over HTTP.",
    )
    parser.add_argument("--instance-id", type=int, required=True)
    parser.add_argument("--snapshot", type=Path, required=True, help="snapshot folder")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="this instance's folder")
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE)
    parser.add_argument("--threads", type=_positive, default=1)
    parser.add_argument("--control-plane", default=None, help="control plane base URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--buffer-pool-mb", type=_positive, default=2048)
    parser.add_argument("--default-timeout-ms", type=_positive, default=300_000)
    parser.add_argument(
        "--await-snapshot",
        action="store_true",
        help="wait for POST /internal/snapshot/ready before reading the snapshot",
    )
    args = parser.parse_args(list(argv))
    trust = env.get(TRUST_ENV)
    return WrapperConfig(
        instance_id=args.instance_id,
        snapshot_dir=args.snapshot,
        data_dir=args.data_dir,
        port=args.port,
        host=args.host,
        engine=args.engine,
        threads=args.threads,
        control_plane=args.control_plane,
        token=env.get(TOKEN_ENV, ""),
        trusted_users=(
            frozenset(n.strip() for n in trust.split(",") if n.strip()) if trust else None
        ),
        buffer_pool_mb=args.buffer_pool_mb,
        default_timeout_ms=args.default_timeout_ms,
        await_snapshot=args.await_snapshot,
    )
