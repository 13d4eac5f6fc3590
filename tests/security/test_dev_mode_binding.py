"""Development mode (``X-Username`` accepted) only on loopback unless asked for by name.

Issue 17: ``graph-olap server --host 0.0.0.0`` used to start with dev mode on, so anyone
who could reach the port could call themselves ``admin``. Now a non-loopback host (IPv4
or IPv6) with dev mode on is refused with one ``error:`` line saying why and what to do
instead; ``--insecure-dev-mode`` (or ``GRAPH_OLAP_INSECURE_DEV_MODE=true``) serves it
anyway, and dev mode off (API keys only) serves without question. Each case runs the real
command and, when it starts, reaches it over a real socket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph_olap_server.exposure import is_loopback
from graph_olap_server.runner import free_port
from tests.e2e.test_platform_process import Platform

pytestmark = [pytest.mark.socket, pytest.mark.timeout(120)]


def _command(host: str, port: int, data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "graph_olap_server.cli", "server", "--host", host,
        "--port", str(port), "--data-dir", str(data_dir), "--log-level", "warning", *extra,
    ]  # fmt: skip


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPH_OLAP_")}
    return {**env, **values}


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_dev_mode_on_a_non_loopback_host_is_refused(host: str, tmp_path: Path) -> None:
    if ":" in host and not _ipv6():
        pytest.fail("this machine has no IPv6 loopback; the IPv6 case cannot be checked")
    port = free_port()
    done = subprocess.run(
        _command(host, port, tmp_path / "data"),
        capture_output=True, text=True, timeout=60, env=_env(),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    line = lines[0]
    for said in ("X-Username", "admin", "graph-olap create-api-key", "GRAPH_OLAP_DEV_MODE=false",
                 "--insecure-dev-mode", "127.0.0.1"):  # fmt: skip
        assert said in line, f"{said!r} missing from: {line}"
    assert done.stdout == ""
    assert not (tmp_path / "data").exists(), "refused before touching the data folder"
    assert not _listening(port)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Platform]]:
    """Platforms to stop at the end; the platform's own environment variables cleared."""
    for name in [n for n in os.environ if n.startswith("GRAPH_OLAP_")]:
        monkeypatch.delenv(name)
    platforms: list[Platform] = []
    yield platforms
    for platform in platforms:
        platform.stop()


@pytest.mark.parametrize(
    ("extra", "env", "username_status"),
    [
        (("--insecure-dev-mode",), {}, 200),
        ((), {"GRAPH_OLAP_INSECURE_DEV_MODE": "true"}, 200),
        ((), {"GRAPH_OLAP_DEV_MODE": "false"}, 401),
    ],
    ids=["flag", "env-twin", "dev-mode-off"],
)
def test_a_non_loopback_host_serves_when_dev_mode_is_explicit_or_off(
    extra: tuple[str, ...],
    env: dict[str, str],
    username_status: int,
    tmp_path: Path,
    started: list[Platform],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    platform = Platform(tmp_path / "data", "--host", "0.0.0.0", *extra)
    started.append(platform.start())
    answer = httpx.get(
        f"{platform.url}/api/mappings", headers={"X-Username": "admin"}, timeout=10,
        trust_env=False,
    )  # fmt: skip
    assert answer.status_code == username_status, answer.text


def test_loopback_keeps_dev_mode_by_default(tmp_path: Path, started: list[Platform]) -> None:
    platform = Platform(tmp_path / "data", "--host", "127.0.0.1")
    started.append(platform.start())
    answer = httpx.get(
        f"{platform.url}/api/mappings", headers={"X-Username": "alice"}, timeout=10,
        trust_env=False,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("", False),
     ("192.0.2.7", False), ("2001:db8::1", False)],
)  # fmt: skip
def test_which_hosts_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
