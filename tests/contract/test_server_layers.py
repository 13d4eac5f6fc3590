"""The control plane's layers stay apart: a route module never imports another route
module, the service layer never imports a route, and every route answers a declared
model (no dict builders in the routes)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import graph_olap_server

PACKAGE = Path(graph_olap_server.__file__).parent
ROUTES = sorted((PACKAGE / "api" / "routes").glob("*.py"))
SERVICES = sorted((PACKAGE / "services").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", ROUTES + SERVICES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_module_imports_a_route(path: Path) -> None:
    routes = {m for m in imported_modules(path) if m.startswith("graph_olap_server.api.routes")}
    assert routes == set(), f"{path.name} imports route modules {sorted(routes)}"


@pytest.mark.parametrize("path", ROUTES, ids=lambda p: p.name)
def test_routes_return_declared_models(path: Path) -> None:
    """A route function's return annotation is a model (``Envelope[...]``, ``Page[...]``,
    ``HealthOut``...) or a ``Response``, never a dict."""
    vague = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef):
            continue
        routed = any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and isinstance(d.func.value, ast.Name)
            and d.func.value.id == "router"
            for d in node.decorator_list
        )
        returns = ast.unparse(node.returns) if node.returns else ""
        if routed and ("dict" in returns or "Any" in returns or not returns):
            vague.append(f"{node.name} -> {returns or 'nothing'}")
    assert vague == []
