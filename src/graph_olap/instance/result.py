"""Query results: :class:`QueryResult` and its conversions (dicts, DataFrames, NetworkX)."""

from __future__ import annotations

import contextlib
import datetime
import decimal
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from graph_olap import exceptions as exc
from graph_olap.display import query_html
from graph_olap.lineage import Lineage
from graph_olap.utils.optional import import_optional

__all__ = ["QueryResult"]

_NODE_KEYS = frozenset({"_id", "_label"})
_REL_KEYS = frozenset({"_id", "_src", "_dst"})


class QueryResult:
    """The answer to ``conn.query(...)``: columns and rows, with helpers.

    Iterating yields each row as a dict keyed by column name; ``len()`` is the number of
    rows. Graph values follow the wrapper's shape: a node is ``{"_id", "_label",
    ...properties}``, a relationship ``{"_id", "_src", "_dst", "_label", ...}``. Columns
    typed ``DECIMAL``, ``INT128``, ``DATE`` and ``TIMESTAMP`` (sent as strings in JSON) are
    read back as ``Decimal``, ``int``, ``date`` and ``datetime``, as ``query_df`` has them.

    Attributes:
        columns: Column names, in ``RETURN`` order.
        column_types: The engine's type of each column (``INT64``, ``STRING``, ``NODE``...).
        rows: The rows, each a list of values aligned with ``columns``.
        row_count: Number of rows returned.
        execution_time_ms: Time the engine spent, in milliseconds.
        truncated: True when the server cut the result at its row limit.
        query: The Cypher text that produced the result.
        lineage: Where it came from (instance, snapshot, mapping version, engine,
            parameters, timings) and ``lineage.rerun(client)``; None for a result built
            by hand.

    Example:
        >>> result = conn.query("MATCH (c:Customer) RETURN c.name AS name, c.city AS city")
        >>> result.columns
        ['name', 'city']
        >>> for row in result:
        ...     print(row["name"], row["city"])
        >>> df = result.to_polars()
    """

    def __init__(
        self,
        *,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        column_types: Sequence[str] | None = None,
        row_count: int | None = None,
        execution_time_ms: float | None = None,
        truncated: bool = False,
        query: str | None = None,
    ) -> None:
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.column_types = list(column_types or [])
        self.row_count = len(self.rows) if row_count is None else row_count
        self.execution_time_ms = execution_time_ms
        self.truncated = truncated
        self.query = query
        self.lineage: Lineage | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, query: str | None = None) -> QueryResult:
        """Build a result from the wrapper's JSON answer (rows as lists or as dicts).

        Example:
            >>> QueryResult.from_api({"columns": ["n"], "rows": [[1]]}).scalar()
            1
        """
        columns = list(data.get("columns") or [])
        rows = [
            [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
            for row in data.get("rows") or []
        ]
        types = list(data.get("column_types") or [])
        return cls(
            columns=columns,
            rows=_typed(rows, types),
            column_types=types,
            row_count=data.get("row_count"),
            execution_time_ms=data.get("execution_time_ms"),
            truncated=bool(data.get("truncated", False)),
            query=query,
        )

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=False))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return dict(zip(self.columns, self.rows[index], strict=False))

    def __repr__(self) -> str:
        timing = f", {self.execution_time_ms:g} ms" if self.execution_time_ms is not None else ""
        cut = ", truncated" if self.truncated else ""
        origin = f", from instance {self.lineage.instance_id}" if self.lineage else ""
        return (
            f"<QueryResult {len(self.rows)} rows x {len(self.columns)} columns "
            f"{self.columns}{timing}{cut}{origin}>"
        )

    def _repr_html_(self) -> str:
        """A table of the first 20 rows in notebooks, with the column types and, under
        it, where the result came from (its lineage's caption)."""
        return query_html(self)

    def first(self) -> dict[str, Any] | None:
        """The first row as a dict, or None when there are no rows.

        Example:
            >>> conn.query("MATCH (c:Customer) RETURN c.name AS name LIMIT 1").first()
            {'name': 'Ada'}
        """
        return self[0] if self.rows else None

    def scalar(self) -> Any:
        """The single value of a one-row, one-column result.

        Raises:
            ResultShapeError: The result is not exactly one row of one column.

        Example:
            >>> conn.query("MATCH (c:Customer) RETURN count(c)").scalar()
            200
        """
        if len(self.columns) != 1 or len(self.rows) != 1:
            raise exc.ResultShapeError(
                f"scalar() needs exactly one row with one column, but the result has "
                f"{len(self.rows)} row(s) and {len(self.columns)} column(s) {self.columns}. "
                "Use first() for the first row, or RETURN a single value."
            )
        return self.rows[0][0]

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column name.

        Example:
            >>> conn.query("RETURN 1 AS a, 2 AS b").to_dicts()
            [{'a': 1, 'b': 2}]
        """
        return list(self)

    def to_polars(self) -> Any:
        """The rows as a polars DataFrame (needs ``polars``); nodes become structs.

        Example:
            >>> df = conn.query("MATCH (a:Account) RETURN a.account_type AS t").to_polars()
        """
        pl = import_optional("polars", extra="polars")
        return pl.DataFrame(
            self.rows, schema=self.columns, orient="row", strict=False, infer_schema_length=None
        )

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame (needs ``pandas``).

        Example:
            >>> df = conn.query("MATCH (c:Customer) RETURN c.city AS city").to_pandas()
        """
        pd = import_optional("pandas", extra="pandas")
        return pd.DataFrame(self.rows, columns=self.columns)

    def to_networkx(self) -> Any:
        """The nodes and relationships in the result as a ``networkx.MultiDiGraph``.

        Nodes are keyed by ``_id`` with their other fields as attributes (``_label`` and
        the properties); each relationship is an edge ``_src -> _dst`` keyed by its
        ``_id``. Values nested in lists and maps (paths, ``collect(...)``) are found too.

        Raises:
            ResultShapeError: The result holds no node or relationship values.

        Example:
            >>> g = conn.query("MATCH (c:Customer)-[o:OWNS]->(a:Account) RETURN c, o, a")\\
            ...     .to_networkx()
            >>> g.number_of_nodes(), g.number_of_edges()
            (2735, 1784)
        """
        nx = import_optional("networkx", extra="networkx")
        graph = nx.MultiDiGraph()
        nodes, rels = _graph_values(self.rows)
        if not nodes and not rels:
            raise exc.ResultShapeError(
                f"to_networkx() found no nodes or relationships in columns {self.columns}. "
                "RETURN whole nodes and relationships (e.g. RETURN a, r, b), not their "
                "properties."
            )
        missing = [v for v in (*nodes, *rels) if v.get("_id") is None]
        if missing:
            raise exc.ResultShapeError(
                f"to_networkx() found {len(missing)} node or relationship values without an "
                f"_id (e.g. {missing[0]!r}); the instance did not send their ids. Report "
                "this with the query."
            )
        for node in nodes:
            graph.add_node(_key(node["_id"]), **{k: v for k, v in node.items() if k != "_id"})
        for rel in rels:
            attrs = {k: v for k, v in rel.items() if k not in _REL_KEYS}
            graph.add_edge(_key(rel["_src"]), _key(rel["_dst"]), key=_key(rel["_id"]), **attrs)
        return graph

    def show_graph(
        self,
        *,
        color_by: str = "label",
        size_by: str | None = None,
        label_by: str | None = None,
        height: int = 500,
        max_nodes: int = 1000,
        directed: bool | None = None,
    ) -> Any:
        """A picture of the nodes and relationships in the result (a
        :class:`~graph_olap.viz.GraphView`; needs the ``notebook`` extra).

        In Jupyter it is an interactive widget (pan, zoom, search, hover for properties)
        with a static SVG copy for GitHub and nbconvert. See ``docs/visualization.md``.

        Args:
            color_by: ``"label"`` (the node label) or a node property, e.g. a community id.
            size_by: A numeric node property, e.g. a PageRank score written with
                ``conn.algo.pagerank(mode="mutate", property="pagerank")``.
            label_by: The property written beside each node (default ``name``).
            height: Height in pixels (at least 250).
            max_nodes: Draw at most this many nodes (at most 1,000).
            directed: Draw relationships as arrows (True) or plain lines (False, for
                relationships whose direction means nothing, such as co-appearances).
                None, the default, draws arrows: every Cypher relationship has one.

        Raises:
            ResultShapeError: The result holds no nodes or relationships.
            ValueError: ``size_by`` is not a numeric property of any node.

        Example:
            >>> conn.query(
            ...     "MATCH (a:Member)-[r:KNOWS]->(b:Member) RETURN a, r, b"
            ... ).show_graph(color_by="community", size_by="pagerank")
        """
        from graph_olap.viz import GraphView

        return GraphView(
            self.to_networkx(),
            color_by=color_by,
            size_by=size_by,
            label_by=label_by,
            height=height,
            max_nodes=max_nodes,
            directed=directed,
        )


