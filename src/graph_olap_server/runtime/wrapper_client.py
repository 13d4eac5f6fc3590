"""The control plane's calls to a wrapper (see the wrapper API in
``docs/design-instances.md``): ``/health``, ``/ready``, ``/progress``, ``/threads``,
``/internal/access/revoked``, ``/internal/snapshot/ready``."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["FORGET_ACCESS_PATH", "SNAPSHOT_READY_PATH", "WRAPPER_TOKEN_HEADER", "WrapperClient"]

WRAPPER_TOKEN_HEADER = "X-Wrapper-Token"
FORGET_ACCESS_PATH = "/internal/access/revoked"
"""The wrapper's route that drops its cached access answers (``wrapper/auth.py``)."""
SNAPSHOT_READY_PATH = "/internal/snapshot/ready"
"""The route that lets a wrapper started during the export load (``wrapper/loader.py``)."""


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

    def call(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any]] | str:
        """One call to a wrapper's public API with the caller's own credentials (jobs:
        ``services/jobs.py``): its status and JSON body, or why it did not answer.

        Example:
            >>> client.call("GET", f"{base}/algo/executions", {"x-username": "alice"})
            (200, {'executions': [...]})
        """
        try:
            response = self._http.request(method, url, headers=headers, params=params)
            body = response.json()
        except httpx.HTTPError as err:
            return f"it did not answer ({type(err).__name__})"
        except ValueError:
            return f"it answered {response.status_code} without JSON"
        return response.status_code, body if isinstance(body, dict) else {"data": body}

    def forget_access(self, base: str, token: str) -> bool:
        """``POST /internal/access/revoked``: the wrapper drops its cached access answers
        (an API key was revoked). Whether it confirmed; never raises.

        Example:
            >>> client.forget_access("http://127.0.0.1:41234", token)
            True
        """
        return self._confirmed(f"{base}{FORGET_ACCESS_PATH}", token)

    def snapshot_ready(self, base: str, token: str) -> bool:
        """``POST /internal/snapshot/ready``: a wrapper started during the export loads
        the snapshot now. Whether it confirmed; never raises (a wrapper still starting
        does not answer yet: the instance monitor asks again).

        Example:
            >>> client.snapshot_ready("http://127.0.0.1:41234", token)
            True
        """
        return self._confirmed(f"{base}{SNAPSHOT_READY_PATH}", token)

    def _confirmed(self, url: str, token: str) -> bool:
        """``POST url`` with the wrapper token: whether it answered 200."""
        try:
            response = self._http.post(url, headers={WRAPPER_TOKEN_HEADER: token})
        except httpx.HTTPError:
            return False
        return response.status_code == 200

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
