"""What the native algorithm modules share: :class:`NativeAlgorithm` and small helpers.

A native algorithm is an :class:`~graph_olap_server.wrapper.algo.base.AlgorithmInfo` (what
the API shows) plus a runner ``(projection, parameters, orientation, progress) ->
AlgoOutput``. The runners live in ``native_centrality.py``, ``native_community.py`` and
``native_paths.py``; ``native.py`` is the catalog.

Threads: networkit runs with its process-wide OpenMP thread count and scipy with one
thread; this module leaves both alone (the wrapper decides).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from graph_olap_server.wrapper.algo.base import (
    AlgoOutput,
    AlgorithmInfo,
    Orientation,
    Param,
    Progress,
    coerce_parameters,
    invalid,
)
from graph_olap_server.wrapper.algo.dense_graph import Projection

__all__ = [
    "NativeAlgorithm",
    "Runner",
    "modularity",
    "native",
    "renumber",
    "scores",
    "seed_networkit",
]

Runner = Callable[[Projection, dict[str, Any], Orientation, Progress], AlgoOutput]


@dataclasses.dataclass(frozen=True)
class NativeAlgorithm:
    """One native algorithm: its description and the function that runs it."""

    info: AlgorithmInfo
    runner: Runner

    @property
    def name(self) -> str:
        return self.info.name

    def coerce(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter with its default or the given value (400 if one does not fit)."""
        return coerce_parameters(self.info.name, self.info.parameters, given)

    def orientation(self, given: Orientation | None) -> Orientation:
        """``given`` (or the default) if this algorithm accepts it, else a 400."""
        orientation = given or self.info.default_orientation
        if orientation not in self.info.orientations:
            allowed = ", ".join(repr(o) for o in self.info.orientations)
            raise invalid(
                f"{self.name} runs with orientation {allowed}, not {orientation!r}.",
                "orientation",
            )
        return orientation

    def run(
        self,
        projection: Projection,
        params: Mapping[str, Any],
        orientation: Orientation | None,
        progress: Progress,
    ) -> AlgoOutput:
        """Run on ``projection``; ``params`` as coerced (missing ones take their default)."""
        full = {p.name: p.default for p in self.info.parameters} | dict(params)
        return self.runner(projection, full, self.orientation(orientation), progress)


def native(
    name: str,
    title: str,
    description: str,
    *,
    parameters: tuple[Param, ...] = (),
    result_columns: tuple[str, ...],
    default_orientation: Orientation,
    orientations: tuple[Orientation, ...] = ("natural", "reverse", "undirected"),
    weighted: bool = False,
    modes: tuple[str, ...] = ("stream", "mutate"),
) -> Callable[[Runner], NativeAlgorithm]:
    """Decorator: the runner below, described, as a :class:`NativeAlgorithm`."""

    def wrap(runner: Runner) -> NativeAlgorithm:
        info = AlgorithmInfo(
            name=name,
            kind="native",
            title=title,
            description=description,
            parameters=parameters,
            result_columns=result_columns,
            default_property=result_columns[0] if "mutate" in modes else None,
            default_orientation=default_orientation,
            orientations=orientations,
            weighted=weighted,
            modes=modes,
        )
        return NativeAlgorithm(info, runner)

    return wrap


def renumber(labels: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, int]:
    """Group ids ``0..k-1`` in order of first appearance among present nodes (holes -1).

    >>> renumber(np.array([7, 3, 7, 9]), np.array([True, True, True, False]))
    (array([ 0,  1,  0, -1]), 2)
    """
    out = np.full(len(labels), -1, dtype=np.int64)
    values = np.asarray(labels)[present]
    if not len(values):
        return out, 0
    unique, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(unique))
    out[present] = rank[inverse.reshape(-1)]
    return out, len(unique)


def modularity(projection: Projection, community: np.ndarray, resolution: float = 1.0) -> float:
    """Modularity of ``community`` (per dense id) on the undirected, weighted graph.

    The same value as ``networkx.community.modularity(G, ..., resolution=resolution)`` on
    the undirected graph: a self loop adds twice its weight to its node's degree.
    """
    upper = projection._matrix("upper", weighted=True, parallel="sum").tocoo()
    rows, cols, weight = upper.row, upper.col, upper.data
    two_m = 2.0 * float(weight.sum())
    if two_m == 0:
        return 0.0
    groups = np.where(community < 0, 0, community)
    inside = float(weight[groups[rows] == groups[cols]].sum()) * 2.0
    degree = np.bincount(rows, weight, minlength=projection.n)
    degree += np.bincount(cols, weight, minlength=projection.n)
    per_group = np.bincount(groups, degree)
    return inside / two_m - resolution * float(((per_group / two_m) ** 2).sum())


def seed_networkit(seed: int | None) -> None:
    """Seed networkit's random generators (process-wide; best effort with threads)."""
    if seed is not None:
        import networkit as nk

        nk.engineering.setSeed(seed=int(seed), useThreadId=False)


def scores(values: Any, p: Projection, dtype: type = np.float64) -> np.ndarray:
    """A networkit score list (one per present node) as an array indexed by dense id.

    Partitions come as unsigned integers; a value past int64 (networkit's ``none``)
    becomes -1.

    >>> scores([3, 2**64 - 1], Projection.from_arrays([], [], keys=[1, 2]), np.int64)
    array([ 3, -1])
    """
    if np.issubdtype(dtype, np.integer):
        raw = np.asarray(values, dtype=np.uint64)
        values = np.where(raw > np.iinfo(np.int64).max, -1, raw)
    return p.spread(values, dtype)
