"""Run the control plane: in a background thread (tests, demos) or in the foreground."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from types import TracebackType

import uvicorn

from graph_olap_server.app import create_app
from graph_olap_server.settings import Settings

__all__ = ["ServerThread", "free_port", "with_own_url"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def with_own_url(settings: Settings, host: str, port: int) -> Settings:
    """``settings`` knowing where the control plane listens (for its instance wrappers),
    unless ``control_plane_url`` is already set."""
    if settings.control_plane_url:
        return settings
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in reachable:  # IPv6 literal
        reachable = f"[{reachable}]"
    return dataclasses.replace(settings, control_plane_url=f"http://{reachable}:{port}")


class ServerThread:
    """The control plane served by uvicorn in a daemon thread.

    Example:
        >>> with ServerThread(Settings(data_dir=tmp)) as server:
        ...     client = GraphOLAPClient(server.url, username="alice")
    """

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.settings = with_own_url(settings, host, self.port)
        self.app = create_app(self.settings)
        """The application (``app.state.platform`` once started: its parts, for tests)."""
        config = uvicorn.Config(
            self.app,
            host=host,
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="graph-olap-server", daemon=True)

    def _serve(self) -> None:
        with contextlib.suppress(SystemExit):  # a failed lifespan: start() says so
            self._server.run()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(
                    f"the local platform failed to start on {self.url}; see the log above"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the local platform did not start on {self.url} within {timeout}s"
                )
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
