"""The operations an SDK method asks its runner to perform (the sans-I/O layer).

Every public SDK method is written once, as a generator that *yields* operations and
receives their results. The sync runner performs them with blocking I/O, the async
runner with ``await``; neither knows what the method does. This is how the sync and
async clients share every line of request building, parsing, waiting and paging.

Example (what a resource method looks like)::

    def get(self, mapping_id: int) -> Op[Mapping]:
        data = yield Call("GET", f"/api/mappings/{mapping_id}")
        return Mapping.model_validate(data)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import Any, TypeVar

__all__ = ["BinaryAnswer", "Call", "Now", "Op", "Operation", "Sleep"]

T = TypeVar("T")

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclasses.dataclass(frozen=True)
class Call:
    """One HTTP call to the platform. The runner answers with the envelope's JSON.

    Attributes:
        method: HTTP method.
        path: Path relative to the base URL (``/api/mappings``), or an absolute URL (a
            connection asking the control plane about its instance).
        params: Query parameters; ``None`` values are dropped.
        json: JSON body.
        raw: Answer with the body as text instead of parsed JSON (``/metrics``).
        timeout: Per-call timeout in seconds, overriding the client's.
        accept: The ``Accept`` header, when not JSON.
        binary: Answer with a :class:`BinaryAnswer` (bytes and headers) instead of JSON
            (Arrow IPC streams).
        idempotent: ``False`` for calls that must not run twice by accident (a query that
            timed out on the server is not sent again): only failures that prove the
            request was never processed (connection refused, 429, 503) are retried.
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    raw: bool = False
    timeout: float | None = None
    accept: str | None = None
    binary: bool = False
    idempotent: bool = True

    def query_params(self) -> dict[str, Any] | None:
        if self.params is None:
            return None
        return {
            k: (str(v).lower() if isinstance(v, bool) else v)
            for k, v in self.params.items()
            if v is not None
        }


@dataclasses.dataclass(frozen=True)
class BinaryAnswer:
    """The answer to a ``Call(binary=True)``: the body's bytes and the response headers
    (lower-case names)."""

    content: bytes
    headers: dict[str, str]
    content_type: str

    @property
    def is_json(self) -> bool:
        """Whether the server answered JSON after all (it may ignore ``Accept``)."""
        return self.content_type.split(";")[0].strip().endswith("json")


@dataclasses.dataclass(frozen=True)
class Sleep:
    """Pause for ``seconds`` using the runner's (injectable) sleep."""

    seconds: float


@dataclasses.dataclass(frozen=True)
class Now:
    """Ask the runner's (injectable) monotonic clock for the time in seconds."""


Operation = Call | Sleep | Now
Op = Generator[Operation, Any, T]
