"""The control plane's calls to a wrapper (see the wrapper API in
``docs/design-instances.md``): ``/health``, ``/ready``, ``/progress``, ``/threads``."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["WRAPPER_TOKEN_HEADER", "WrapperClient"]

WRAPPER_TOKEN_HEADER = "X-Wrapper-Token"


class WrapperClient:
    """Short, never-raising calls (except :meth:`set_threads`) to a wrapper at ``base``,
    the URL its runtime gives (``InstanceRuntime.wrapper_url``: ``http://127.0.0.1:{port}``
    for local processes, the pod's service on Kubernetes)."""

    def __init__(self, *, timeout: float = 2.0) -> None:
        # trust_env=False: a proxy from the environment must not see loopback calls
        self._http = httpx.Client(timeout=timeout, trust_env=False)

    def _json(self, base: str, path: str, token: str | None = None) -> dict[str, Any] | None:
        headers = {WRAPPER_TOKEN_HEADER: token} if token else {}
        try:
            response = self._http.get(f"{base}{path}", headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        if response.status_code != 200 or not isinstance(body, dict):
            return None
        data = body.get("data", body)
        return data if isinstance(data, dict) else None

    def health(self, base: str) -> dict[str, Any] | None:
        """``{"status", "instance_id", "phase", "engine", "error"}`` or None."""
        return self._json(base, "/health")

    def progress(self, base: str, token: str) -> dict[str, Any] | None:
        """``{"phase", "steps", "error_message"}`` or None."""
        return self._json(base, "/progress", token)

    def ready(self, base: str) -> bool:
        try:
            return self._http.get(f"{base}/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def set_threads(self, base: str, token: str, threads: int) -> None:
        """``PUT /threads {"threads": n}``; raises RuntimeError with the wrapper's answer."""
        try:
            response = self._http.put(
                f"{base}/threads",
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
