"""Starting the local platform from the SDK when it cannot start, or is not installed.

The happy paths (start, reuse, kernel restart, stop) run in real kernels:
tests/notebooks/test_connect_kernel.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from graph_olap import ConnectionError, local_platform
from graph_olap.local_platform import ensure_local_platform
from graph_olap_server.instance_lifecycle import process_alive
from graph_olap_server.runner import free_port


def test_a_platform_that_cannot_start_says_why_and_where_its_log_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the user data folder
    monkeypatch.delenv("GRAPH_OLAP_DATA_DIR", raising=False)
    missing = tmp_path / "missing.duckdb"
    monkeypatch.setenv("GRAPH_OLAP_WAREHOUSE", str(missing))  # the fault: it refuses to start
    said: list[str] = []
    with pytest.raises(ConnectionError) as info:
        ensure_local_platform(f"http://localhost:{free_port()}", say=said.append)
    message = str(info.value)
    assert "Could not start the local platform" in message and "exited" in message
    assert str(tmp_path / "graph-olap" / "server.log") in message  # where to look
    assert str(missing) in message  # the end of the log says why
    assert info.value.hint is not None and "graph-olap server" in info.value.hint
    assert not (tmp_path / "graph-olap" / "server.pid").exists()


def test_without_the_platform_installed_it_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local_platform, "platform_installed", lambda: False)  # the fault
    said: list[str] = []
    url = f"http://localhost:{free_port()}"
    assert ensure_local_platform(url, say=said.append) is False
    [line] = said
    assert f"Nothing answers at {url}" in line and "graph-olap[server]" in line
    assert "GRAPH_OLAP_API_URL" in line


def test_a_platform_not_answering_in_time_names_its_log_and_can_be_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for name in ("GRAPH_OLAP_DATA_DIR", "GRAPH_OLAP_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    data_dir = tmp_path / "graph-olap"
    # the fault: a deadline no process start can meet (a Python start alone takes longer)
    with pytest.raises(ConnectionError) as info:
        ensure_local_platform(f"http://localhost:{free_port()}", say=[].append, timeout=0.001)
    message = str(info.value)
    assert "did not answer" in message and "keeps starting in the background" in message
    assert str(data_dir / "server.log") in message and "stop it with:" in message
    pid = json.loads((data_dir / "server.pid").read_text())["pid"]
    try:
        stop = subprocess.run(
            [Path(sys.executable).with_name("graph-olap"), "stop"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert stop.returncode == 0 and f"(pid {pid})" in stop.stdout, stop
        assert not process_alive(pid) and not (data_dir / "server.pid").exists()
    finally:
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)
