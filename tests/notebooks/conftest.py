"""The example notebooks, each executed once per test session and shared by the tests
that check their outputs (test_notebooks.py) and their rendering in a browser.

Kernels get their environment as an argument (:func:`kernel_env`), never through this
process's ``os.environ``: the only ``GRAPH_OLAP_*`` variable they see is the session
platform's URL (it listens on a free port, not on the default ``http://localhost:8000``).
No username and no key, as on a new user's machine: the SDK names the user itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from graph_olap_server.runner import ServerThread
from tests.notebooks.kernel import execute
from tests.notebooks.lab import lab_environment


@pytest.fixture(scope="session")
def kernel_env(server: ServerThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the kernels: a new user's, plus the session platform's URL."""
    return lab_environment(tmp_path_factory.mktemp("kernel-home"), server.url)


@pytest.fixture(scope="session")
def executed_notebook(kernel_env: dict[str, str]) -> Callable[[str], Any]:
    """``executed_notebook("x.ipynb")``: the notebook run in a real kernel (once a session)."""
    done: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in done:
            done[name] = execute(name, env=kernel_env)
        return done[name]

    return get
