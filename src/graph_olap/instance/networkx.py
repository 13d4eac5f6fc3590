"""``conn.networkx``: any NetworkX function that takes a graph, run inside the instance.

The wrapper builds a NetworkX graph from the projection and calls the function by name
with the keyword arguments given; ``conn.networkx.<name>(...)`` is ``run(name, ...)``.
Results keyed by node (a dict of node to value) come back as a DataFrame like the native
algorithms'; anything else (a number, a list, a matching) as the Python value.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from graph_olap._core.ops import Call, Op
from graph_olap._core.resource import M, api_method, require_text
from graph_olap.instance._guard import unwrap
from graph_olap.instance._requests import resolve_parameters
from graph_olap.instance.algorithms import info_list
from graph_olap.instance.options import NETWORKX_DEFAULTS, run_options, take_options
from graph_olap.instance.returns import values
from graph_olap.instance.run_lineage import TracedRuns
from graph_olap.models.algorithm import AlgorithmInfo
from graph_olap.pagination import PaginatedList

__all__ = ["NetworkXFunction", "NetworkXManager"]


class NetworkXManager(TracedRuns[M]):
    """NetworkX algorithms on an instance's graph (``conn.networkx``).

    Any attribute not starting with ``_`` is an algorithm: ``conn.networkx.density()`` is
    ``conn.networkx.run("density")``; a name NetworkX does not have is refused by the
    instance with close matches (:class:`~graph_olap.AlgorithmNotFoundError`). After
    :meth:`list`, ``dir(conn.networkx)`` (and tab completion) shows every name.

    Example:
        >>> conn.networkx.density()
        0.139
        >>> conn.networkx.betweenness_centrality(k=100, seed=7)   # a DataFrame
        >>> print(conn.networkx.describe("average_clustering"))
    """

    _names: list[str] | None = None
    _kind = "networkx"

    @values
    @api_method
    @run_options(defaults=NETWORKX_DEFAULTS)
    def run(
        self, name: str, /, parameters: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Op[Any]:
        """Run the NetworkX function ``name`` on the graph; ``kwargs`` are the options
        below and its keyword arguments (JSON values; nodes by primary key).

        ``weight_property`` is the numeric relationship property the graph's edges carry
        as ``weight``; ``orientation`` defaults to what the function needs
        (``"natural"`` is a directed graph); ``force=True`` runs it even when the
        instance estimates it would take too long. A stream result keyed by node is a
        DataFrame, anything else the Python value.

        Args:
            name: The function's name (``conn.networkx.list()``).
            parameters: Its keyword arguments as a dict (for one named like an option).

        Raises:
            AlgorithmNotFoundError: NetworkX has no such function taking a graph.
            GraphTooLargeError: Estimated too slow on this graph (``force=True`` runs it).

        Example:
            >>> conn.networkx.run("betweenness_centrality", k=50, seed=1)
            >>> conn.networkx.run("is_directed_acyclic_graph", orientation="natural")
            False
        """
        options, extra = take_options(kwargs, NETWORKX_DEFAULTS)
        params = resolve_parameters(parameters, extra, f"conn.networkx.run({name!r})")
        path = f"/networkx/{quote(require_text(name, 'name'), safe='')}"
        run = self._start(path, params, options)
        return (yield from self._traced(params, options, run))

    @api_method
    def list(self) -> Op[PaginatedList[AlgorithmInfo]]:
        """Every NetworkX function the instance can run (those taking a graph).

        Example:
            >>> len(conn.networkx.list())
            400
            >>> [a.name for a in conn.networkx.list() if "centrality" in a.name]
        """
        infos = info_list((yield from self._send(Call("GET", "/networkx"))))
        self._names = sorted(info.name for info in infos)
        return infos

    @api_method
    def describe(self, name: str) -> Op[AlgorithmInfo]:
        """One function: its parameters, signature and full NetworkX documentation.

        Raises:
            AlgorithmNotFoundError: No such function (``suggestions`` lists close names).

        Example:
            >>> print(conn.networkx.describe("pagerank").documentation)
        """
        path = f"/networkx/{quote(require_text(name, 'name'), safe='')}"
        return AlgorithmInfo.model_validate(unwrap((yield from self._send(Call("GET", path)))))

    def __getattr__(self, name: str) -> NetworkXFunction:
        if name.startswith("_"):  # Python's and IPython's probes are never remote calls
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return NetworkXFunction(self.run, name)

    def __dir__(self) -> builtins.list[str]:
        return sorted({*super().__dir__(), *(self._names or ())})


class NetworkXFunction:
    """``conn.networkx.<name>``: calling it runs the function on the instance (the same
    as ``conn.networkx.run(name, **kwargs)``); a subpackage's function is reached through
    it (``conn.networkx.community.louvain_communities()``). Nothing is sent until it is
    called.
    """

    def __init__(self, run: Callable[..., Any], name: str) -> None:
        self._run = run
        self.__name__ = name.rsplit(".", 1)[-1]
        self.__qualname__ = name
        self.__doc__ = (
            f"Run networkx.{name} on the instance's graph: the same as "
            f"conn.networkx.run({name!r}, **kwargs). Its arguments and documentation: "
            f"conn.networkx.describe({name!r})."
        )

    def __call__(self, **kwargs: Any) -> Any:
        return self._run(self.__qualname__, **kwargs)

    def __getattr__(self, name: str) -> NetworkXFunction:
        if name.startswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return NetworkXFunction(self._run, f"{self.__qualname__}.{name}")

    def __repr__(self) -> str:
        return f"<NetworkX function {self.__qualname__!r}>"
