"""Graph algorithms inside the wrapper: projections, native algorithms, NetworkX by name,
executions and the instance lock. The contract is docs/design-algorithms.md."""
