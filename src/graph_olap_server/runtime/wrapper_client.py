"""The control plane's calls to a wrapper process on 127.0.0.1 (see the wrapper API in
``docs/design-instances.md``): ``/health``, ``/ready``, ``/progress``, ``/threads``."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["WRAPPER_TOKEN_HEADER", "WrapperClient"]

WRAPPER_TOKEN_HEADER = "X-Wrapper-Token"


class WrapperClient:
    """Short, never-raising calls (except :meth:`set_threads`) to wrappers by port."""

    def __init__(self, *, timeout: float = 2.0) -> None:
        # trust_env=False: a proxy from the environment must not see loopback calls
        self._http = httpx.Client(timeout=timeout, trust_env=False)

    @staticmethod
    def url(port: int, path: str, base: str | None = None) -> str:
        """``base`` (the runtime's ``wrapper_url``) + ``path``; default 127.0.0.1:port."""
        return f"{base or f'http://127.0.0.1:{port}'}{path}"

    def _json(
        self, port: int, path: str, token: str | None = None, base: str | None = None
    ) -> dict[str, Any] | None:
        headers = {WRAPPER_TOKEN_HEADER: token} if token else {}
        try:
            response = self._http.get(self.url(port, path, base), headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        if response.status_code != 200 or not isinstance(body, dict):
            return None
        data = body.get("data", body)
        return data if isinstance(data, dict) else None

    def health(self, port: int) -> dict[str, Any] | None:
        """``{"status", "instance_id", "phase", "engine", "error"}`` or None."""
        return self._json(port, "/health")

    def progress(self, port: int, token: str, base: str | None = None) -> dict[str, Any] | None:
        """``{"phase", "steps", "error_message"}`` or None."""
        return self._json(port, "/progress", token, base)

    def ready(self, port: int, base: str | None = None) -> bool:
        try:
            return self._http.get(self.url(port, "/ready", base)).status_code == 200
        except httpx.HTTPError:
            return False

    def set_threads(self, port: int, token: str, threads: int) -> None:
        """``PUT /threads {"threads": n}``; raises RuntimeError with the wrapper's answer."""
        try:
            response = self._http.put(
                self.url(port, "/threads"),
                json={"threads": threads},
                headers={WRAPPER_TOKEN_HEADER: token},
            )
        except httpx.HTTPError as err:
            raise RuntimeError(f"the instance did not answer ({type(err).__name__})") from err
        if response.status_code >= 300:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:300]
            raise RuntimeError(f"the instance answered {response.status_code}: {message}")

    def close(self) -> None:
        self._http.close()
