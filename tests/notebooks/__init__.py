"""The example notebooks, executed in a real Jupyter kernel."""
