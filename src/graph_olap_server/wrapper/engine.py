"""The embedded graph engine behind one wrapper process: Kùzu or Ryugraph, same API.

``kuzu`` and ``ryugraph`` cannot be imported into one process (their native types
collide), so the engine module is imported lazily, in :meth:`EmbeddedEngine.open`, inside
the wrapper process only. Importing this module imports neither; the control plane may
import :data:`DEFAULT_ENGINE` from here.

Concurrency: connections are not thread-safe, so each query borrows a connection from a
small pool for its whole run (reads run side by side on separate connections); writes
and loads also hold one lock, since the engines allow one write transaction at a time.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util  # the engines' frame scans use it without importing it
import os
import queue
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from graph_olap_server.wrapper.manifest import (
    EdgeFile,
    Manifest,
    NodeFile,
    edge_ddl,
    node_ddl,
    quote,
)

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "EmbeddedEngine",
    "EngineError",
    "EngineResult",
    "GraphEngine",
    "QueryError",
    "QueryTimeout",
]

# Kùzu 0.11.3 loads float columns 20-90x faster than Ryugraph 25.9.2 (an O(n^2) ALP size
# estimate in Ryugraph's COPY), with the same results and Python API: docs/engines.md.
DEFAULT_ENGINE = "kuzu"
ENGINES = ("kuzu", "ryugraph")
DEFAULT_BUFFER_POOL_BYTES = 2 << 30


class EngineError(Exception):
    """The engine refused or failed; ``str()`` is the engine's own message."""


class QueryError(EngineError):
    """Syntax, binder or runtime error of one query."""


class QueryTimeout(EngineError):
    """The query ran longer than its timeout and was interrupted."""


@dataclasses.dataclass
class EngineResult:
    """One query's answer: names, engine types and the rows as one Arrow table."""

    columns: list[str]
    column_types: list[str]
    table: pa.Table
    execution_time_ms: float

    @property
    def row_count(self) -> int:
        return int(self.table.num_rows)

    def rows(self) -> list[tuple[Any, ...]]:
        """Rows of Python values (nodes and relationships as dicts)."""
        from graph_olap_server.wrapper.values import table_rows

        return table_rows(self.table)

    def batches(self, max_rows: int = 100_000) -> list[pa.RecordBatch]:
        return list(self.table.to_batches(max_chunksize=max_rows))


class GraphEngine(Protocol):
    """What the wrapper needs from a graph engine."""

    name: str

    def open(self, path: Path | None, threads: int) -> None: ...
    def create_schema(self, manifest: Manifest) -> None: ...
    def load_nodes(self, node: NodeFile) -> int: ...
    def load_edges(self, edge: EdgeFile) -> int: ...
    def query(
        self,
        cypher: str,
        parameters: dict[str, Any] | None = None,
        timeout_ms: int | None = None,
        *,
        write: bool = False,
    ) -> EngineResult: ...
    def counts(self, manifest: Manifest) -> dict[str, int]: ...
    def write_node_property(
        self, label: str, key_name: str, prop: str, ddl_type: str, frame: pa.Table
    ) -> int: ...
    def property_type(self, label: str, prop: str) -> str | None: ...
    @property
    def generation(self) -> int: ...
    def set_threads(self, threads: int) -> None: ...
    def close(self) -> None: ...


def _has_decimal(path: Path) -> bool:
    import pyarrow as pa
    import pyarrow.parquet as pq

    return any(pa.types.is_decimal(field.type) for field in pq.read_schema(path))


