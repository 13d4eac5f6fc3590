"""The example notebooks, each executed once per test session and shared by the tests
that check their outputs (test_notebooks.py) and their rendering in a browser."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graph_olap_server.runner import ServerThread
from tests.notebooks.kernel import execute


@pytest.fixture(scope="session")
def notebook_env(server: ServerThread) -> Iterator[str]:
    """The platform's URL and a new analyst in os.environ (kernels inherit them)."""
    username = f"nb-{uuid.uuid4().hex[:8]}"
    wanted = {"GRAPH_OLAP_API_URL": server.url, "GRAPH_OLAP_USERNAME": username}
    cleared = ("GRAPH_OLAP_API_KEY", "GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_IN_CLUSTER_MODE")
    saved = {name: os.environ.get(name) for name in (*wanted, *cleared)}
    for name in cleared:
        os.environ.pop(name, None)
    os.environ.update(wanted)
    try:
        yield username
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def executed_notebook(notebook_env: str) -> Callable[[str], Any]:
    """``executed_notebook("x.ipynb")``: the notebook run in a real kernel (once a session)."""
    done: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in done:
            done[name] = execute(name)
        return done[name]

    return get


@pytest.fixture
def analyst_env(notebook_env: str) -> str:
    """The session's notebook analyst (env already set for kernels), for one test."""
    return notebook_env
