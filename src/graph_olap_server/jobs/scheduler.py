"""Job scheduler (placeholder: replaced by the real scheduler)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_olap_server.context import Platform


class JobScheduler:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def status(self) -> list[dict[str, Any]]:
        return []
