"""The native algorithm catalog: what ``GET /algo`` lists and ``POST /algo/{name}`` runs.

Each entry is a :class:`NativeAlgorithm`: ``info`` (an ``AlgorithmInfo`` of kind
``"native"``) and ``run(projection, params, orientation, progress) -> AlgoOutput``.
Names are API (the SDK has a typed method per name). Which library runs what, and why:
docs/algorithms.md.

>>> native_info("pagerank").info.default_orientation
'natural'
>>> [a.name for a in native_catalog()][:3]
['betweenness', 'degree', 'kcore']
"""

from __future__ import annotations

from graph_olap_server.wrapper.algo import native_centrality, native_community, native_paths
from graph_olap_server.wrapper.algo.base import not_found
from graph_olap_server.wrapper.algo.native_common import NativeAlgorithm

__all__ = ["NATIVE", "NativeAlgorithm", "native_catalog", "native_info"]

NATIVE: dict[str, NativeAlgorithm] = {
    algorithm.name: algorithm
    for module in (native_centrality, native_community, native_paths)
    for algorithm in module.ALGORITHMS
}


def native_info(name: str) -> NativeAlgorithm:
    """The native algorithm ``name`` (404 ``ALGORITHM_NOT_FOUND`` with close matches)."""
    try:
        return NATIVE[name]
    except KeyError:
        raise not_found("native", name, NATIVE) from None


def native_catalog() -> list[NativeAlgorithm]:
    """Every native algorithm, by name."""
    return [NATIVE[name] for name in sorted(NATIVE)]
