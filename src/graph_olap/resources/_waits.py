"""What the snapshot and instance waiters poll, and how they talk about it.

The loop itself is :func:`graph_olap._core.waiter.wait_for`; this module supplies its
``fetch`` operations (progress endpoints, turned into an :class:`Observation`) and the
:class:`Subject` wording for each kind of resource.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import STOP_TIMEOUT, OnInterrupt, check_on_interrupt
from graph_olap._core.ops import Call, Now, Op
from graph_olap._core.waiter import (
    Observation,
    ProgressCallback,
    Stop,
    Subject,
    check_wait_args,
    wait_for,
)
from graph_olap.models.instance import Instance, InstanceProgress
from graph_olap.models.snapshot import Snapshot, SnapshotProgress
from graph_olap.progress import ProgressReporter, make_reporter
from graph_olap.resources._instance_records import wrapper_url

__all__ = [
    "GONE_STATES",
    "WaitOptions",
    "cancel_export_on_interrupt",
    "terminate_on_interrupt",
    "wait_instance",
    "wait_snapshot",
]

GONE_STATES = frozenset({"stopping", "terminated"})
"""Instance states from which it never runs again (besides ``failed``)."""
HOLD_SECONDS = 10.0
"""The longest one progress poll is held on the platform (it allows 30 s)."""
HOLD_MARGIN = 30.0
"""Seconds a held poll's HTTP call may take beyond its hold."""
PROBE_TIMEOUT = 5.0
"""Seconds one probe of a wrapper's ``/ready`` may take (per attempt)."""


@dataclasses.dataclass(frozen=True)
class WaitOptions:
    """A waiting method's options, checked before anything is created.

    ``on_interrupt``: what Ctrl-C does to what is waited for: ``"keep"`` it running
    (waits on existing resources), or ``"cancel"`` it (waits on what the call created:
    an instance is terminated).
    """

    timeout: float
    poll_interval: float
    on_progress: ProgressCallback | None
    reporter: ProgressReporter | None
    on_interrupt: OnInterrupt = "keep"

    @classmethod
    def of(
        cls,
        *,
        timeout: float,
        poll_interval: float,
        on_progress: ProgressCallback | None,
        progress: bool | ProgressReporter | None,
        on_interrupt: OnInterrupt = "keep",
    ) -> WaitOptions:
        check_wait_args(timeout, poll_interval)
        choice = check_on_interrupt(on_interrupt)
        return cls(timeout, poll_interval, on_progress, make_reporter(progress=progress), choice)


def snapshot_subject(snapshot_id: int) -> Subject:
    return Subject(
        kind="Snapshot",
        id=snapshot_id,
        activity="exporting",
        wait_again=f"client.snapshots.wait_until_ready({snapshot_id})",
        give_up=f"delete it with client.snapshots.delete({snapshot_id})",
        failure=exc.SnapshotFailedError,
        failure_hint=(
            "Fix the mapping's SQL and start again, or retry the export with "
            f"client.snapshots.retry({snapshot_id})."
        ),
    )


def instance_subject(instance_id: int) -> Subject:
    return Subject(
        kind="Instance",
        id=instance_id,
        activity="starting",
        wait_again=f"client.instances.wait_until_running({instance_id})",
        give_up=f"terminate it with client.instances.terminate({instance_id})",
        failure=exc.InstanceFailedError,
        failure_hint=f"See client.instances.get_progress({instance_id}) for its steps.",
    )


def _observe(progress: SnapshotProgress | InstanceProgress, status: str) -> Observation:
    return Observation(
        status=status,
        phase=progress.phase or status,
        completed=progress.completed_steps,
        total=progress.total_steps,
        error_message=progress.error_message,
    )


class _Follow:
    """The progress polls of one wait: the first is answered at once; each later one is
    held by the platform until the progress changes (``seen`` = the last answer's
    ``token``, for at most :data:`HOLD_SECONDS` and never past the deadline), so the wait
    sees each step, and the end, as it happens. :attr:`next_held` tells the waiter
    whether the next poll will be held; one that will not (no token, a status that
    cannot change any more while the wait goes on, or a platform that answered unchanged
    well before the hold ended) comes after the waiter's usual pause."""

    def __init__(self, options: WaitOptions) -> None:
        self.timeout = options.timeout
        self.deadline: float | None = None
        self.token: str | None = None
        self.sent: tuple[float, float] | None = None  # (when, hold) of a held poll
        self.next_held = False

    def call(self, path: str) -> Op[Call]:
        """The next poll of ``path``: held when there is a token and time left."""
        now: float = yield Now()
        if self.deadline is None:
            self.deadline = now + self.timeout
        left = self.deadline - now
        if self.token is None or left <= 0:
            self.sent = None
            return Call("GET", path)
        hold = min(HOLD_SECONDS, left)
        self.sent = (now, hold)
        params = {"seen": self.token, "wait_ms": int(hold * 1000)}
        return Call("GET", path, params=params, timeout=hold + HOLD_MARGIN)

    def saw(self, token: str | None, *, settled: bool) -> Op[None]:
        """The answer's token; ``settled``: its status will not change (no holding)."""
        now: float = yield Now()
        early = self.sent is not None and now - self.sent[0] < self.sent[1] / 2
        not_holding = early and token == self.token  # answered unchanged long before
        self.token = None if settled else token
        self.next_held = self.token is not None and not not_holding


