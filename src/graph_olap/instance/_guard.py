"""Calls to an instance, with the errors an analyst can act on.

When the wrapper cannot be reached (or answers 404/409), the connection asks the control
plane once for the instance's status, to tell an instance that is gone (terminated,
failed, deleted) from a passing network failure. Query errors get the Cypher text, and an
HTTP wait that ran out becomes a :class:`~graph_olap.QueryTimeoutError` that says how to
allow longer.
"""

from __future__ import annotations

from typing import Any

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op

__all__ = ["guarded", "unwrap"]

_GONE = frozenset({"stopping", "terminated", "failed"})
_START_AGAIN = "Start a new one with client.instances.create_from_mapping_and_wait({mapping})."


def unwrap(body: Any) -> Any:
    """The payload of a wrapper answer, with or without the ``{"data": ...}`` envelope."""
    if isinstance(body, dict) and "data" in body and set(body) <= {"data", "meta"}:
        return body["data"]
    return body


def guarded(
    call: Call,
    *,
    instance_id: int,
    instance_url: str,
    control_plane_url: str,
    http_timeout: float,
    query: str | None = None,
) -> Op[Any]:
    """Send ``call`` to the instance; translate failures (see the module docstring)."""
    try:
        return (yield call)
    except (exc.QueryError, exc.QueryTimeoutError, exc.WriteNotAllowedError) as err:
        if err.query is None:
            err.query = query
        raise
    except exc.TimeoutError as err:
        if query is None:
            raise
        raise exc.QueryTimeoutError(
            f"The query sent to instance {instance_id} did not answer within "
            f"{http_timeout:g} s. Pass a larger timeout=... to conn.query(...) (seconds) "
            "or narrow the query.",
            details={"query": query, "instance_id": instance_id},
        ) from err
    except (exc.ConnectionError, exc.NotFoundError, exc.ConflictError) as err:
        if isinstance(err, exc.ConflictError) and not _may_be_gone(err):
            raise
        gone = yield from _gone(instance_id, control_plane_url)
        if gone is not None:
            raise gone from err
        if isinstance(err, exc.ConnectionError):
            raise exc.ConnectionError(
                f"Could not reach instance {instance_id} at {instance_url}, although the "
                "platform says it is running. Try again in a moment; if it persists, check "
                f"client.instances.get({instance_id}) and the instance's wrapper.log.",
                details={**err.details, "instance_id": instance_id},
            ) from err
        raise


def _may_be_gone(err: exc.ConflictError) -> bool:
    """A bare 409 or INVALID_STATE may mean the instance is stopping; a lock does not."""
    return type(err) in (exc.ConflictError, exc.InvalidStateError)


def _gone(instance_id: int, control_plane_url: str) -> Op[exc.InstanceGoneError | None]:
    """An InstanceGoneError when the control plane says the instance is gone, else None
    (it is running, or the control plane cannot tell)."""
    try:
        body = yield Call("GET", f"{control_plane_url}/api/instances/{instance_id}")
    except exc.NotFoundError:
        return exc.InstanceGoneError(
            f"Instance {instance_id} no longer exists. " + _START_AGAIN.format(mapping="..."),
            details={"instance_id": instance_id, "status": None},
        )
    except exc.GraphOLAPError:
        return None
    data = unwrap(body)
    status = data.get("status") if isinstance(data, dict) else None
    if status not in _GONE:
        return None
    mapping = data.get("mapping_id")
    again = _START_AGAIN.format(mapping=f"{mapping}, ..." if mapping else "...")
    if status == "failed":
        reason = data.get("error_message") or "no reason given"
        what = f"Instance {instance_id} failed ({reason}); its graph is gone."
    else:
        what = f"Instance {instance_id} was terminated (status '{status}'); its graph is gone."
    return exc.InstanceGoneError(
        f"{what} {again}", details={"instance_id": instance_id, "status": status}
    )