class EmbeddedEngine:
    """:class:`GraphEngine` for the ``kuzu`` or ``ryugraph`` Python module."""

    def __init__(
        self,
        module: str = DEFAULT_ENGINE,
        *,
        max_connections: int = 4,
        buffer_pool_bytes: int = DEFAULT_BUFFER_POOL_BYTES,
    ) -> None:
        if module not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {module!r}")
        self.name = module
        self.max_connections = max_connections
        self.buffer_pool_bytes = buffer_pool_bytes
        self.threads = 1
        self._mod: ModuleType | None = None
        self._db: Any = None
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._all: list[Any] = []
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Bumped by every write query: projections of the graph older than it are stale."""
        return self._generation

    def open(self, path: Path | None, threads: int) -> None:
        """Open (create) the database at ``path`` (``None``: in memory)."""
        self._mod = importlib.import_module(self.name)
        self.threads = max(1, threads)
        self._db = self._mod.Database(
            None if path is None else str(path), buffer_pool_size=self.buffer_pool_bytes
        )

    def _borrow(self, threads: int | None = None) -> Any:
        self._slots.acquire()
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            assert self._mod is not None, "open() the engine first"
            conn = self._mod.Connection(self._db)
            with self._pool_lock:
                self._all.append(conn)
        conn.set_max_threads_for_exec(threads or self.threads)
        return conn

    def _give_back(self, conn: Any) -> None:
        self._idle.put(conn)
        self._slots.release()

    def _execute(
        self, cypher: str, parameters: dict[str, Any] | None = None, *, threads: int | None = None
    ) -> Any:
        conn = self._borrow(threads)
        try:
            conn.set_query_timeout(0)
            return conn.execute(cypher, parameters or {})
        except RuntimeError as err:
            raise EngineError(str(err)) from err
        finally:
            self._give_back(conn)

    def create_schema(self, manifest: Manifest) -> None:
        with self._write_lock:
            for node in manifest.nodes:
                self._execute(node_ddl(node))
            for rel_type, group in manifest.edge_groups().items():
                self._execute(edge_ddl(rel_type, group))

    def _copy(self, table: str, path: Path, options: str = "") -> None:
        with self._write_lock:
            # Loading uses every core: no query runs yet, and the instance's CPU
            # allowance (``threads``) applies to queries once it is ready.
            load_threads = max(self.threads, os.cpu_count() or 1)
            if not _has_decimal(path):
                self._execute(f"COPY {quote(table)} FROM '{path}'{options}", threads=load_threads)
                return
            # DuckDB's DECIMAL Parquet columns fail in the engines' Parquet reader
            # ("Unsupported converted type"); an Arrow table of the file loads fine.
            import pyarrow.parquet as pq

            frame = pq.ParquetFile(path).read()
            self._execute(
                f"COPY {quote(table)} FROM $frame{options}", {"frame": frame}, threads=load_threads
            )

    def load_nodes(self, node: NodeFile) -> int:
        """``COPY`` one node file; returns the label's row count afterwards."""
        self._copy(node.label, node.file)
        return self._count(f"MATCH (n:{quote(node.label)}) RETURN count(n)")

    def load_edges(self, edge: EdgeFile) -> int:
        """``COPY`` one edge file into its type (for its label pair); returns that count."""
        pair = f" (from='{edge.from_node}', to='{edge.to_node}')"
        self._copy(edge.type, edge.file, pair)
        return self._count(self._edge_count_query(edge))

    @staticmethod
    def _edge_count_query(edge: EdgeFile) -> str:
        a, b, t = quote(edge.from_node), quote(edge.to_node), quote(edge.type)
        return f"MATCH (:{a})-[r:{t}]->(:{b}) RETURN count(r)"

    def _count(self, cypher: str) -> int:
        return int(self._execute(cypher).get_next()[0])

    def counts(self, manifest: Manifest) -> dict[str, int]:
        """Rows per node label and per relationship type (summed over label pairs)."""
        out = {
            n.label: self._count(f"MATCH (n:{quote(n.label)}) RETURN count(n)")
            for n in manifest.nodes
        }
        for rel_type in manifest.edge_groups():
            out[rel_type] = self._count(f"MATCH ()-[r:{quote(rel_type)}]->() RETURN count(r)")
        return out

    def query(
        self,
        cypher: str,
        parameters: dict[str, Any] | None = None,
        timeout_ms: int | None = None,
        *,
        write: bool = False,
    ) -> EngineResult:
        """Run one statement with ``parameters`` bound by the engine; Arrow in the result."""
        from graph_olap_server.wrapper.values import normalise_table

        lock = self._write_lock if write else None
        if lock is not None:
            lock.acquire()
        conn = self._borrow()
        started = time.perf_counter()
        try:
            conn.set_query_timeout(max(0, int(timeout_ms or 0)))
            try:
                result = conn.execute(cypher, parameters or {})
            except (TypeError, ValueError) as err:  # a parameter the engine cannot bind
                raise QueryError(f"Bad parameter: {err}") from err
            if isinstance(result, list):  # the caller checks for one statement
                result = result[-1]
            table = normalise_table(result.get_as_arrow(100_000))
            columns = list(result.get_column_names())
            types = list(result.get_column_data_types())
            result.close()
            if write:
                self._generation += 1
        except RuntimeError as err:
            message = str(err)
            if message.strip().rstrip(".") == "Interrupted":
                raise QueryTimeout(message) from err
            raise QueryError(message) from err
        finally:
            self._give_back(conn)
            if lock is not None:
                lock.release()
        elapsed = (time.perf_counter() - started) * 1000
        return EngineResult(columns, types, table, elapsed)

    def write_node_property(
        self, label: str, key_name: str, prop: str, ddl_type: str, frame: pa.Table
    ) -> int:
        """Set node property ``prop`` of ``label`` from ``frame`` (columns ``k``: primary
        key, ``v``: value), adding the property if missing. Returns the rows written.

        One ``LOAD FROM`` scan of the Arrow frame (1M nodes in about 3 s); an ``UNWIND``
        of a parameter list is 100x slower. The graph's topology is unchanged, so
        :attr:`generation` stays.
        """
        table, key, column = quote(label), quote(key_name), quote(prop)
        with self._write_lock:
            self._execute(f"ALTER TABLE {table} ADD IF NOT EXISTS {column} {ddl_type}")
            load_threads = max(self.threads, os.cpu_count() or 1)
            self._execute(
                f"LOAD FROM $frame MATCH (n:{table} {{{key}: k}}) SET n.{column} = v",
                {"frame": frame},
                threads=load_threads,
            )
        return int(frame.num_rows)

    def property_type(self, label: str, prop: str) -> str | None:
        """The engine type of node property ``prop`` of ``label``, or None if absent."""
        result = self._execute(f"CALL table_info('{label}') RETURN *")
        table = result.get_as_arrow()
        for row in table.to_pylist():
            if row.get("name") == prop:
                return str(row.get("type"))
        return None

    def set_threads(self, threads: int) -> None:
        """Threads each query may use from now on (``PUT /threads``)."""
        self.threads = max(1, threads)

    def close(self) -> None:
        with self._pool_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        if self._db is not None:
            self._db.close()
            self._db = None
