"""``conn.algo``: the instance's native graph algorithms, one typed method each.

Every method runs on a *projection* of the graph (the selected labels and relationship
types) inside the instance, takes the algorithm's own parameters and the options of
:class:`~graph_olap.instance._requests.RunOptions` (selection, orientation, mode,
waiting), and returns:

- ``mode="stream"`` (default): a DataFrame with one row per node (the node's primary key,
  under its own name for a single label, else ``label`` and ``node_id``; then the
  algorithm's columns), or a value;
- ``mode="mutate"``: the completed :class:`~graph_olap.instance.handle.ExecutionHandle`
  after writing the result into the nodes as a property (``summary.nodes_written``);
- ``wait=False``: the running execution's handle at once.

Type checkers know which (:mod:`graph_olap.instance.returns`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

from typing_extensions import Unpack

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, api_method, require_text
from graph_olap.instance._guard import unwrap
from graph_olap.instance._requests import node_key, resolve_parameters, typed_parameters
from graph_olap.instance.handle import ExecutionHandle
from graph_olap.instance.options import RunOptions, run_options, split_options, take_options
from graph_olap.instance.polling import fetch, parse
from graph_olap.instance.returns import frames
from graph_olap.instance.run_lineage import TracedRuns
from graph_olap.models.algorithm import AlgorithmExecution, AlgorithmInfo
from graph_olap.pagination import PaginatedList

__all__ = ["AlgorithmManager", "info_list"]


def info_list(body: Any) -> PaginatedList[AlgorithmInfo]:
    """``{"algorithms": [...]}`` as a list of :class:`AlgorithmInfo`."""
    data = unwrap(body)
    items = data.get("algorithms", []) if isinstance(data, dict) else data
    infos = [AlgorithmInfo.model_validate(item) for item in items]
    return PaginatedList(infos, total=len(infos), offset=0, limit=max(len(infos), 1))


class AlgorithmManager(TracedRuns[M]):
    """Native graph algorithms of an instance (``conn.algo``).

    Example:
        >>> ranks = conn.algo.pagerank(relationship_types="TRANSFERRED_TO")
        >>> ranks.sort("pagerank", descending=True).head(3)
        >>> conn.algo.louvain(mode="mutate", property="community").summary.nodes_written
        200
        >>> conn.query("MATCH (a:Account) RETURN a.community AS c, count(*) AS n")
    """

    def _native(
        self, name: str, parameters: Mapping[str, Any], options: Mapping[str, Any]
    ) -> Op[Any]:
        opts = split_options(f"conn.algo.{name}()", options, accepted=list(parameters))
        path = f"/algo/{quote(require_text(name, 'name'), safe='')}"
        run = self._start(path, parameters, opts)
        return (yield from self._traced(parameters, opts, run))

    @frames
    @api_method
    @run_options
    def run(
        self, name: str, /, parameters: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Op[Any]:
        """Run the native algorithm ``name``; its parameters are keyword arguments.

        Args:
            name: The algorithm (``conn.algo.list()`` shows them).
            parameters: Parameters as a dict (for one named like an option).
            **kwargs: The options below and the algorithm's parameters
                (``conn.algo.describe(name)``).

        Raises:
            AlgorithmNotFoundError: No such algorithm (the message suggests close names).

        Example:
            >>> conn.algo.run("pagerank", damping_factor=0.9, node_labels=["Account"])
        """
        options, extra = take_options(kwargs)
        params = resolve_parameters(parameters, extra, f"conn.algo.run({name!r})")
        return (yield from self._native(name, params, options))

    @api_method
    def list(self) -> Op[PaginatedList[AlgorithmInfo]]:
        """The native algorithms: names, parameters, modes and result columns.

        Example:
            >>> [a.name for a in conn.algo.list()]
            ['betweenness', 'degree', 'kcore', 'label_propagation', 'louvain', ...]
            >>> conn.algo.list().to_polars()
        """
        return info_list((yield from self._send(Call("GET", "/algo"))))

    @api_method
    def describe(self, name: str) -> Op[AlgorithmInfo]:
        """One algorithm: its parameters (types, defaults, ranges), modes, orientations
        and result columns.

        Raises:
            AlgorithmNotFoundError: No such algorithm (``suggestions`` lists close names).

        Example:
            >>> print(conn.algo.describe("louvain"))
        """
        path = f"/algo/{quote(require_text(name, 'name'), safe='')}"
        return AlgorithmInfo.model_validate(unwrap((yield from self._send(Call("GET", path)))))

    @api_method
    def executions(self, limit: int = 20) -> Op[PaginatedList[AlgorithmExecution]]:
        """The instance's recent executions (native and NetworkX), newest first: their
        records (``conn.algo.execution(run.id)`` gives a handle on one).

        Example:
            >>> for run in conn.algo.executions(limit=5):
            ...     print(run.id, run.algorithm, run.status, run.duration_ms)
        """
        body = yield from self._send(Call("GET", "/algo/executions", params={"limit": limit}))
        data = unwrap(body)
        items = data.get("executions", []) if isinstance(data, dict) else data
        runs = [parse(item) for item in items]
        return PaginatedList(runs, total=len(runs), offset=0, limit=limit)

    @api_method
    def execution(self, execution_id: str) -> Op[ExecutionHandle[M]]:
        """A handle on one execution by id (native or NetworkX): its status, progress and
        summary, to wait for it, fetch its result or cancel it.

        Raises:
            NotFoundError: The instance knows no such execution.

        Example:
            >>> run = conn.algo.execution("ex-4f3a9c1b")
            >>> run.wait().summary
        """
        execution_id = require_text(execution_id, "execution_id")
        record = yield from fetch(self._send, self._runner.config.timeout, execution_id)
        return (yield from self._stamped(self._handle(record)))

    # -- centrality ------------------------------------------------------------------

    @frames
    @api_method
    @run_options
    def pagerank(
        self,
        *,
        damping_factor: float = 0.85,
        max_iterations: int = 100,
        tolerance: float = 1e-10,
        **options: Unpack[RunOptions],
    ) -> Op[Any]:
        """PageRank: each node's share of a random walk that follows relationships and
        jumps anywhere with probability ``1 - damping_factor``. Column ``pagerank``
        (summing to 1). Default orientation ``natural``.

        Args:
            damping_factor: Probability of following a relationship (0..1).
            max_iterations: Power iterations at most.
            tolerance: Stop once the ranks change less than this (L1 norm).

        Example:
            >>> conn.algo.pagerank(orientation="undirected").sort("pagerank").tail(3)
        """
        params = typed_parameters(
            damping_factor=damping_factor, max_iterations=max_iterations, tolerance=tolerance
        )
        return (yield from self._native("pagerank", params, options))

    @frames
    @api_method
    @run_options
    def betweenness(
        self,
        *,
        samples: int | None = None,
        seed: int | None = None,
        **options: Unpack[RunOptions],
    ) -> Op[Any]:
        """Betweenness centrality: the share of shortest paths between other nodes that
        pass through each node, normalised like ``networkx.betweenness_centrality``.
        Column ``betweenness``.

        Args:
            samples: Estimate from this many sampled source nodes (default: exact when
                affordable, else as many as fit the instance's budget).
            seed: Random seed of the sampling.

        Example:
            >>> conn.algo.betweenness(samples=100, seed=7).sort("betweenness").tail(5)
        """
        params = typed_parameters(samples=samples, seed=seed)
        return (yield from self._native("betweenness", params, options))

    @frames
    @api_method
    @run_options
    def degree(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """Degree: each node's number of relationships (the sum of their weights with
        ``weight_property``); ``orientation`` picks out (``natural``), in (``reverse``)
        or both (``undirected``). Column ``degree``.

        Example:
            >>> conn.algo.degree(orientation="reverse")   # in-degree
        """
        return (yield from self._native("degree", {}, options))

    # -- communities and components --------------------------------------------------

    @frames
    @api_method
    @run_options
    def wcc(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """Weakly connected components: nodes linked by relationships in either
        direction share a ``component`` id.

        Example:
            >>> conn.algo.wcc()["component"].n_unique()
        """
        return (yield from self._native("wcc", {}, options))

    @frames
    @api_method
    @run_options
    def scc(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """Strongly connected components: nodes that reach each other following the
        relationships' direction share a ``component`` id.

        Example:
            >>> conn.algo.scc(relationship_types="TRANSFERRED_TO")
        """
        return (yield from self._native("scc", {}, options))

    @frames
    @api_method
    @run_options
    def louvain(
        self,
        *,
        resolution: float = 1.0,
        max_iterations: int = 32,
        method: Literal["leiden", "plm"] = "leiden",
        **options: Unpack[RunOptions],
    ) -> Op[Any]:
        """Louvain community detection (modularity optimisation, with refinement) on the
        undirected graph. Column ``community``; the summary holds ``community_count`` and
        ``modularity``.

        Args:
            resolution: Higher values give more, smaller communities.
            max_iterations: Most node-moving rounds per level (``method="plm"``).
            method: ``"leiden"`` (default: Louvain with Leiden's refinement, networkit's
                parallel Leiden; several times faster on large graphs and as good or
                better) or ``"plm"`` (networkit's parallel Louvain with refinement).

        Example:
            >>> run = conn.algo.louvain(weight_property="weight", wait=False)
            >>> run.wait().summary["modularity"]
        """
        params = typed_parameters(
            resolution=resolution, max_iterations=max_iterations, method=method
        )
        return (yield from self._native("louvain", params, options))

    @frames
    @api_method
    @run_options
    def label_propagation(
        self,
        *,
        max_iterations: int = 100,
        seed: int | None = None,
        **options: Unpack[RunOptions],
    ) -> Op[Any]:
        """Label propagation communities: each node takes the label most of its
        neighbours carry until stable. Column ``community``.

        Args:
            max_iterations: Most propagation rounds.
            seed: Random seed (node order).

        Example:
            >>> conn.algo.label_propagation()["community"].value_counts()
        """
        params = typed_parameters(max_iterations=max_iterations, seed=seed)
        return (yield from self._native("label_propagation", params, options))

    @frames
    @api_method
    @run_options
    def kcore(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """k-core decomposition: the largest ``k`` such that the node belongs to a
        subgraph where every node has at least ``k`` neighbours. Column ``core``.

        Example:
            >>> conn.algo.kcore().filter(pl.col("core") >= 3)
        """
        return (yield from self._native("kcore", {}, options))

    @frames
    @api_method
    @run_options
    def triangle_count(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """The number of triangles each node belongs to (undirected). Column
        ``triangles``.

        Example:
            >>> conn.algo.triangle_count()["triangles"].sum() // 3
        """
        return (yield from self._native("triangle_count", {}, options))

    @frames
    @api_method
    @run_options
    def local_clustering_coefficient(self, **options: Unpack[RunOptions]) -> Op[Any]:
        """Local clustering coefficient: the share of a node's neighbour pairs that are
        linked themselves (undirected). Column ``clustering``.

        Example:
            >>> conn.algo.local_clustering_coefficient(mode="mutate")
        """
        return (yield from self._native("local_clustering_coefficient", {}, options))

    # -- paths -----------------------------------------------------------------------

    @frames
    @api_method
    @run_options
    def shortest_path(
        self, source: int | str, target: int | str, **options: Unpack[RunOptions]
    ) -> Op[Any]:
        """The shortest path from ``source`` to ``target`` (primary keys): one row per
        step with the node's key and the ``distance`` so far (weighted with
        ``weight_property``). Empty when there is no path.

        Args:
            source: The first node's primary key.
            target: The last node's primary key.

        Example:
            >>> conn.algo.shortest_path(1, 34, orientation="undirected")
        """
        params = {"source": node_key(source, "source"), "target": node_key(target, "target")}
        return (yield from self._native("shortest_path", params, options))

    @frames
    @api_method
    @run_options
    def single_source_shortest_paths(
        self, source: int | str, **options: Unpack[RunOptions]
    ) -> Op[Any]:
        """The distance from ``source`` (a primary key) to every node it reaches.
        Column ``distance``.

        Args:
            source: The starting node's primary key.

        Example:
            >>> conn.algo.single_source_shortest_paths(1, orientation="undirected")
        """
        params = {"source": node_key(source, "source")}
        return (yield from self._native("single_source_shortest_paths", params, options))
