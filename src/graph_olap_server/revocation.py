"""Telling running wrappers that an API key was revoked, as soon as it is.

A wrapper caches each access answer of the control plane for 60 s
(:class:`~graph_olap_server.wrapper.auth.ControlPlaneAuthorizer`), so a revoked key used to
keep working on it that long. Now the commit that revokes a key (``revoked_at`` set on
an :class:`~graph_olap_server.db.ApiKey` in a request's session, :func:`watch_revocations`)
is followed, before the answer leaves, by a push to every running instance's wrapper
(``POST /internal/access/revoked`` with its wrapper token): the wrapper forgets its cached
answers and asks again on the next call. The push is parallel and short (each call
times out after :data:`PUSH_TIMEOUT` seconds); a wrapper it cannot reach is logged (it
is not serving, or its cache still ends within 60 s).
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from graph_olap_server import db
from graph_olap_server.context import Platform
from graph_olap_server.runtime.wrapper_client import WrapperClient

__all__ = ["PUSH_TIMEOUT", "push_revocation", "watch_revocations"]

log = logging.getLogger("graph_olap_server")

PUSH_TIMEOUT = 1.0
"""Timeout of each push call (the revoking request waits for all of them, in parallel)."""


def push_revocation(platform: Platform) -> int:
    """Tell every running wrapper to forget its cached access answers; answers how many
    confirmed.

    Example:
        >>> push_revocation(platform)
        2
    """
    with platform.db.session() as session:
        rows = session.execute(
            select(db.Instance.id, db.Instance.port, db.Instance.wrapper_token).where(
                db.Instance.status == "running", db.Instance.port.is_not(None)
            )
        ).all()
    targets = [
        (platform.runtime.wrapper_url(int(i), int(port)), token or "")
        for i, port, token in rows
        if port
    ]
    if not targets:
        return 0
    client = WrapperClient(timeout=PUSH_TIMEOUT)
    try:
        with ThreadPoolExecutor(min(16, len(targets)), thread_name_prefix="revoke") as pool:
            answers = list(pool.map(lambda t: client.forget_access(*t), targets))
    finally:
        client.close()
    confirmed = sum(answers)
    if confirmed < len(targets):
        log.warning(
            "an API key was revoked; %d of %d running instances did not confirm it "
            "and keep cached access answers for up to 60 s",
            len(targets) - confirmed,
            len(targets),
        )
    return confirmed


def watch_revocations(session: Session, platform: Platform) -> None:
    """After each commit of ``session`` that revoked an API key, push the revocation to
    the running wrappers (:func:`push_revocation`).

    Example:
        >>> with platform.db.session() as session:
        ...     watch_revocations(session, platform)
        ...     key.revoked_at = now; session.commit()  # the wrappers hear of it here
    """
    pending = False

    def after_flush(flushing: Session, _context: Any) -> None:
        nonlocal pending
        for row in flushing.dirty:
            if isinstance(row, db.ApiKey) and row.revoked_at is not None:
                pending = True

    def after_commit(_committed: Session) -> None:
        nonlocal pending
        if pending:
            pending = False
            push_revocation(platform)

    event.listen(session, "after_flush", after_flush)
    event.listen(session, "after_commit", after_commit)
