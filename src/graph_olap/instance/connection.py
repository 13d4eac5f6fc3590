"""``InstanceConnection``: Cypher queries against one running instance.

A connection has its own transport to the instance's ``instance_url`` (the wrapper),
derived from the client's: the same credentials, retry policy, error mapping, clock and
sleep. Its methods are operation generators like every resource's, so one class serves
the sync client and, awaited, the async one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from typing_extensions import Self

from graph_olap import exceptions as exc
from graph_olap._core.interrupt import stop_on_interrupt
from graph_olap._core.ops import BinaryAnswer, Call, Now, Op
from graph_olap._core.resource import M, Resource, api_method, require_text
from graph_olap.instance._cancel import new_query_id, stop_for
from graph_olap.instance._guard import guarded, unwrap
from graph_olap.instance.algorithms import AlgorithmManager
from graph_olap.instance.arrow import ARROW_STREAM, Backend, check_backend, read_arrow_stream
from graph_olap.instance.large import (
    DEFAULT_BATCH_ROWS,
    UNSET,
    HeldResult,
    HeldResultInfo,
    Unset,
    explain,
    limits,
)
from graph_olap.instance.networkx import NetworkXManager
from graph_olap.instance.result import QueryResult
from graph_olap.lineage import Kind, Lineage, LineageContext, fetch_context, remember, utc_now
from graph_olap.models.graph import GraphSchema
from graph_olap.models.instance import LockStatus

if TYPE_CHECKING:
    from graph_olap.http import AsyncHTTPClient, HTTPClient

__all__ = ["QUERY_TIMEOUT_MARGIN", "InstanceConnection"]

QUERY_TIMEOUT_MARGIN = 5.0
"""Seconds the HTTP wait exceeds a query's ``timeout``, so the server's 408 arrives first."""


class InstanceConnection(Resource[M]):
    """A connection to a running instance. Get one from ``client.instances.connect(id)``.

    Parameters travel as JSON next to the query, never formatted into its text.

    Example:
        >>> with client.instances.connect(12) as conn:
        ...     n = conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
        ...     rows = conn.query(
        ...         "MATCH (c:Customer) WHERE c.city = $city RETURN c.name AS name",
        ...         {"city": "Lisbon"},
        ...     )
        ...     df = conn.query_df("MATCH (a:Account) RETURN a.account_type AS type")
        ...     ranks = conn.algo.pagerank()                 # graph algorithms
        ...     density = conn.networkx.density()            # any NetworkX function
    """

    def __init__(
        self,
        runner: HTTPClient | AsyncHTTPClient,
        *,
        instance_id: int,
        control_plane_url: str,
    ) -> None:
        super().__init__(runner)
        self.instance_id = instance_id
        self.instance_url: str = runner.config.api_url
        self._control_plane_url = control_plane_url
        self._algo: AlgorithmManager[M] | None = None
        self._networkx: NetworkXManager[M] | None = None
        self._lineage_context: LineageContext | None = None
        self.last_lineage: Lineage | None = None
        """The lineage of this connection's last result (a query, a frame, an algorithm)."""

    def __repr__(self) -> str:
        return f"<InstanceConnection instance {self.instance_id} at {self.instance_url}>"

    def _repr_html_(self) -> str:
        """A card in notebooks: the instance, its URL and who connects (no key)."""
        from graph_olap.display import connection_html

        return connection_html(self)

    def _query_call(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None,
        timeout: float | None,
        *,
        write: bool,
        limit: Mapping[str, int] | None = None,
        path: str = "/query",
        **options: Any,
    ) -> Call:
        if parameters is not None and not isinstance(parameters, Mapping):
            raise exc.ValidationError(
                "parameters must be a dict of names to values, e.g. {'city': 'Lisbon'} for "
                f"$city, got {type(parameters).__name__}.",
                details={"field": "parameters"},
            )
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise exc.ValidationError(
                f"timeout must be a positive number of seconds, got {timeout!r}.",
                details={"field": "timeout"},
            )
        body = {
            "query": require_text(cypher, "cypher"),
            "parameters": dict(parameters or {}),
            "timeout_ms": None if timeout is None else int(timeout * 1000),
            "write": write,
            "query_id": new_query_id(),  # lets Ctrl-C cancel it: instance/_cancel.py
            **(limit or {}),  # guarded fetch: max_rows, max_bytes (instance/large.py)
        }
        http_timeout = None
        if timeout is not None:
            http_timeout = max(self._runner.config.timeout, timeout + QUERY_TIMEOUT_MARGIN)
        return Call("POST", path, json=body, timeout=http_timeout, idempotent=False, **options)

    def _send(self, call: Call, cypher: str | None = None) -> Op[Any]:
        sending = guarded(
            call,
            instance_id=self.instance_id,
            instance_url=self.instance_url,
            control_plane_url=self._control_plane_url,
            http_timeout=call.timeout or self._runner.config.timeout,
            query=cypher,
        )
        # Ctrl-C while a query runs (or an algorithm starts) stops it on the instance too
        stop = stop_for(call, self._send, self.instance_id, self._runner.config.username)
        return sending if stop is None else stop_on_interrupt(sending, stop)

    @api_method
    def query(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        write: bool = False,
        max_rows: int | Unset | None = UNSET,
        max_bytes: int | Unset | None = UNSET,
    ) -> Op[QueryResult]:
        """Run a Cypher query and return its rows.

        Args:
            cypher: The query. Refer to values as ``$name``.
            parameters: Values for the ``$name`` placeholders.
            timeout: Seconds the query may run (default: the server's limit).
            write: Allow a query that changes the graph (CREATE, MERGE, SET, DELETE).
            max_rows: Most rows to send (default a tenth of ``Config.max_result_rows``:
                100,000, as JSON is slow for more; None: no limit). A larger result
                raises ResultTooLargeError; ``query_df`` is the way for big results.
            max_bytes: Most Arrow bytes to send (default ``Config.max_result_bytes``,
                512 MiB; None: no limit).

        Raises:
            ResultTooLargeError: The result is over ``max_rows``/``max_bytes``; the
                instance holds it (``err.result``) and the message says the ways out.
            QueryError: Syntax or binder error; the message is the engine's.
            WriteNotAllowedError: The query writes and ``write`` is False.
            QueryTimeoutError: The query ran past ``timeout``.
            InstanceGoneError: The instance was terminated or failed.

        Example:
            >>> result = conn.query(
            ...     "MATCH (c:Customer)-[:OWNS]->(a:Account) WHERE c.city = $city "
            ...     "RETURN c.name AS name, count(a) AS accounts",
            ...     {"city": "Lisbon"},
            ... )
            >>> result.first()
            {'name': 'Ada', 'accounts': 2}
        """
        limit = limits(self._runner.config, max_rows, max_bytes, as_json=True)
        call = self._query_call(cypher, parameters, timeout, write=write, limit=limit)
        ran_at, sent = utc_now(), (yield Now())
        facts = {"query": cypher, "parameters": dict(parameters or {})}
        body = yield from self._guarded(call, cypher, ran_at, facts, "query")
        received = yield Now()
        result = QueryResult.from_api(unwrap(body), query=cypher)
        times = (sent, received, (yield Now()))
        stamp = self._stamp("query", ran_at, times, result.execution_time_ms, facts)
        result.lineage = yield from stamp
        return result

    @api_method
    def query_df(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        backend: Backend = "polars",
        timeout: float | None = None,
        max_rows: int | Unset | None = UNSET,
        max_bytes: int | Unset | None = UNSET,
    ) -> Op[Any]:
        """Run a query and return a DataFrame, transferred as an Arrow stream.

        Args:
            backend: ``"polars"`` (default) or ``"pandas"`` (needs ``pandas`` and
                ``pyarrow``).
            max_rows: Most rows to send (default ``Config.max_result_rows``, 1,000,000;
                None: no limit).
            max_bytes: Most Arrow bytes to send (default ``Config.max_result_bytes``,
                512 MiB; None: no limit).

        Raises:
            ResultTooLargeError: The result is over a limit: not sent but held on the
                instance; ``err.preview`` shows its first rows and ``err.result``
                fetches it (``fetch()``, ``batches(n)``, ``to_parquet(path)``, ``scan()``).

        Example:
            >>> df = conn.query_df(
            ...     "MATCH (a:Account) RETURN a.account_type AS type, count(*) AS n"
            ... )
            >>> df.sort("type")
        """
        check_backend(backend)
        limit = limits(self._runner.config, max_rows, max_bytes)
        call = self._query_call(
            cypher, parameters, timeout, write=False, limit=limit, accept=ARROW_STREAM,
            binary=True,
        )  # fmt: skip
        ran_at, sent = utc_now(), (yield Now())
        facts = {"query": cypher, "parameters": dict(parameters or {}), "backend": backend}
        answer: BinaryAnswer = yield from self._guarded(call, cypher, ran_at, facts, "query_df")
        received = yield Now()
        frame = _frame(answer, backend, cypher)
        times = (sent, received, (yield Now()))
        server_ms = _float(answer.headers.get("x-execution-time-ms"))
        lineage = yield from self._stamp("query_df", ran_at, times, server_ms, facts)
        return remember(frame, lineage)

    def _guarded(
        self,
        call: Call,
        cypher: str,
        ran_at: datetime,
        facts: Mapping[str, Any],
        method: str,
    ) -> Op[Any]:
        """Send a query; a result over the limits becomes a ResultTooLargeError with the
        held result (and its lineage) and the ways out (instance/large.py)."""
        try:
            return (yield from self._send(call, cypher))
        except exc.ResultTooLargeError as err:
            lineage = None
            if err.details.get("result_id"):
                lineage = yield from self._stamp("query_df", ran_at, None, None, facts)
            raise explain(err, self, lineage, method=method) from None

    @api_method
    def hold(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Op[HeldResult[M]]:
        """Run a query and let the instance hold its result, whatever its size, instead
        of sending it: a :class:`~graph_olap.instance.large.HeldResult` to fetch in
        batches, as Parquet, lazily or whole (see docs "Big results").

        Raises:
            ResultTooLargeError: The result is larger than the instance may hold at all.

        Example:
            >>> held = conn.hold("MATCH (a:Account) RETURN a.account_id AS id")
            >>> held.row_count, held.bytes
            (3200000, 25600000)
        """
        call = self._query_call(cypher, parameters, timeout, write=False, path="/results")
        ran_at = utc_now()
        facts = {"query": cypher, "parameters": dict(parameters or {})}
        body = yield from self._guarded(call, cypher, ran_at, facts, "query_df")
        info = HeldResultInfo.model_validate(unwrap(body))
        lineage = yield from self._stamp("query_df", ran_at, None, info.execution_time_ms, facts)
        return HeldResult(self, info, lineage)

    def query_batches(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        backend: Backend = "polars",
        timeout: float | None = None,
    ) -> Any:
        """Run a query and yield its result as DataFrames of at most ``batch_rows`` rows,
        in order; the instance holds the result meanwhile and drops it after the last.

        Sync client: the query runs now, and each batch is fetched when the loop reaches
        it. Async client: ``async for batch in conn.query_batches(q)`` (the query runs
        when the loop starts).

        Example:
            >>> for batch in conn.query_batches("MATCH (a:Account) RETURN a.balance AS b",
            ...                                 batch_rows=100_000):
            ...     total += batch["b"].sum()
        """
        check_backend(backend)
        if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
            raise exc.ValidationError(
                f"batch_rows must be a whole number of 1 or more, got {batch_rows!r}.",
                details={"field": "batch_rows"},
            )
        hold = type(self).hold.op
        if self._is_async:
            return self._abatches(hold(self, cypher, parameters, timeout=timeout), batch_rows,
                                  backend)  # fmt: skip
        held: HeldResult[M] = self._runner.run(hold(self, cypher, parameters, timeout=timeout))  # type: ignore[assignment]
        return held._batches(batch_rows, backend, release=True)

    async def _abatches(self, holding: Op[HeldResult[M]], batch_rows: int, backend: Backend) -> Any:
        held = await self._runner.run(holding)  # type: ignore[misc]
        async for batch in held._abatches(batch_rows, backend, release=True):
            yield batch

    @api_method
    def query_to_parquet(
        self,
        cypher: str,
        path: str | Path,
        parameters: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Op[Path]:
        """Run a query and write its result to ``path`` as Parquet, whatever its size:
        the instance writes the file and the SDK downloads it in 8 MB chunks.

        Example:
            >>> conn.query_to_parquet("MATCH (a:Account) RETURN a.*", "accounts.parquet")
            PosixPath('accounts.parquet')
        """
        held = yield from type(self).hold.op(self, cypher, parameters, timeout=timeout)
        written = yield from type(held).to_parquet.op(held, path)
        yield from type(held).release.op(held)
        return written

    @api_method
    def query_lazy(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        path: str | Path | None = None,
        timeout: float | None = None,
    ) -> Op[Any]:
        """Run a query and return its result as a polars LazyFrame over a local Parquet
        copy (``path``, default a file in the temporary folder).

        Example:
            >>> lazy = conn.query_lazy("MATCH (a:Account) RETURN a.type AS t, a.balance AS b")
            >>> lazy.group_by("t").agg(pl.col("b").sum()).collect()
        """
        held = yield from type(self).hold.op(self, cypher, parameters, timeout=timeout)
        lazy = yield from type(held).scan.op(held, path)
        yield from type(held).release.op(held)
        return lazy

    def _stamp(
        self,
        kind: Kind,
        ran_at: datetime,
        times: tuple[float, float, float | None] | None,
        server_ms: float | None,
        facts: Mapping[str, Any],
    ) -> Op[Lineage]:
        """The lineage of a result (``times``: sent, received, built, on the runner's
        clock; None: not measured), kept as :attr:`last_lineage`; the instance's context
        is fetched once per connection."""
        if self._lineage_context is None:
            self._lineage_context = yield from fetch_context(
                self.instance_id, self._control_plane_url
            )
        round_trip_ms = decode_ms = None
        if times is not None:
            sent, received, built = times
            round_trip_ms = (received - sent) * 1000
            decode_ms = None if built is None else (built - received) * 1000
        lineage = Lineage(
            kind=kind,
            instance_id=self.instance_id,
            **self._lineage_context.model_dump(),
            ran_at=ran_at,
            server_ms=server_ms,
            round_trip_ms=round_trip_ms,
            decode_ms=decode_ms,
            **facts,
        )
        self.last_lineage = lineage
        return lineage

    @api_method
    def query_scalar(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Op[Any]:
        """The single value a query returns (one row, one column).

        Raises:
            ResultShapeError: The query returned another shape.

        Example:
            >>> conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
            200
        """
        result = yield from type(self).query.op(self, cypher, parameters, timeout=timeout)
        return result.scalar()

    @api_method
    def query_one(
        self,
        cypher: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Op[dict[str, Any] | None]:
        """The first row as a dict, or None when the query returns no rows.

        Example:
            >>> conn.query_one("MATCH (c:Customer {customer_id: $id}) RETURN c.name AS name",
            ...                {"id": 1})
            {'name': 'Ada'}
        """
        result = yield from type(self).query.op(self, cypher, parameters, timeout=timeout)
        return result.first()

    @api_method
    def schema(self) -> Op[GraphSchema]:
        """The graph's node labels, relationship types, properties and counts.

        Example:
            >>> print(conn.schema())
            (:Customer) 200 nodes
            (:Customer)-[:OWNS]->(:Account) 350 relationships
        """
        body = yield from self._send(Call("GET", "/schema"))
        return GraphSchema.model_validate(unwrap(body))

    @property
    def algo(self) -> AlgorithmManager[M]:
        """The instance's native graph algorithms (PageRank, Louvain, components...).

        Example:
            >>> conn.algo.pagerank().sort("pagerank", descending=True).head()
            >>> conn.algo.wcc(mode="mutate", property="component")
        """
        if self._algo is None:
            self._algo = AlgorithmManager(self)
        return self._algo

    @property
    def networkx(self) -> NetworkXManager[M]:
        """Any NetworkX function that takes a graph, run on the instance's graph.

        Example:
            >>> conn.networkx.density()
            >>> conn.networkx.run("closeness_centrality", orientation="undirected")
        """
        if self._networkx is None:
            self._networkx = NetworkXManager(self)
        return self._networkx

    @api_method
    def running_queries(self) -> Op[list[dict[str, Any]]]:
        """Your queries running on the instance now: ``query_id``, ``username`` and
        ``running_seconds`` each (ops and admins see everyone's).

        Example:
            >>> conn.running_queries()
            [{'query_id': '3f2a9c1b4d7e', 'username': 'alice', 'running_seconds': 4.2}]
        """
        body = yield from self._send(Call("GET", "/queries"))
        queries: list[dict[str, Any]] = unwrap(body)["queries"]
        return queries

    @api_method
    def lock_status(self) -> Op[LockStatus]:
        """Whether an algorithm holds the instance's lock, and which.

        A ``mutate`` algorithm run holds it from start to end; meanwhile other mutate
        runs and ``write=True`` queries are refused (``ResourceLockedError``), read
        queries keep working.

        Example:
            >>> status = conn.lock_status()
            >>> status.locked, status.holder_username, status.algorithm, status.execution_id
            (True, 'alice', 'louvain', 'ex-4f3a9c1b')
        """
        body = yield from self._send(Call("GET", "/lock"))
        return LockStatus.model_validate(unwrap(body))

    def close(self) -> None:
        """Close the connection's HTTP pool (sync client; use ``aclose`` when async).

        Example:
            >>> conn.close()
        """
        if self._is_async:
            raise exc.GraphOLAPError(
                "This connection belongs to an async client: use `await conn.aclose()` or "
                "`async with` instead of close()."
            )
        self._runner.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        """Close the connection's HTTP pool (async client).

        Example:
            >>> await conn.aclose()
        """
        if self._is_async:
            await self._runner.aclose()  # type: ignore[union-attr]
        else:
            self._runner.close()  # type: ignore[union-attr]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _json(answer: BinaryAnswer) -> Any:
    return json.loads(answer.content)


def _frame(answer: BinaryAnswer, backend: Backend, cypher: str) -> Any:
    """The DataFrame of a ``query_df`` answer (Arrow, or JSON from a server that
    ignores ``Accept``)."""
    if answer.is_json:
        result = QueryResult.from_api(unwrap(_json(answer)), query=cypher)
        return result.to_polars() if backend == "polars" else result.to_pandas()
    return read_arrow_stream(answer.content, backend)


def _float(value: str | None) -> float | None:
    """A header's number, or None when absent or unreadable."""
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