def _key(value: Any) -> Any:
    """A hashable node or edge key: ids come as maps ``{"table", "offset"}`` -> ``"0:1"``."""
    if isinstance(value, Mapping) and set(value) == {"table", "offset"}:
        return f"{value['table']}:{value['offset']}"
    if isinstance(value, Mapping):
        return tuple((k, _key(v)) for k, v in sorted(value.items()))
    if isinstance(value, list):
        return tuple(_key(v) for v in value)
    return value


def _graph_values(
    values: Sequence[Any],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    nodes: list[Mapping[str, Any]] = []
    rels: list[Mapping[str, Any]] = []
    stack: list[Any] = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            if value.keys() >= _REL_KEYS:
                rels.append(value)
            elif value.keys() >= _NODE_KEYS:
                nodes.append(value)
            else:
                stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    nodes.reverse()
    rels.reverse()
    return nodes, rels


def _parser(column_type: str) -> Callable[[str], Any] | None:
    kind = column_type.upper()
    if kind.startswith("DECIMAL"):
        return decimal.Decimal
    if kind == "INT128":
        return int
    if kind == "DATE":
        return datetime.date.fromisoformat
    if kind.startswith("TIMESTAMP"):
        return datetime.datetime.fromisoformat
    return None


def _typed(rows: list[list[Any]], column_types: Sequence[str]) -> list[list[Any]]:
    """Parse the string-encoded scalar columns (see :class:`QueryResult`)."""
    parsers = [(i, p) for i, t in enumerate(column_types) if (p := _parser(str(t)))]
    for row in rows:
        for i, parse in parsers:
            value = row[i] if i < len(row) else None
            if isinstance(value, str):
                with contextlib.suppress(ValueError):  # else leave what the server sent
                    row[i] = parse(value)
    return rows
