"""Schemathesis over the platform's OpenAPI documents: one bounded, deterministic run per
operation, with the checks that matter for a client (no 5xx, documented status codes and
content types, bodies that match their declared schema).

The schemas are built from the apps at import time (``app.openapi()`` needs no running
server), so pytest can parametrize one test per operation; the requests go to a live
server whose ``/openapi.json`` is checked to be the same document.
"""

from __future__ import annotations

import collections
import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from graph_olap_server.app import create_app
from graph_olap_server.settings import Settings
from graph_olap_server.wrapper.app import create_wrapper_app
from graph_olap_server.wrapper.auth import StaticAuthorizer
from graph_olap_server.wrapper.config import WrapperConfig

EXAMPLES_PER_OPERATION = int(os.environ.get("GRAPH_OLAP_FUZZ_EXAMPLES", "10"))
"""Requests per operation and caller (valid and invalid ones mixed). Derandomized: every
run sends the same ones. Raise it for a deeper, slower run:
``GRAPH_OLAP_FUZZ_EXAMPLES=200 pytest tests/fuzz``."""

BOUNDARIES_PER_OPERATION = int(os.environ.get("GRAPH_OLAP_FUZZ_BOUNDARIES", "15"))
"""Boundary-value requests per operation and caller, spread over all schemathesis makes
(``GRAPH_OLAP_FUZZ_BOUNDARIES=10000`` sends every one of them)."""

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

REQUESTS: collections.Counter[str] = collections.Counter()
"""Requests sent per target (``control-plane``, ``wrapper``), for the closing summary."""
OPERATIONS: dict[str, set[str]] = collections.defaultdict(set)
"""Operations fuzzed per target."""


def control_plane_document() -> dict[str, Any]:
    """The control plane's OpenAPI document (the app is built, never started)."""
    return create_app(Settings(data_dir=Path("/nonexistent/graph-olap-fuzz"))).openapi()


def wrapper_document() -> dict[str, Any]:
    """The wrapper's OpenAPI document (no graph engine is imported to build it)."""
    config = WrapperConfig(
        instance_id=7, snapshot_dir=Path("/nonexistent"), data_dir=Path("/nonexistent")
    )
    app = create_wrapper_app(config, authorizer=StaticAuthorizer(frozenset({"alice"})))
    return app.openapi()


def labels(document: dict[str, Any], keep: Callable[[str, str], bool] | None = None) -> list[str]:
    """``"METHOD /path"`` of every operation (that ``keep(method, path)`` accepts)."""
    return [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
        if keep is None or keep(method.upper(), path)
    ]


@dataclasses.dataclass
class Target:
    """A live server and the OpenAPI document it serves."""

    name: str
    url: str
    document: dict[str, Any]

    def __post_init__(self) -> None:
        self.schema = schemathesis.openapi.from_dict(self.document)
        self.session = requests.Session()
        self.session.trust_env = False

    def operation(self, label: str) -> Any:
        method, path = label.split(" ", 1)
        return self.schema[path][method]

    def fuzz(
        self,
        label: str,
        headers: dict[str, str],
        *,
        max_examples: int,
        boundaries: int = 0,
        path_parameters: dict[str, Any] | None = None,
        also: Callable[[Case, Any], None] | None = None,
    ) -> int:
        """Send ``boundaries`` boundary-value requests (schemathesis' coverage phase:
        empty, minimal and maximal values, wrong types, missing fields; spread evenly over
        all it makes) and ``max_examples`` generated ones, valid and invalid, to one
        operation as the caller in ``headers``. Run the checks on each answer (and
        ``also(case, response)``).

        Returns the number of requests sent; a failed check fails the test with
        schemathesis' report and a curl command that reproduces it.
        """
        operation = self.operation(label)
        modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
        strategies = [
            operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            for mode in modes
        ]
        sent = 0

        @settings(
            max_examples=max_examples,
            derandomize=True,  # the same requests on every run: CI failures reproduce
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: Case) -> None:
            nonlocal sent
            response = case.call(base_url=self.url, session=self.session, headers=headers)
            sent += 1
            case.validate_response(response, checks=CHECKS, headers=headers)
            if also is not None:
                also(case, response)

        for case in reversed(self._boundary_cases(operation, boundaries, path_parameters)):
            run = example(case=case)(run)  # explicit examples run in reverse order
        try:
            run()
        finally:
            REQUESTS[self.name] += sent
            OPERATIONS[self.name].add(label)
        return sent

    def _boundary_cases(
        self, operation: Any, count: int, path_parameters: dict[str, Any] | None
    ) -> list[Case]:
        if count <= 0:
            return []
        generator = CoverageGenerator(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=self.schema.config.generation_for(
                operation=operation, phase="coverage"
            ),
            auth_storage=None,
            override=Override(path_parameters=dict(path_parameters or {})),
            feedback=NO_FEEDBACK,
        )
        cases = list(generator)
        step = max(1.0, len(cases) / count)
        return [cases[int(i * step)] for i in range(min(count, len(cases)))]

    def close(self) -> None:
        self.session.close()
