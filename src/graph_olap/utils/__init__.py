"""Small helpers shared across the SDK."""
