"""Node positions for graph pictures: a force-directed layout in NumPy.

NetworkX's ``spring_layout`` switches to a slow sparse loop above 500 nodes (18 s for
1,500 nodes on this kind of machine); this is the same Fruchterman-Reingold model on dense
arrays, about 1 s for 1,000 nodes. Larger pictures are laid out in the browser instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from graph_olap.utils.optional import import_optional

__all__ = ["MAX_LAYOUT_NODES", "force_layout"]

MAX_LAYOUT_NODES = 1000
"""Above this many nodes no layout is computed in Python (memory grows with n^2)."""


def force_layout(
    nodes: Sequence[Hashable],
    edges: Sequence[tuple[Hashable, Hashable]],
    *,
    iterations: int | None = None,
    seed: int = 7,
) -> dict[Hashable, tuple[float, float]]:
    """Positions in the unit square for ``nodes``, pulled together along ``edges``.

    The same input and seed give the same picture. ``iterations`` defaults to 100 up to
    300 nodes and 50 above (the browser widget can go on refining).

    Example:
        >>> pos = force_layout(["a", "b", "c"], [("a", "b"), ("b", "c")])
        >>> all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in pos.values())
        True
    """
    np: Any = import_optional("numpy", extra="notebook")
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.5, 0.5)}
    if n > MAX_LAYOUT_NODES:
        raise ValueError(f"force_layout lays out at most {MAX_LAYOUT_NODES} nodes, not {n}")
    if iterations is None:
        iterations = 100 if n <= 300 else 50
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = np.zeros((n, n))
    for src, dst in edges:
        i, j = index[src], index[dst]
        if i != j:
            adjacency[i, j] = adjacency[j, i] = 1.0
    pos = np.random.default_rng(seed).random((n, 2))
    k2 = 1.0 / n  # the ideal distance between nodes, squared
    k = np.sqrt(k2)
    temperature = 0.1
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        distance2 = dx * dx + dy * dy
        np.clip(distance2, 1e-4, None, out=distance2)
        # repulsion k^2/d between all pairs, attraction d^2/k along edges (over d: unit)
        force = k2 / distance2 - adjacency * np.sqrt(distance2) / k
        shift = np.stack(((dx * force).sum(axis=1), (dy * force).sum(axis=1)), axis=1)
        length = np.sqrt((shift * shift).sum(axis=1))
        np.clip(length, 1e-4, None, out=length)
        pos += shift * (np.minimum(length, temperature) / length)[:, None]
        temperature -= cooling
    pos -= pos.min(axis=0)
    span = pos.max(axis=0)
    span[span == 0] = 1.0
    pos /= span
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, pos, strict=True)}
