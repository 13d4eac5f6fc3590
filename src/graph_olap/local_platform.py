"""Starting the local platform for ``notebook.connect()`` when nothing answers.

The SDK never imports the platform: when the ``graph_olap_server`` package is installed
it runs ``python -m graph_olap_server.cli start`` (the ``graph-olap start`` command),
which starts ``graph-olap server`` detached (a kernel restart does not stop it), with its
data in the platform's default data folder (your user data folder, or
``GRAPH_OLAP_DATA_DIR``), and waits until it answers. Two notebooks connecting at once
start one platform: the second reuses the first. ``graph-olap stop`` stops it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Callable

import httpx

from graph_olap import exceptions as exc

__all__ = ["ensure_local_platform", "platform_installed", "probe"]

SERVER_PACKAGE = "graph_olap_server"
PROGRESS_AFTER = 1.0  # seconds before saying that the start takes a while
_IN_A_TERMINAL = "run graph-olap server in a terminal to see it start (or fail)"


def platform_installed() -> bool:
    """Whether the local platform (``graph-olap[server]``) is installed here.

    Example:
        >>> platform_installed()
        True
    """
    return importlib.util.find_spec(SERVER_PACKAGE) is not None


def probe(url: str, *, timeout: float = 2.0) -> str:
    """What answers ``GET /health`` at ``url``: ``"platform"`` (a Graph OLAP platform),
    ``"other"`` (something else) or ``"nothing"``.

    Example:
        >>> probe("http://localhost:8000")
        'platform'
    """
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as http:
            answer = http.get(f"{url}/health")
    except httpx.HTTPError:
        return "nothing"
    try:
        body = answer.json()
    except ValueError:
        return "other"
    ours = (
        answer.status_code == 200
        and isinstance(body, dict)
        and body.get("status") == "healthy"
        and "checked_at" in body
    )
    return "platform" if ours else "other"


def _not_ours(url: str) -> exc.ConnectionError:
    return exc.ConnectionError(
        f"Something answers at {url}, but it is not a Graph OLAP platform (GET /health did "
        "not answer as one). Stop what runs there, or use another port for the local "
        "platform: set GRAPH_OLAP_PORT=8001 and connect again (it starts there), or set "
        "GRAPH_OLAP_API_URL to your platform's URL.",
        hint="GRAPH_OLAP_PORT=8001, then connect() again",
    )


def ensure_local_platform(
    url: str,
    *,
    say: Callable[[str], None] = print,
    timeout: float = 120.0,
) -> bool:
    """Make sure a Graph OLAP platform answers at the local ``url``: start it in the
    background when nothing answers and the platform is installed.

    Returns whether a platform answers now. Says in one line what it started (URL, data
    folder, how to stop it), with a progress line first when the start takes over a
    second.

    Raises:
        ConnectionError: something else answers at ``url``, or the platform did not
            start (the message holds the end of its log and the log's path).

    Example:
        >>> ensure_local_platform("http://localhost:8000")
        Started the Graph OLAP local platform at http://127.0.0.1:8000 in the background ...
        True
    """
    state = probe(url)
    if state == "platform":
        return True
    if state == "other":
        raise _not_ours(url)
    if not platform_installed():
        say(
            f"Nothing answers at {url}. Start your platform there, set GRAPH_OLAP_API_URL to "
            "its URL, or install the local platform (pip install 'graph-olap[server]') and "
            "connect again: connect() then starts it."
        )
        return False
    parts = urllib.parse.urlsplit(url)
    host = "127.0.0.1" if parts.hostname in (None, "localhost") else parts.hostname
    command = [sys.executable, "-m", f"{SERVER_PACKAGE}.cli", "start", "--json"]
    command += ["--host", host, "--port", str(parts.port or 80), "--timeout", f"{timeout:g}"]
    with subprocess.Popen(  # output read below; the server itself is detached by `start`
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as starter:
        try:
            out, err = starter.communicate(timeout=PROGRESS_AFTER)
        except subprocess.TimeoutExpired:
            say(f"Starting the Graph OLAP local platform at {url} in the background ...")
            try:
                out, err = starter.communicate(timeout=timeout + 30)
            except subprocess.TimeoutExpired:
                starter.kill()
                raise exc.ConnectionError(
                    f"Starting the local platform at {url} took over {timeout:g} s. Its "
                    "log is server.log in its data folder; run graph-olap start in a "
                    "terminal to see what happens.",
                    hint=_IN_A_TERMINAL,
                ) from None
    text = err.decode(errors="replace").strip()
    if starter.returncode != 0:
        if "not a Graph OLAP platform" in text:
            raise _not_ours(url)
        raise exc.ConnectionError(
            f"Could not start the local platform at {url}: {text or 'no output'}",
            hint=_IN_A_TERMINAL,
        )
    started = json.loads(out.decode().strip().splitlines()[-1])
    say(str(started["line"]))
    return True
