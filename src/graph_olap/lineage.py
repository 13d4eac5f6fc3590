"""Where a result came from: :class:`Lineage`, and the lineage of DataFrames.

Every ``conn.query(...)`` result, ``conn.query_df(...)`` frame, algorithm result and
execution handle records the instance (and the snapshot and mapping version it was
loaded from), the engine, the query and its parameters (or the algorithm and its
parameters), when it ran and how long each step took. ``lineage.rerun(client)`` runs
the same thing again; ``lineage.to_dict()`` is JSON to save next to a result.

DataFrames cannot carry it reliably, so: a pandas frame keeps it in
``df.attrs["graph_olap_lineage"]`` (pandas copies ``attrs`` to frames derived from it);
a polars frame is remembered weakly by identity, so :func:`lineage_of` answers for the
very frame the SDK returned (not for frames derived from it). ``conn.last_lineage`` is
the lineage of the connection's last result of any kind.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graph_olap import exceptions as exc
from graph_olap._core.ops import Call, Op

__all__ = [
    "Kind",
    "Lineage",
    "LineageContext",
    "fetch_context",
    "lineage_of",
    "remember",
    "utc_now",
]

Kind = Literal["query", "query_df", "algorithm", "networkx"]
PANDAS_KEY = "graph_olap_lineage"
"""The key of a pandas frame's ``attrs`` that holds its lineage (as a dict)."""

_FRAMES: dict[int, tuple[weakref.ref[Any], Lineage]] = {}


class LineageContext(BaseModel):
    """What a connection learns once about its instance: the snapshot and mapping
    version it was loaded from and the engine (``None`` when the platform did not say)."""

    model_config = ConfigDict(frozen=True)

    snapshot_id: int | None = None
    mapping_id: int | None = None
    mapping_version: int | None = None
    engine: str | None = None


class Lineage(BaseModel):
    """Where one result came from, and enough to run it again.

    Attributes:
        kind: ``"query"``, ``"query_df"``, ``"algorithm"`` (``conn.algo``) or
            ``"networkx"`` (``conn.networkx``).
        instance_id, snapshot_id, mapping_id, mapping_version: The instance and what it
            was loaded from.
        engine: The instance's graph engine (``kuzu``...).
        query, parameters: The Cypher text and its ``$name`` values; for an algorithm,
            ``parameters`` are its own parameters.
        algorithm, execution_id, options: The algorithm, its execution and the run
            options that shape the result (labels, types, orientation, mode...).
        backend: ``"polars"`` or ``"pandas"`` for a DataFrame result.
        ran_at: When it was sent (UTC).
        server_ms: Time the engine reported (query) or the execution's duration.
        round_trip_ms: From sending the request to having the answer (client side).
        decode_ms: Building the result (Arrow decoding, DataFrame construction).

    Example:
        >>> result = conn.query("MATCH (c:Customer) RETURN count(c) AS n")
        >>> result.lineage.caption()
        'instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.02 s'
        >>> again = result.lineage.rerun(client)
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind
    instance_id: int
    snapshot_id: int | None = None
    mapping_id: int | None = None
    mapping_version: int | None = None
    engine: str | None = None
    query: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    algorithm: str | None = None
    execution_id: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    backend: str | None = None
    ran_at: datetime
    server_ms: float | None = None
    round_trip_ms: float | None = None
    decode_ms: float | None = None

    def total_seconds(self) -> float | None:
        """The client's round trip plus decoding, in seconds (None if not measured).

        Example:
            >>> result.lineage.total_seconds()
            0.021
        """
        if self.round_trip_ms is None:
            return None
        return (self.round_trip_ms + (self.decode_ms or 0.0)) / 1000

    def caption(self) -> str:
        """One short line: ``instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.21 s``.

        Example:
            >>> conn.last_lineage.caption()
            'instance 12 · snapshot 7 · mapping 3 v2 · kuzu · pagerank · 0.21 s'
        """
        parts = [f"instance {self.instance_id}"]
        if self.snapshot_id is not None:
            parts.append(f"snapshot {self.snapshot_id}")
        if self.mapping_id is not None:
            version = f" v{self.mapping_version}" if self.mapping_version is not None else ""
            parts.append(f"mapping {self.mapping_id}{version}")
        if self.engine:
            parts.append(self.engine)
        if self.algorithm:
            parts.append(self.algorithm)
        seconds = self.total_seconds()
        if seconds is not None:
            parts.append(f"{seconds:.2f} s")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``ran_at`` as ISO 8601); ``Lineage.from_dict`` reads it back.

        Example:
            >>> json.dump(result.lineage.to_dict(), open("ranks.lineage.json", "w"))
        """
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lineage:
        """A lineage saved with :meth:`to_dict`.

        Example:
            >>> lineage = Lineage.from_dict(json.load(open("ranks.lineage.json")))
            >>> lineage.rerun(client)
        """
        return cls.model_validate(dict(data))

    def rerun(self, client: Any) -> Any:
        """Run the same query (same parameters, same instance) or the same algorithm
        (same parameters and options) again; return the fresh result, of the same kind.
        On the async client, await it.

        Raises:
            InstanceGoneError: The instance is gone; the message names the snapshot and
                mapping version to start a new one from.

        Example:
            >>> fresh = result.lineage.rerun(client)
            >>> fresh.rows == result.rows
            True
        """
        instances = client.instances
        if getattr(instances, "_is_async", False):
            return self._rerun_async(instances)
        keep = False
        try:
            conn = instances.connect(self.instance_id)
            try:
                result = self._run_on(conn)
                keep = _holds(result, conn)
                return result
            finally:
                if not keep:
                    conn.close()
        except (exc.InstanceGoneError, exc.NotFoundError) as err:
            raise self._gone() from err

    async def _rerun_async(self, instances: Any) -> Any:
        keep = False
        try:
            conn = await instances.connect(self.instance_id)
            try:
                result = await self._run_on(conn)
                keep = _holds(result, conn)
                return result
            finally:
                if not keep:
                    await conn.aclose()
        except (exc.InstanceGoneError, exc.NotFoundError) as err:
            raise self._gone() from err

    def _run_on(self, conn: Any) -> Any:
        """The same call on ``conn`` (a value, or an awaitable on the async client)."""
        query = self.query or ""
        if self.kind == "query":
            return conn.query(query, self.parameters)
        if self.kind == "query_df":
            return conn.query_df(query, self.parameters, backend=self.backend or "polars")
        manager = conn.algo if self.kind == "algorithm" else conn.networkx
        options = {**self.options, "show_progress": False}
        if self.backend:
            options["backend"] = self.backend
        return manager.run(self.algorithm or "", self.parameters, **options)

    def _gone(self) -> exc.InstanceGoneError:
        ways = []
        if self.snapshot_id is not None:
            ways.append(
                f"from the same snapshot {self.snapshot_id} with "
                f"client.instances.create_and_wait({self.snapshot_id}, name)"
            )
        if self.mapping_id is not None:
            version = self.mapping_version if self.mapping_version is not None else "..."
            ways.append(
                f"from mapping {self.mapping_id} version {version} with "
                f"client.instances.create_from_mapping_and_wait({self.mapping_id}, name, "
                f"mapping_version={version})"
            )
        if not ways:
            ways.append("with client.instances.create_from_mapping_and_wait(mapping_id, name)")
        return exc.InstanceGoneError(
            f"Cannot rerun: instance {self.instance_id} no longer runs. Start a new instance "
            f"{', or '.join(ways)}; then connect to it and run the {self._what()} there.",
            details={
                "instance_id": self.instance_id,
                "snapshot_id": self.snapshot_id,
                "mapping_id": self.mapping_id,
                "mapping_version": self.mapping_version,
            },
        )

    def _what(self) -> str:
        if self.kind in ("query", "query_df"):
            return "query (lineage.query, lineage.parameters)"
        return f"algorithm {self.algorithm!r} (lineage.parameters, lineage.options)"


