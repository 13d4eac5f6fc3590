"""Stopping a query on its instance when the user interrupts it (Ctrl-C).

Every query the SDK sends carries an id it chose (:func:`new_query_id`, in the body's
``query_id``); :func:`cancel_query` asks the wrapper to interrupt the query with that id
(``POST /query/{id}/cancel``), through the engine's own interrupt.
"""

from __future__ import annotations

import uuid

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import STOP_TIMEOUT
from graph_olap._core.ops import Call, Op
from graph_olap._core.waiter import Stop
from graph_olap.instance._guard import unwrap
from graph_olap.instance.polling import Send, cancel_started, is_start

__all__ = ["cancel_query", "new_query_id", "stop_for"]


def stop_for(call: Call, send: Send, instance_id: int, username: str | None) -> Stop | None:
    """What stops the work of ``call`` on the instance when the user interrupts it: the
    query's cancel (a call with a ``query_id``), the cancel of the execution an algorithm
    start began; None for calls that start nothing.

    Example:
        >>> stop_for(Call("GET", "/schema"), conn._send, 12, "alice") is None
        True
    """
    body = call.json if isinstance(call.json, dict) else {}
    query_id = body.get("query_id")
    if isinstance(query_id, str):
        return lambda: cancel_query(query_id, instance_id)
    if is_start(call):
        return lambda: cancel_started(send, call, username)
    return None


def new_query_id() -> str:
    """A fresh id for one query (12 hex digits).

    Example:
        >>> len(new_query_id())
        12
    """
    return uuid.uuid4().hex[:12]


def cancel_query(query_id: str, instance_id: int) -> Op[tuple[str, bool]]:
    """Ask the instance to interrupt query ``query_id``; answer the one line that tells
    the user what happened, and whether the query is stopped.

    Example:
        >>> message, stopped = yield from cancel_query("3f2a9c1b4d7e", 12)
        >>> message
        'Stopped query 3f2a9c1b4d7e on instance 12 (the platform interrupted it).'
    """
    what = f"query {query_id} on instance {instance_id}"
    try:
        body = yield Call("POST", f"/query/{query_id}/cancel", timeout=STOP_TIMEOUT)
    except exc.GraphOLAPError as err:
        return (
            f"Stopped waiting for {what}, but could not cancel it there ({err.message}); "
            "it may run until its timeout. See conn.running_queries().",
            False,
        )
    data = unwrap(body)
    if isinstance(data, dict) and data.get("interrupted"):
        return f"Stopped {what} (the platform interrupted it).", True
    return (
        f"Stopped {what}: it was not running on the platform (it had finished, or had not "
        "arrived yet and is dropped when it does).",
        True,
    )
