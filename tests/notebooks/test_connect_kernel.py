"""``notebook.connect()`` as a new user meets it, in real Jupyter kernels.

The kernels run with no ``GRAPH_OLAP_*`` variable and no ``JUPYTERHUB_USER``, as on a
fresh machine, with two documented knobs so the test never touches a real user's
platform: ``XDG_DATA_HOME`` (the user data folder that the platform's default data
folder lives in, on Linux: the same code path a user hits) and ``GRAPH_OLAP_PORT`` (the
local platform's port: a free one, never 8000). They check that connect() starts the
local platform in the background and says where, that a second notebook connecting at the
same moment and a second connect() reuse it (one server process), that it survives a
kernel restart, that ``graph-olap stop`` stops it; and that an SDK error shows as a compact
block with the full traceback one ``%tb`` away.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import ServerThread, free_port
from tests.notebooks.kernel import new_user_env

pytestmark = [pytest.mark.timeout(300), pytest.mark.socket]  # against hangs only

CONNECT = """
from graph_olap import notebook
client = notebook.connect()
print("URL", client.config.api_url, "USER", client.config.username_source)
print("HEALTH", client.health.check().status)
"""


ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Kernel:
    """A real ipykernel of this environment, started with ``env``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env)
        self.client: BlockingKernelClient = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def send(self, code: str) -> str:
        return str(self.client.execute(code))

    def collect(self, msg_id: str, timeout: float = 180) -> tuple[list[dict[str, Any]], str]:
        """The outputs of one execution and its reply's status."""
        outputs: list[dict[str, Any]] = []
        while True:
            msg = self.client.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append({"output_type": kind, **msg["content"]})
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        reply = self.client.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.client.get_shell_msg(timeout=timeout)
        return outputs, str(reply["content"]["status"])

    def run(self, code: str) -> tuple[list[dict[str, Any]], str]:
        return self.collect(self.send(code))

    def restart(self) -> None:
        """What JupyterLab's "Restart kernel" does when the kernel is killed: the kernel's
        process group ends (SIGKILL), a new kernel starts."""
        self.client.stop_channels()
        self.manager.restart_kernel(now=True)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def stdout(outputs: list[dict[str, Any]]) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream")


def server_pids(port: int) -> list[int]:
    """Processes running ``graph_olap_server.cli server`` on ``port`` (from /proc)."""
    wanted = [b"graph_olap_server.cli", b"server", b"--port", str(port).encode()]
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            args = (entry / "cmdline").read_bytes().split(b"\0")
            if all(part in args for part in wanted) and process_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


@pytest.fixture
def fresh_user(tmp_path: Path) -> Iterator[tuple[dict[str, str], int, Path]]:
    """A clean environment, its local platform's port and data folder; afterwards no
    platform process started here is left running."""
    port = free_port()
    env = new_user_env(XDG_DATA_HOME=str(tmp_path / "share"), GRAPH_OLAP_PORT=str(port))
    data_dir = tmp_path / "share" / "graph-olap"
    try:
        yield env, port, data_dir
    finally:
        for pid in server_pids(port):
            os.kill(pid, signal.SIGKILL)


