"""HTTP layer of the control plane: dependencies, envelopes and routers."""
