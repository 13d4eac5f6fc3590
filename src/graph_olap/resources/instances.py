"""``client.instances``: start graph instances, wait for them, connect, terminate.

The records themselves (list, get, update, CPU, TTL) are in
:mod:`graph_olap.resources._instance_records`; this module adds creation, waiting and
connecting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import OnInterrupt
from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, api_method, drop_none, require_id, require_text
from graph_olap._core.waiter import ProgressCallback
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models.instance import Instance
from graph_olap.progress import ProgressReporter
from graph_olap.resources._instance_records import InstanceRecords, wrapper_url
from graph_olap.resources._waits import GONE_STATES, WaitOptions, wait_instance

if TYPE_CHECKING:
    from graph_olap.config import Config
    from graph_olap.http import AsyncHTTPClient, HTTPClient

__all__ = ["InstanceResource"]


class InstanceResource(InstanceRecords[M]):
    """Start, wait for, connect to and terminate graph instances.

    Example:
        >>> inst = client.instances.create_from_mapping_and_wait(1, "fraud", progress=True)
        >>> with client.instances.connect(inst.id) as conn:
        ...     conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
        200
        >>> client.instances.terminate(inst.id)
    """

    def __init__(self, http: HTTPClient | AsyncHTTPClient, config: Config | None = None) -> None:
        """``config`` is accepted for code written from the design (which passes the
        client's); it must be the transport's own."""
        if config is not None and config != http.config:
            raise ValueError(
                "InstanceResource(http, config): config must be http.config (the settings "
                "the transport was built with); pass just the transport."
            )
        super().__init__(http)

    @api_method
    def create(
        self,
        snapshot_id: int,
        name: str,
        description: str | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Instance]:
        """Start an instance from a ready snapshot; returns at once (status ``starting``).

        Raises:
            InvalidStateError: The snapshot is not ``ready``.
            ConcurrencyLimitError: You or the platform run too many instances.

        Example:
            >>> inst = client.instances.create(7, "analysis", ttl="PT8H")
            >>> inst.status
            'starting'
        """
        body = {
            "snapshot_id": require_id(snapshot_id, "snapshot_id"),
            "name": require_text(name, "name"),
            "description": description,
            "ttl": ttl,
            "inactivity_timeout": inactivity_timeout,
        }
        result = yield Call("POST", "/api/instances", json=drop_none(body))
        return Instance.model_validate(result["data"])

    @api_method
    def create_from_mapping(
        self,
        mapping_id: int,
        name: str,
        *,
        description: str | None = None,
        mapping_version: int | None = None,
        snapshot_name: str | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
    ) -> Op[Instance]:
        """Export a mapping and start an instance from it, in one call.

        Returns at once with status ``waiting_for_snapshot``; the platform starts the
        instance when the export is ready.

        Args:
            mapping_id: Source mapping.
            name: Display name of the instance.
            mapping_version: Version to export (default: the current one).
            snapshot_name: Name of the snapshot created for it (default: ``name``).
            ttl: Time-to-live (ISO 8601 duration, e.g. ``"PT24H"``).
            inactivity_timeout: ISO 8601 duration.

        Raises:
            NotFoundError: The mapping does not exist.
            ConcurrencyLimitError: You or the platform run too many instances.

        Example:
            >>> inst = client.instances.create_from_mapping(1, "Quick Analysis")
            >>> inst.status
            'waiting_for_snapshot'
        """
        body = {
            "mapping_id": require_id(mapping_id, "mapping_id"),
            "name": require_text(name, "name"),
            "description": description,
            "mapping_version": (
                None if mapping_version is None else require_id(mapping_version, "mapping_version")
            ),
            "snapshot_name": snapshot_name,
            "ttl": ttl,
            "inactivity_timeout": inactivity_timeout,
        }
        result = yield Call("POST", "/api/instances/from-mapping", json=drop_none(body))
        return Instance.model_validate(result["data"])

    @api_method
    def wait_until_running(
        self,
        instance_id: int,
        timeout: float = 300,
        poll_interval: float = 5,
        *,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "keep",
    ) -> Op[Instance]:
        """Wait until an instance is ``running`` and return it.

        While it waits for its snapshot, the export's progress is reported (phases
        ``queued``, ``exporting``); then the instance's (``pod_scheduled``,
        ``downloading``, ``loading_schema``, ``loading_data``, ``ready``). In in-cluster
        mode it also waits until the wrapper answers at the instance's ``in_cluster_url``.

        Args:
            timeout: Seconds to wait before giving up (the instance keeps starting).
            poll_interval: Longest pause between two polls (polling starts at 0.2 s).
            on_progress: ``callback(phase, completed_steps, total_steps)``, called when
                the progress changes.
            progress: ``None`` (default): a bar in Jupyter once the wait lasts over a
                second, nothing elsewhere; ``True``: always (a bar in Jupyter, a text line
                elsewhere); ``False``: never; or a ``ProgressReporter``.
            on_interrupt: What Ctrl-C (a kernel interrupt) does to the instance:
                ``"keep"`` (default here: it keeps starting) or ``"cancel"`` (it is
                terminated). ``create_and_wait`` and ``create_from_mapping_and_wait``
                default to ``"cancel"``: the instance they started is stopped.

        Raises:
            InstanceFailedError: The instance or its snapshot failed (server's message).
            InstanceGoneError: It was terminated meanwhile.
            TimeoutError: Not running after ``timeout`` seconds.

        Example:
            >>> client.instances.wait_until_running(12, timeout=120).status
            'running'
        """
        iid = require_id(instance_id, "instance_id")
        options = WaitOptions.of(
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            progress=progress,
            on_interrupt=on_interrupt,
        )
        return (yield from wait_instance(iid, options, in_cluster=self._in_cluster))

    @api_method
    def create_and_wait(
        self,
        snapshot_id: int,
        name: str,
        *,
        description: str | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
        timeout: float = 300,
        poll_interval: float = 5,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "cancel",
    ) -> Op[Instance]:
        """:meth:`create` then :meth:`wait_until_running` (same arguments; Ctrl-C
        terminates the instance it started unless ``on_interrupt="keep"``).

        Example:
            >>> inst = client.instances.create_and_wait(7, "analysis")
            >>> conn = client.instances.connect(inst.id)
        """
        options = WaitOptions.of(
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            progress=progress,
            on_interrupt=on_interrupt,
        )
        inst = yield from type(self).create.op(
            self,
            snapshot_id,
            name,
            description=description,
            ttl=ttl,
            inactivity_timeout=inactivity_timeout,
        )
        return (yield from wait_instance(inst.id, options, in_cluster=self._in_cluster))

    @api_method
    def create_from_mapping_and_wait(
        self,
        mapping_id: int,
        name: str,
        *,
        description: str | None = None,
        mapping_version: int | None = None,
        snapshot_name: str | None = None,
        ttl: str | None = None,
        inactivity_timeout: str | None = None,
        timeout: float = 900,
        poll_interval: float = 5,
        on_progress: ProgressCallback | None = None,
        progress: bool | ProgressReporter | None = None,
        on_interrupt: OnInterrupt = "cancel",
    ) -> Op[Instance]:
        """:meth:`create_from_mapping` then :meth:`wait_until_running` (Ctrl-C terminates
        the instance it started unless ``on_interrupt="keep"``).

        The default timeout (900 s) covers the export and the start-up.

        Example:
            >>> def show(phase, completed, total):
            ...     print(f"{phase}: {completed}/{total}")
            >>> inst = client.instances.create_from_mapping_and_wait(
            ...     1, "Quick Analysis", on_progress=show)
            exporting: 0/5
            ...
            loading_data: 4/5
            >>> conn = client.instances.connect(inst.id)
        """
        options = WaitOptions.of(
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            progress=progress,
            on_interrupt=on_interrupt,
        )
        inst = yield from type(self).create_from_mapping.op(
            self,
            mapping_id,
            name,
            description=description,
            mapping_version=mapping_version,
            snapshot_name=snapshot_name,
            ttl=ttl,
            inactivity_timeout=inactivity_timeout,
        )
        return (yield from wait_instance(inst.id, options, in_cluster=self._in_cluster))

    @api_method
    def connect(self, instance_id: int) -> Op[InstanceConnection[M]]:
        """Connect to a running instance for queries.

        The connection goes to the instance's ``instance_url``; in in-cluster mode
        (``GRAPH_OLAP_IN_CLUSTER_MODE=true``) to its ``in_cluster_url``, the address the
        platform publishes for clients inside the cluster.

        Raises:
            InvalidStateError: The instance is not running yet (wait for it with
                ``wait_until_running``); :class:`InstanceGoneError` when it was
                terminated or failed.

        Example:
            >>> conn = client.instances.connect(12)
            >>> conn.query("MATCH (n:Customer) RETURN n LIMIT 10").to_networkx()
        """
        inst = yield from type(self).get.op(self, instance_id)
        url = wrapper_url(inst, in_cluster=self._in_cluster)
        if inst.status != "running" or not url:
            raise _not_running(inst)
        return InstanceConnection(
            self._runner.derive(url),
            instance_id=inst.id,
            control_plane_url=self._runner.config.api_url,
        )

    @api_method
    def _quick_start(self, mapping_id: int, options: dict[str, Any]) -> Op[InstanceConnection[M]]:
        """``client.quick_start``: create from a mapping, wait, connect (written once)."""
        inst = yield from type(self).create_from_mapping_and_wait.op(self, mapping_id, **options)
        return (yield from type(self).connect.op(self, inst.id))


def _not_running(inst: Instance) -> exc.InvalidStateError:
    iid, status = inst.id, inst.status
    details = {"instance_id": iid, "status": status}
    if status in GONE_STATES or status == "failed":
        reason = f" ({inst.error_message})" if inst.error_message else ""
        return exc.InstanceGoneError(
            f"Instance {iid} is {status}{reason}; it cannot be queried. Start a new one "
            f"with client.instances.create_from_mapping_and_wait({inst.mapping_id or '...'}, "
            "...).",
            details=details,
        )
    return exc.InvalidStateError(
        f"Instance {iid} is not running yet (status '{status}'). Wait for it with "
        f"client.instances.wait_until_running({iid}), then connect again.",
        details=details,
    )
