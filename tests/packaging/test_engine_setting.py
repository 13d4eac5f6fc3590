"""GRAPH_OLAP_ENGINE: an engine that is not installed (Ryugraph is an extra of its own) is
refused when the platform starts, with the install command, instead of failing every
instance's load later."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from graph_olap_server.settings import Settings


def test_an_unknown_engine_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"GRAPH_OLAP_ENGINE='neo4j' is not an engine") as err:
        Settings.from_env({"GRAPH_OLAP_DATA_DIR": str(tmp_path), "GRAPH_OLAP_ENGINE": "neo4j"})
    assert "kuzu, ryugraph" in str(err.value)


def test_an_engine_that_is_not_installed_is_refused_with_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def without_ryugraph(name: str, *args: Any) -> Any:  # the fault: ryugraph absent
        return None if name == "ryugraph" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_ryugraph)
    env = {"GRAPH_OLAP_DATA_DIR": str(tmp_path), "GRAPH_OLAP_ENGINE": "ryugraph"}
    with pytest.raises(ValueError) as err:
        Settings.from_env(env)
    assert str(err.value) == (
        "GRAPH_OLAP_ENGINE=ryugraph but ryugraph is not installed here: install it with "
        'pip install "graph-olap[ryugraph]", or leave GRAPH_OLAP_ENGINE unset for kuzu.'
    )
    assert Settings.from_env({**env, "GRAPH_OLAP_ENGINE": "kuzu"}).wrapper_engine == "kuzu"


def test_the_server_command_says_it_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "graph_olap_server.cli", "server", "--data-dir", str(tmp_path)],
        env={"GRAPH_OLAP_ENGINE": "neo4j", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: GRAPH_OLAP_ENGINE='neo4j'"), lines
