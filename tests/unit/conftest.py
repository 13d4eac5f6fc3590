"""Shared harness of the unit tests: one client, sync or async, over an httpx.MockTransport.

MockTransport is the only fake in these tests. It stands in for faults a real server
cannot produce on demand (connection resets, timeouts, proxy pages, rate limits). The
sleep is faked too: it records the delays so that no test really waits.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
import pytest

from graph_olap import AsyncGraphOLAPClient, GraphOLAPClient

BASE_URL = "http://olap.test"

Step = httpx.Response | httpx.TransportError | Callable[[httpx.Request], httpx.Response]
"""What the server does on one attempt: answer, fail before answering, or compute an answer.

Responses and errors are copied on every use, so a step can be played many times.
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _play(step: Step, request: httpx.Request) -> httpx.Response:
    if isinstance(step, httpx.Response):
        return httpx.Response(step.status_code, headers=step.headers, content=step.content)
    if isinstance(step, httpx.TransportError):
        raise type(step)(str(step), request=request)
    return step(request)


class Harness:
    """A client of either mode whose transport plays ``steps`` (the last one repeats)."""

    def __init__(
        self,
        mode: str,
        steps: Sequence[Step] | Callable[[httpx.Request], httpx.Response],
        **client_kwargs: Any,
    ) -> None:
        self.mode = mode
        self.requests: list[httpx.Request] = []
        self.delays: list[float] = []
        self._steps = steps
        transport = httpx.MockTransport(self._handle)
        kwargs: dict[str, Any] = {"username": "alice", "rng": lambda: 1.0}
        kwargs.update(client_kwargs)
        api_url = kwargs.pop("api_url", BASE_URL)
        self.client: Any
        if mode == "sync":
            self.client = GraphOLAPClient(
                api_url, transport=transport, sleep=self.delays.append, **kwargs
            )
        else:

            async def sleep(seconds: float) -> None:
                self.delays.append(seconds)

            self.client = AsyncGraphOLAPClient(api_url, transport=transport, sleep=sleep, **kwargs)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if callable(self._steps):
            return self._steps(request)
        index = min(len(self.requests), len(self._steps)) - 1
        return _play(self._steps[index], request)

    @property
    def attempts(self) -> int:
        return len(self.requests)

    async def call(self, fn: Callable[[Any], Any]) -> Any:
        """``fn(client)``, awaited when the client is async."""
        result = fn(self.client)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            await self.client.aclose()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make(mode: str, anyio_backend: str) -> AsyncIterator[Callable[..., Harness]]:
    """Factory of harnesses in the test's mode; closes every client afterwards."""
    made: list[Harness] = []

    def factory(
        steps: Sequence[Step] | Callable[[httpx.Request], httpx.Response], **client_kwargs: Any
    ) -> Harness:
        harness = Harness(mode, steps, **client_kwargs)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        await harness.close()
