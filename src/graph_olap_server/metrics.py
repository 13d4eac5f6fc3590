"""Prometheus metrics (placeholder: replaced by the real module)."""

from __future__ import annotations

from typing import Any


class Metrics:
    def bind(self, platform: Any) -> None:
        self.platform = platform

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        pass