def fetch_context(instance_id: int, control_plane_url: str) -> Op[LineageContext]:
    """Ask the control plane for the instance's record and its wrapper for the engine,
    once per connection; what cannot be learnt stays ``None`` (never an error).

    Example:
        >>> context = yield from fetch_context(12, "http://127.0.0.1:8000")
    """
    record: Any = None
    engine: Any = None
    with contextlib.suppress(exc.GraphOLAPError):
        record = yield Call("GET", f"{control_plane_url}/api/instances/{instance_id}")
    with contextlib.suppress(exc.GraphOLAPError):
        engine = yield Call("GET", "/health", idempotent=False)
    record = _payload(record)
    health = _payload(engine)
    return LineageContext(
        snapshot_id=_int(record.get("snapshot_id")),
        mapping_id=_int(record.get("mapping_id")),
        mapping_version=_int(record.get("mapping_version")),
        engine=health.get("engine") if isinstance(health.get("engine"), str) else None,
    )


def _holds(result: Any, conn: Any) -> bool:
    """Whether ``result`` (an execution handle) still uses ``conn``'s transport, which
    must then stay open."""
    return getattr(result, "_runner", None) is conn._runner


def _payload(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return dict(body["data"])
    return dict(body) if isinstance(body, dict) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def utc_now() -> datetime:
    """The current moment in UTC (when a result's request was sent).

    Example:
        >>> utc_now().tzinfo
        datetime.timezone.utc
    """
    return datetime.now(timezone.utc)


def remember(frame: Any, lineage: Lineage) -> Any:
    """Attach ``lineage`` to a result the SDK returns and return the result: a pandas
    frame in its ``attrs``, a polars frame (or any other object that allows weak
    references) in a weak map :func:`lineage_of` reads. Plain values are left alone.

    Example:
        >>> df = remember(df, lineage)
    """
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict) and type(frame).__module__.startswith("pandas"):
        attrs[PANDAS_KEY] = lineage.to_dict()
        return frame
    key = id(frame)
    try:
        ref = weakref.ref(frame, lambda _: _FRAMES.pop(key, None))
    except TypeError:  # int, float, dict, list...: conn.last_lineage has it
        return frame
    _FRAMES[key] = (ref, lineage)
    return frame


def lineage_of(frame: Any) -> Lineage | None:
    """The lineage of a DataFrame the SDK returned (``conn.query_df``, an algorithm's
    stream result, ``run.result()``), or None when it has none.

    A pandas frame reads it from ``df.attrs`` (so frames pandas derives from it, which
    copy ``attrs``, answer too); a polars frame only when it is the very frame returned
    (``df.sort(...)`` is a new frame: keep the lineage first, or use
    ``conn.last_lineage``).

    Example:
        >>> df = conn.query_df("MATCH (a:Account) RETURN a.account_type AS type")
        >>> graph_olap.lineage_of(df).caption()
        'instance 12 · snapshot 7 · mapping 3 v2 · kuzu · 0.03 s'
    """
    attrs = getattr(frame, "attrs", None)
    if isinstance(attrs, dict) and isinstance(attrs.get(PANDAS_KEY), dict):
        return Lineage.from_dict(attrs[PANDAS_KEY])
    entry = _FRAMES.get(id(frame))
    if entry is None or entry[0]() is not frame:
        return None
    return entry[1]