def _snapshot_progress(
    snapshot_id: int, follow: _Follow | None = None
) -> Op[tuple[SnapshotProgress, str, str | None]]:
    """A snapshot's progress, its status and error message (from the snapshot itself
    when the progress answer leaves them out)."""
    path = f"/api/snapshots/{snapshot_id}/progress"
    body = yield (yield from follow.call(path)) if follow else Call("GET", path)
    progress = SnapshotProgress.model_validate(body["data"])
    if follow is not None:
        yield from follow.saw(progress.token, settled=progress.status in ("ready", "failed"))
    status, error = progress.status, progress.error_message
    if not status or (status == "failed" and not error):
        snap = Snapshot.model_validate((yield Call("GET", f"/api/snapshots/{snapshot_id}"))["data"])
        status, error = snap.status, snap.error_message
    return progress, status, error


def snapshot_fetch(
    snapshot_id: int, options: WaitOptions
) -> Callable[[], Op[tuple[None, Observation]]]:
    follow = _Follow(options)

    def fetch() -> Op[tuple[None, Observation]]:
        progress, status, error = yield from _snapshot_progress(snapshot_id, follow)
        seen = _observe(progress, status)
        return None, dataclasses.replace(seen, error_message=error, next_held=follow.next_held)

    return fetch


def _wrapper_answers(url: str) -> Op[str | None]:
    """Probe the wrapper's ``GET /ready`` (no credentials needed) at ``url``; answers
    ``None`` when it is ready, else what went wrong."""
    try:
        yield Call("GET", f"{url}/ready", timeout=PROBE_TIMEOUT)
    except exc.GraphOLAPError as err:
        return err.message
    return None


def _unreachable_wrapper(url: str | None, why: str) -> str:
    where = f"at {url}" if url else "(the platform gave no in_cluster_url)"
    return (
        f"is running but its wrapper does not answer {where} from here ({why.rstrip('.')}). "
        "Check that this machine may reach it (a network policy between this pod and the "
        "instance's), that GRAPH_OLAP_IN_CLUSTER_MODE=true is right for where this code "
        "runs (outside the cluster, unset it to use the instance_url), and the platform's "
        "GRAPH_OLAP_IN_CLUSTER_URL_TEMPLATE"
    )


def instance_fetch(
    instance_id: int, options: WaitOptions, *, in_cluster: bool = False
) -> Callable[[], Op[tuple[None, Observation]]]:
    """Poll an instance's progress: one view from the export of its snapshot (phases
    ``queued``, ``exporting``) to the loaded graph, as the platform reports it.

    With ``in_cluster``, a ``running`` instance is ready only once its wrapper answers
    ``/ready`` at its in-cluster address (phase ``waiting for the wrapper at <url>``
    until then). Outside that mode ``running`` suffices: the platform marks an instance
    running when its wrapper answers at ``instance_url``.
    """

    def get_instance() -> Op[Instance]:
        body = yield Call("GET", f"/api/instances/{instance_id}")
        return Instance.model_validate(body["data"])

    follow = _Follow(options)

    def fetch() -> Op[tuple[None, Observation]]:
        body = yield (yield from follow.call(f"/api/instances/{instance_id}/progress"))
        progress = InstanceProgress.model_validate(body["data"])
        status, error = progress.status, progress.error_message
        yield from follow.saw(progress.token, settled=status in ("running", "failed", *GONE_STATES))
        if not status or (status == "failed" and not error):
            instance = yield from get_instance()
            status, error = instance.status, instance.error_message
        if status in GONE_STATES:
            raise exc.InstanceGoneError(
                f"Instance {instance_id} is {status}: it was terminated while waiting for "
                "it to start. Start a new one with client.instances.create_from_mapping_"
                "and_wait(...).",
                details={"instance_id": instance_id, "status": status},
            )
        if status == "waiting_for_snapshot" and progress.phase == "failed":
            # the export failed; fail now rather than wait for the instance to follow
            snapshot_id = (yield from get_instance()).snapshot_id
            if snapshot_id is not None:
                yield from _check_export(instance_id, snapshot_id)
        seen = _observe(progress, status)
        if in_cluster and status == "running":
            url = wrapper_url((yield from get_instance()), in_cluster=True)
            why = (yield from _wrapper_answers(url)) if url else "no address to try"
            if why is not None:
                return None, dataclasses.replace(
                    seen,
                    phase=f"waiting for the wrapper at {url}",
                    error_message=error,
                    pending=_unreachable_wrapper(url, why),
                )
        return None, dataclasses.replace(seen, error_message=error, next_held=follow.next_held)

    return fetch


