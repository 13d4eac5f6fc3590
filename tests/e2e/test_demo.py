"""The README's main job, ``make demo`` (``examples/demo_workflow.py``), run as a user runs
it: a process of its own, no ``GRAPH_OLAP_*`` setting but the platform's URL, in a folder
of its own. Once starting its own platform (nothing answers at the URL), once reusing a
platform that is already up (that path once failed: no data folder for its picture)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph_olap_server.runner import ServerThread, free_port
from graph_olap_server.settings import Settings

pytestmark = [pytest.mark.socket, pytest.mark.timeout(600)]

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo_workflow.py"


def run_demo(url: str, folder: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPH_OLAP_")}
    env["GRAPH_OLAP_API_URL"] = url
    done = subprocess.run(
        [sys.executable, str(DEMO)], cwd=folder, env=env, capture_output=True, text=True,
        timeout=500,
    )  # fmt: skip
    assert done.returncode == 0, f"the demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.rstrip().splitlines()[-1].startswith("Done. Instance "), done.stdout
    assert (folder / ".graph_olap_data" / "demo-graph.html").is_file()
    return done.stdout


def test_the_demo_starts_its_own_platform(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    out = run_demo(url, tmp_path)
    assert f"Starting the local platform on {url}" in out
    assert (tmp_path / ".graph_olap_data" / "demo").is_dir()


def test_the_demo_uses_a_platform_that_is_already_up(tmp_path: Path) -> None:
    # a platform of its own: the demo's mappings and favorites stay out of the session's
    with ServerThread(Settings(data_dir=tmp_path / "platform")) as already_up:
        out = run_demo(already_up.url, tmp_path)
    assert "Starting the local platform" not in out
    assert not (tmp_path / ".graph_olap_data" / "demo").exists()
