"""Background jobs of the control plane: reconciliation, lifecycle, export reconciliation,
schema cache refresh."""
