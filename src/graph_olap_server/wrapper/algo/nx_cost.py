"""How long a NetworkX function would take on a graph, and the guard that refuses slow runs.

An estimate is ``seconds_per_unit[class] * factor * units(n, m)`` for the function's cost
class (functions not in the table are linear), plus building the NetworkX graph:
``1e-5 * (n + m)`` (measured 0.8e-5: 9.3 s for 200,000 nodes and 1,000,000 edges). The
constants were measured on a 2-core development machine with NetworkX 3.6 on random
graphs (the last column); they aim at the right order of magnitude, which is all a
ten-minute guard needs.

============  ==============  ===========  ==============================================
class         units           s per unit   measured
============  ==============  ===========  ==============================================
linear        n + m           1e-6         BFS 0.45e-6, components 0.41e-6, Dijkstra 1.6e-6
iterative     n + m           2e-5         PageRank 6.5e-6, eigenvector 1.3e-5, clustering
                                           1e-5, label propagation 2.5e-5
louvain       n + m           1e-3         Louvain 0.8e-3 .. 1.1e-3 (no community structure)
nm            n * m           1e-6         betweenness 0.91e-6 (closeness, all-pairs BFS
                                           0.17e-6: factor 0.2)
km            k * (n + m)     1e-6         betweenness, k sources: 0.98e-6 per k * m
n2            n ** 2          4e-6         Jaccard over all non-edges 3.7e-6
n2m           n ** 2 * m      1e-6         (not measured) a max-flow per node pair
n3            n ** 3          2e-7         Floyd-Warshall 1.7e-7
dense         n ** 3          5e-9         dense eigenvalues (numpy) 3.2e-9
============  ==============  ===========  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graph_olap_server.errors import APIError

__all__ = ["LIMIT_SECONDS", "check_size", "cost_class", "estimate_seconds"]

LIMIT_SECONDS = 600.0
_BUILD_SECONDS_PER_UNIT = 1e-5  # building the nx graph, per node and relationship

_UNITS: dict[str, tuple[float, Callable[[int, int, int], float]]] = {
    "linear": (1e-6, lambda n, m, k: n + m),
    "iterative": (2e-5, lambda n, m, k: n + m),
    "louvain": (1e-3, lambda n, m, k: n + m),
    "nm": (1e-6, lambda n, m, k: n * m),
    "km": (1e-6, lambda n, m, k: k * (n + m)),
    "n2": (4e-6, lambda n, m, k: n * n),
    "n2m": (1e-6, lambda n, m, k: n * n * m),
    "n3": (2e-7, lambda n, m, k: n**3),
    "dense": (5e-9, lambda n, m, k: n**3),
}


def _table(cls: str, factor: float, names: str) -> dict[str, tuple[str, float]]:
    return {name: (cls, factor) for name in names.split()}


_COSTS: dict[str, tuple[str, float]] = {
    **_table(
        "iterative",
        1.0,
        """pagerank hits katz_centrality eigenvector_centrality eigenvector_centrality_numpy
        clustering average_clustering transitivity triangles square_clustering
        generalized_degree all_triangles constraint effective_size local_constraint voterank
        community.label_propagation_communities community.asyn_lpa_communities
        community.fast_label_propagation_communities community.asyn_fluidc
        community.modularity community.partition_quality triadic_census
        algebraic_connectivity fiedler_vector spectral_ordering spectral_bisection
        weisfeiler_lehman_graph_hash weisfeiler_lehman_subgraph_hashes
        approximation.large_clique_size approximation.densest_subgraph
        bipartite.latapy_clustering bipartite.average_clustering
        bipartite.robins_alexander_clustering bipartite.node_redundancy bipartite.birank
        immediate_dominators max_weight_matching min_weight_matching rich_club_coefficient
        community.spectral_modularity_bipartition""",
    ),
    **_table(
        "louvain",
        1.0,
        """community.louvain_communities community.louvain_partitions
        community.leiden_communities community.leiden_partitions""",
    ),
    **_table(
        "nm",
        1.0,
        """betweenness_centrality edge_betweenness_centrality load_centrality
        edge_load_centrality percolation_centrality betweenness_centrality_subset
        edge_betweenness_centrality_subset bipartite.betweenness_centrality
        all_pairs_dijkstra all_pairs_dijkstra_path all_pairs_dijkstra_path_length
        all_pairs_bellman_ford_path all_pairs_bellman_ford_path_length johnson
        all_pairs_all_shortest_paths minimum_cycle_basis stoer_wagner gomory_hu_tree
        shortest_simple_paths transitive_closure transitive_reduction dominance_frontiers
        group_betweenness_centrality prominent_group panther_similarity
        panther_vector_similarity approximation.steiner_tree approximation.metric_closure
        random_reference lattice_reference current_flow_betweenness_centrality
        edge_current_flow_betweenness_centrality approximate_current_flow_betweenness_centrality
        current_flow_betweenness_centrality_subset
        edge_current_flow_betweenness_centrality_subset community.greedy_modularity_communities
        k_edge_components k_edge_subgraphs edge_disjoint_paths node_disjoint_paths
        maximum_flow maximum_flow_value minimum_cut minimum_cut_value network_simplex
        min_cost_flow min_cost_flow_cost max_flow_min_cost capacity_scaling
        flow.edmonds_karp flow.dinitz flow.preflow_push flow.shortest_augmenting_path
        flow.boykov_kolmogorov""",
    ),
    **_table(
        "nm",
        0.2,
        """closeness_centrality harmonic_centrality all_pairs_shortest_path
        all_pairs_shortest_path_length average_shortest_path_length diameter radius center
        periphery eccentricity barycenter wiener_index global_efficiency local_efficiency
        cycle_basis is_distance_regular intersection_array harmonic_diameter schultz_index
        gutman_index hyper_wiener_index bipartite.closeness_centrality
        group_closeness_centrality dispersion""",
    ),
    **_table(
        "nm",
        3.0,
        """node_connectivity edge_connectivity minimum_node_cut minimum_edge_cut
        is_k_edge_connected approximation.node_connectivity
        approximation.local_node_connectivity""",
    ),
    **_table("nm", 20.0, "sigma omega"),
    **_table(
        "n2",
        1.0,
        """jaccard_coefficient adamic_adar_index resource_allocation_index
        preferential_attachment common_neighbor_centrality cn_soundarajan_hopcroft
        ra_index_soundarajan_hopcroft within_inter_cluster non_edges find_cliques
        find_cliques_recursive number_of_cliques community.kernighan_lin_bisection
        community.greedy_node_swap_bipartition approximation.maximum_independent_set
        approximation.max_clique approximation.clique_removal approximation.ramsey_R2
        approximation.min_weighted_dominating_set approximation.one_exchange
        approximation.greedy_tsp approximation.simulated_annealing_tsp
        approximation.threshold_accepting_tsp approximation.treewidth_min_degree
        approximation.treewidth_min_fill_in tree_all_pairs_lowest_common_ancestor
        bipartite.collaboration_weighted_projected_graph projected_graph
        bipartite.weighted_projected_graph bipartite.overlap_weighted_projected_graph
        bipartite.generic_weighted_projected_graph""",
    ),
    **_table(
        "n2m",
        1.0,
        """average_node_connectivity all_pairs_node_connectivity k_components all_node_cuts
        approximation.all_pairs_node_connectivity approximation.k_components
        k_edge_augmentation""",
    ),
    **_table("n2m", 0.2, "closeness_vitality"),  # a Wiener index without each node
    **_table(
        "n3",
        1.0,
        """floyd_warshall floyd_warshall_predecessor_and_distance simple_cycles
        recursive_simple_cycles chordless_cycles enumerate_all_cliques max_weight_clique
        node_clique_number community.k_clique_communities all_simple_paths
        all_simple_edge_paths all_topological_sorts all_triads triads_by_type
        all_pairs_lowest_common_ancestor community.girvan_newman
        community.edge_betweenness_partition community.naive_greedy_modularity_communities
        approximation.traveling_salesman_problem approximation.christofides
        approximation.asadpour_atsp simrank_similarity complete_to_chordal_graph
        bipartite.minimum_weight_full_matching tutte_polynomial chromatic_polynomial
        community.lukes_partitioning""",
    ),
    **_table(
        "dense",
        1.0,
        """floyd_warshall_numpy communicability communicability_exp subgraph_centrality
        subgraph_centrality_exp estrada_index katz_centrality_numpy
        current_flow_closeness_centrality second_order_centrality
        trophic_levels trophic_differences trophic_incoherence_parameter resistance_distance
        effective_graph_resistance kemeny_constant laplacian_centrality adjacency_spectrum
        laplacian_spectrum normalized_laplacian_spectrum modularity_spectrum
        bethe_hessian_spectrum google_matrix number_of_walks bipartite.spectral_bipartivity
        number_of_spanning_trees community.edge_current_flow_betweenness_partition""",
    ),
    **_table("dense", 1000.0, "communicability_betweenness_centrality"),  # n**4
}
_SAMPLED = {  # functions whose `k` picks k sample sources: cost k * (n + m)
    "betweenness_centrality": 1.0,
    "edge_betweenness_centrality": 1.0,
}
_HINTS = {
    "betweenness_centrality": "pass k=... to sample k source nodes",
    "edge_betweenness_centrality": "pass k=... to sample k source nodes",
}


def cost_class(name: str) -> tuple[str, float]:
    """``(class, factor)`` of the catalog function ``name`` (linear when unknown)."""
    return _COSTS.get(name, ("linear", 1.0))


def estimate_seconds(
    name: str, n: int, m: int, parameters: Mapping[str, Any] | None = None
) -> float:
    """Estimated time to build the graph and run NetworkX function ``name`` on ``n`` nodes
    and ``m`` relationships.

    ``betweenness_centrality`` and ``edge_betweenness_centrality`` with ``k`` given scale
    with ``k * (n + m)`` instead of ``n * m``.
    """
    n, m = max(int(n), 0), max(int(m), 0)
    k = (parameters or {}).get("k")
    if name in _SAMPLED and isinstance(k, int) and not isinstance(k, bool) and k > 0:
        cls, factor = "km", _SAMPLED[name]
    else:
        cls, factor = cost_class(name)
        k = 0
    seconds_per_unit, units = _UNITS[cls]
    running = seconds_per_unit * factor * float(units(n, m, min(k, n) if k else 0))
    return running + _BUILD_SECONDS_PER_UNIT * (n + m)


def check_size(name: str, n: int, m: int, parameters: Mapping[str, Any] | None = None) -> float:
    """The estimate; 400 ``GRAPH_TOO_LARGE`` when it is above :data:`LIMIT_SECONDS`."""
    seconds = estimate_seconds(name, n, m, parameters)
    if seconds <= LIMIT_SECONDS:
        return seconds
    options = ["select a smaller subgraph with node_labels=[...] / relationship_types=[...]"]
    if name in _HINTS:
        options.append(_HINTS[name])
    options.append("pass force=True to run it anyway")
    raise APIError(
        400,
        "GRAPH_TOO_LARGE",
        f"networkx.{name.rsplit('.', 1)[-1]} on {n:,} nodes and {m:,} relationships would "
        f"take about {_duration(seconds)} (NetworkX is pure Python; the limit is "
        f"{_duration(LIMIT_SECONDS)}). To run it, " + "; or ".join(options) + ".",
        {
            "estimated_seconds": round(seconds, 1),
            "nodes": n,
            "relationships": m,
            "limit_seconds": LIMIT_SECONDS,
        },
    )


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:,.0f} seconds"