def _check_export(instance_id: int, snapshot_id: int) -> Op[None]:
    _, status, error = yield from _snapshot_progress(snapshot_id)
    if status == "failed":
        raise exc.InstanceFailedError(
            f"Instance {instance_id} cannot start: its snapshot {snapshot_id} failed: "
            f"{error or 'the platform gave no reason'}. Fix the mapping and start a new "
            "instance.",
            details={"instance_id": instance_id, "snapshot_id": snapshot_id, "phase": "export"},
        )


def terminate_on_interrupt(instance_id: int) -> Op[tuple[str, bool]]:
    """Terminate an instance whose start the user interrupted; the one line that says
    so, and whether it is stopped (a failed terminate says what to do, not raise).

    Example:
        >>> message, stopped = yield from terminate_on_interrupt(12)
        >>> message
        'Stopped instance 12: the platform terminated it while it was starting.'
    """
    path = f"/api/instances/{instance_id}/terminate"
    try:
        yield Call("POST", path, timeout=STOP_TIMEOUT)
    except exc.GraphOLAPError as err:
        return (
            f"Stopped waiting for instance {instance_id}, but could not terminate it "
            f"({err.message}); it may keep starting: client.instances.terminate({instance_id}) "
            "stops it.",
            False,
        )
    return (
        f"Stopped instance {instance_id}: the platform terminated it while it was starting.",
        True,
    )


def cancel_export_on_interrupt(snapshot_id: int) -> Op[tuple[str, bool]]:
    """Cancel a snapshot's export after the user interrupted its wait; the one line
    that says so, and whether it is stopped (a failed cancel says what to do).

    Example:
        >>> message, stopped = yield from cancel_export_on_interrupt(7)
        >>> message
        'Stopped the export of snapshot 7: the platform cancelled it and removed its files.'
    """
    try:
        yield Call("POST", f"/api/snapshots/{snapshot_id}/cancel", timeout=STOP_TIMEOUT)
    except exc.InvalidStateError as err:
        status = err.details.get("status", "no longer exporting")
        return f"Stopped waiting for snapshot {snapshot_id}: its export had ended ({status}).", True
    except exc.GraphOLAPError as err:
        return (
            f"Stopped waiting for snapshot {snapshot_id}, but could not cancel its export "
            f"({err.message}); it may keep exporting: client.snapshots.delete({snapshot_id}) "
            "stops it.",
            False,
        )
    return (
        f"Stopped the export of snapshot {snapshot_id}: the platform cancelled it and "
        "removed its files.",
        True,
    )


def _run(
    fetch: Callable[[], Op[tuple[None, Observation]]],
    subject: Subject,
    ready: str,
    options: WaitOptions,
    stop: Stop | None = None,
) -> Op[None]:
    yield from wait_for(
        fetch,
        subject=subject,
        ready=lambda seen: seen.status == ready and seen.pending is None,
        failed=lambda seen: seen.status == "failed",
        timeout=options.timeout,
        poll_interval=options.poll_interval,
        on_progress=options.on_progress,
        reporter=options.reporter,
        stop=stop if options.on_interrupt == "cancel" else None,
    )


def wait_snapshot(snapshot_id: int, options: WaitOptions) -> Op[Snapshot]:
    """Wait until the snapshot is ``ready``; return it."""
    stop = lambda: cancel_export_on_interrupt(snapshot_id)  # noqa: E731
    subject = snapshot_subject(snapshot_id)
    yield from _run(snapshot_fetch(snapshot_id, options), subject, "ready", options, stop)
    body = yield Call("GET", f"/api/snapshots/{snapshot_id}")
    return Snapshot.model_validate(body["data"])


def wait_instance(
    instance_id: int, options: WaitOptions, *, in_cluster: bool = False
) -> Op[Instance]:
    """Wait until the instance is ``running`` (and, ``in_cluster``, until its wrapper
    answers at its in-cluster address); return it."""
    fetch = instance_fetch(instance_id, options, in_cluster=in_cluster)
    stop = lambda: terminate_on_interrupt(instance_id)  # noqa: E731
    yield from _run(fetch, instance_subject(instance_id), "running", options, stop)
    body = yield Call("GET", f"/api/instances/{instance_id}")
    return Instance.model_validate(body["data"])
