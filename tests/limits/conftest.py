"""A control plane and a wrapper of the limits tests' own: hostile input lands there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.server_helpers import Plat, running_platform
from tests.wrapper.conftest import Wrapper, build_snapshot, loaded_wrapper


@pytest.fixture(scope="module")
def plat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plat]:
    with running_platform(tmp_path_factory.mktemp("limits-platform")) as running:
        yield running


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wrapper]:
    """A loaded wrapper (the default engine) that trusts alice."""
    snapshot = build_snapshot(tmp_path_factory.mktemp("limits-snapshot"))
    with loaded_wrapper(snapshot, tmp_path_factory.mktemp("limits-instance")) as running:
        yield running