def test_connect_starts_the_local_platform_once_and_it_outlives_the_kernel(
    fresh_user: tuple[dict[str, str], int, Path],
) -> None:
    env, port, data_dir = fresh_user
    first, second = Kernel(env), Kernel(env)
    try:
        # two notebooks connecting at the same moment
        racing = [first.send(CONNECT), second.send(CONNECT)]
        results = [first.collect(racing[0]), second.collect(racing[1])]
        texts = [stdout(outputs) for outputs, _ in results]
        assert [status for _, status in results] == ["ok", "ok"], texts
        for text in texts:
            assert f"URL http://localhost:{port} USER OS login" in text
            assert "HEALTH healthy" in text
        said = "\n".join(texts)
        started = re.findall(r"^Started the Graph OLAP local platform at (\S+) .*$", said, re.M)
        assert started == [f"http://127.0.0.1:{port}"], said  # one of them started it
        line = next(t for t in said.splitlines() if t.startswith("Started"))
        assert f"data folder {data_dir}" in line and "stop it with:" in line and " stop" in line
        [pid] = server_pids(port)
        record = json.loads((data_dir / "server.pid").read_text())
        assert record["pid"] == pid

        outputs, status = first.run(CONNECT)  # connecting again reuses it, silently
        assert status == "ok" and "Started" not in stdout(outputs)
        assert server_pids(port) == [pid]

        first.restart()  # the kernel's process group is killed: the platform stays
        assert server_pids(port) == [pid]
        outputs, status = first.run(CONNECT)
        assert status == "ok", outputs
        assert "HEALTH healthy" in stdout(outputs) and "Started" not in stdout(outputs)
        assert server_pids(port) == [pid]
    finally:
        first.close()
        second.close()

    stop = subprocess.run(
        [Path(sys.executable).with_name("graph-olap"), "stop"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert stop.returncode == 0, stop.stderr
    assert f"Stopped the local platform at http://127.0.0.1:{port} (pid {pid})" in stop.stdout
    assert not process_alive(pid) and server_pids(port) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=5, trust_env=False)
    assert not (data_dir / "server.pid").exists()


def test_a_configured_url_is_never_replaced(fresh_user: tuple[dict[str, str], int, Path]) -> None:
    env, port, data_dir = fresh_user
    nothing = f"http://127.0.0.1:{free_port()}"  # a configured URL where nothing answers
    kernel = Kernel({**env, "GRAPH_OLAP_API_URL": nothing})
    try:
        outputs, status = kernel.run(
            "from graph_olap import notebook\nclient = notebook.connect()\n"
            "print('URL', client.config.api_url)"
        )
    finally:
        kernel.close()
    assert status == "ok" and f"URL {nothing}" in stdout(outputs)
    assert "Start" not in stdout(outputs)
    assert server_pids(port) == [] and not (data_dir / "server.pid").exists()


def test_something_else_at_the_local_url_is_named(
    fresh_user: tuple[dict[str, str], int, Path],
) -> None:
    env, port, _ = fresh_user
    other = subprocess.Popen(  # a web server that is not a Graph OLAP platform
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kernel = Kernel(env)
    try:
        deadline = time.monotonic() + 60
        while True:  # until the stand-in listens (a deadline, not a guess)
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2, trust_env=False)
                break
            assert time.monotonic() < deadline, "http.server did not start"
            time.sleep(0.05)
        outputs, status = kernel.run("from graph_olap import notebook\nnotebook.connect()")
    finally:
        kernel.close()
        other.terminate()
        other.wait(30)
    assert status == "error"
    text = stdout(outputs) + "".join(o.get("evalue", "") for o in outputs)
    text += "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "it is not a Graph OLAP platform" in text and "GRAPH_OLAP_PORT" in text
    assert server_pids(port) == []


def test_an_sdk_error_is_compact_and_the_full_traceback_is_one_command_away(
    server: ServerThread,
) -> None:
    kernel = Kernel(new_user_env(GRAPH_OLAP_API_URL=server.url))  # the session's platform
    try:
        outputs, status = kernel.run(CONNECT + "mappings = client.mappings.list()")
        assert status == "ok", outputs  # no username anywhere: the OS login name is used
        outputs, status = kernel.run("client.mappings.get(987654321)")
        assert status == "error"  # Run All stops here, as with any error
        [shown] = [o for o in outputs if o["output_type"] == "display_data"]
        assert not [o for o in outputs if o["output_type"] == "error"]
        text, html = shown["data"]["text/plain"], shown["data"]["text/html"]
        lines = text.splitlines()
        assert lines[0].startswith("NotFoundError: Mapping 987654321")
        assert "code: NOT_FOUND" in text and "HTTP status: 404" in text
        assert re.search(r"request id: \S+", text)
        assert "raised by: client.mappings.get(987654321)" in text and "%tb" in text
        assert len(lines) <= 6 and "File " not in text and "graph_olap/" not in text
        assert 'class="go-card"' in html and "NotFoundError" in html and "%tb" in html

        outputs, status = kernel.run("%tb")  # the full traceback, SDK frames included
        [error] = [o for o in outputs if o["output_type"] == "error"]
        full = ANSI.sub("", "\n".join(error["traceback"]))
        assert error["ename"] == "NotFoundError" and "Mapping 987654321" in full
        assert re.search(r"graph_olap[/\\]_core[/\\]", full), full

        kernel.run("notebook.verbose_errors()")
        outputs, status = kernel.run("client.mappings.get(987654321)")
        [error] = [o for o in outputs if o["output_type"] == "error"]
        assert error["ename"] == "NotFoundError" and len(error["traceback"]) > 3
    finally:
        kernel.close()
