"""The instance runtime interface: how the control plane starts and stops graph instances.

The local implementation (:class:`~graph_olap_server.runtime.local.LocalProcessRuntime`)
runs one wrapper process per instance; the Kubernetes one
(:class:`~graph_olap_server.runtime.kubernetes.KubernetesRuntime`) a pod, a service and a
secret per instance.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Collection
from pathlib import Path

from graph_olap_server import db

__all__ = ["InstanceAddresses", "InstanceRuntime", "InstanceRuntimeError"]


@dataclasses.dataclass(frozen=True)
class InstanceAddresses:
    """Where an instance's wrapper answers.

    Attributes:
        external: From outside the cluster (published as ``instance_url``).
        in_cluster: From inside the cluster, such as a Kubernetes service DNS name
            (published as ``in_cluster_url``; the SDK uses it in in-cluster mode).
    """

    external: str
    in_cluster: str


class InstanceRuntimeError(Exception):
    """The runtime could not do what was asked; the message says why and what to do."""


class InstanceRuntime(abc.ABC):
    """Starts, watches and stops the process (or pod) serving each instance.

    Implementations are shared by the request threads, the instance monitor and the jobs,
    so every method must be thread-safe.
    """

    description: str = "instance runtime"

    starts_during_export: bool = False
    """Whether :meth:`start` takes ``await_snapshot=True``: the wrapper starts while the
    snapshot is still exported and reads it once told it is ready, so its start-up
    overlaps the export (the instance monitor then launches it early)."""

    @abc.abstractmethod
    def start(
        self,
        instance: db.Instance,
        snapshot_path: Path,
        port: int,
        cpu_cores: int,
        *,
        await_snapshot: bool = False,
    ) -> int:
        """Launch the wrapper of ``instance`` on ``port`` loading ``snapshot_path``;
        answers its process id. ``instance.wrapper_token`` is the shared secret. With
        ``await_snapshot`` the wrapper waits for ``POST /internal/snapshot/ready``
        before it reads the snapshot (only where :attr:`starts_during_export`)."""

    @abc.abstractmethod
    def addresses(self, instance_id: int, port: int) -> InstanceAddresses:
        """The external and in-cluster URLs of the wrapper of ``instance_id`` listening on
        ``port`` (the one place that knows them: computed, never stored twice)."""

    @abc.abstractmethod
    def stop(self, instance: db.Instance) -> None:
        """Stop the instance's process (politely, then forcibly); no-op when none runs."""

    @abc.abstractmethod
    def alive(self, instance: db.Instance) -> bool:
        """Whether the instance's process is still running."""

    @abc.abstractmethod
    def set_cpu(self, instance: db.Instance, cores: int) -> None:
        """Give a running instance ``cores`` CPU cores (its engine threads and, where the
        platform allows, the cores it may run on)."""

    @abc.abstractmethod
    def adopt(self, instance: db.Instance) -> bool:
        """After a control-plane restart: take charge of the instance's process when it is
        alive and is this instance's wrapper; False otherwise."""

    @abc.abstractmethod
    def remove_files(self, instance: db.Instance, *, keep_log: bool = False) -> None:
        """Delete the instance's working files (all but its log with ``keep_log``)."""

    def log_tail(self, instance: db.Instance, lines: int = 15) -> str:
        """The last lines the instance's process wrote, for error messages ("" if none)."""
        del instance, lines
        return ""

    def was_stopped(self, instance: db.Instance) -> bool:
        """Whether :meth:`stop` stopped this instance's process (the monitor and
        reconciliation leave it to whoever is terminating it)."""
        del instance
        return False

    def stop_strays(self, instance: db.Instance) -> int:
        """Kill processes still running for ``instance`` that the platform never recorded
        (a wrapper launched just before the control plane was killed, its pid lost), so
        a new launch does not leave an orphan; answers how many."""
        del instance
        return 0

    def wrapper_url(self, instance_id: int, port: int) -> str:
        """Where the control plane itself reaches the wrapper (``/ready``, ``/progress``,
        ``/threads``): ``http://127.0.0.1:{port}`` for local processes.

        Example:
            >>> runtime.wrapper_url(7, 41234)
            'http://127.0.0.1:41234'
        """
        del instance_id
        return f"http://127.0.0.1:{port}"

    def remove_orphans(self, live: Callable[[Collection[int]], Collection[int]]) -> int | None:
        """Delete what this runtime runs for instances that are ended or unknown;
        ``live(ids)`` answers which of ``ids`` are instances that are not ended (asked after
        listing, so an instance created meanwhile is never swept). Answers how many
        instances' resources were removed; ``None`` when the runtime has nothing that
        could outlive its instance (local processes: stopped with it, adopted or killed
        after a restart).

        Example:
            >>> runtime.remove_orphans(lambda ids: set())  # every instance ended
            2
        """
        del live
        return None

    def close(self) -> None:  # noqa: B027  # optional hook, not abstract
        """Release the runtime's own resources; instances keep running (restart adoption)."""
