"""No import cycles in ``graph_olap`` or ``graph_olap_server``, not even through imports
hidden inside functions.

The graph is built from the source with ``ast``: an edge for every ``import`` and
``from ... import`` anywhere in a module (module level, inside functions and classes),
to the module imported (``from pkg import name`` points at ``pkg.name`` when that is a
module, else at ``pkg``). Importing a submodule also runs its parent packages'
``__init__``, but that is not counted as an edge (every module would then be in a cycle
with its package); what a package's ``__init__`` imports is.

Both packages count every import, those under ``if TYPE_CHECKING:`` too: neither has
a cycle (the server's last one, through ``api.deps``' ``User`` and the platform object,
went when ``User`` moved to ``identity.py`` and the platform's parts stopped holding the
platform).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import graph_olap
import graph_olap_server


def _modules(package: Path, name: str) -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package's __init__)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = [name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, *, type_checking: bool) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (under ``if TYPE_CHECKING:`` only when
    ``type_checking``)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if not type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _owner(target: str, modules: dict[str, tuple[Path, bool]]) -> str | None:
    """The module of the package that ``target`` names (itself, or its nearest parent)."""
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph(package: Path, name: str, *, type_checking: bool = True) -> nx.DiGraph:
    """The package's import graph: an edge ``a -> b`` when module ``a`` imports ``b``,
    with the line of the (first) import; ``type_checking=False`` leaves out the imports
    under ``if TYPE_CHECKING:``."""
    modules = _modules(package, name)
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports(tree, type_checking=type_checking):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from the module's package, up level - 1
                    here = module.split(".") if is_package else module.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join([*here, base] if base else here)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in targets:
                owner = _owner(target, modules)
                if owner is not None and owner != module and not graph.has_edge(module, owner):
                    graph.add_edge(module, owner, line=node.lineno)
    return graph


def cycles(graph: nx.DiGraph) -> list[tuple[str, ...]]:
    """One entry per strongly connected group of modules that import each other (sorted
    names), each a cycle or several sharing modules."""
    groups = [tuple(sorted(g)) for g in nx.strongly_connected_components(graph) if len(g) > 1]
    return sorted(groups)


def _describe(graph: nx.DiGraph, group: tuple[str, ...]) -> str:
    cycle = nx.find_cycle(graph.subgraph(group))
    steps = [f"{a} (line {graph.edges[a, b]['line']}) -> {b}" for a, b in cycle]
    return f"{', '.join(group)}\n    e.g. " + "\n         ".join(steps)


def _package_dir(package: object) -> Path:
    return Path(str(package.__file__)).parent  # type: ignore[attr-defined]


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text("from . import a\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import D\n"
    )
    (package / "d.py").write_text("import pkg.c\n")
    graph = import_graph(package, "pkg", type_checking=False)
    assert cycles(graph) == [("pkg.a", "pkg.b")]
    assert graph.has_edge("pkg.d", "pkg.c") and not graph.has_edge("pkg.c", "pkg.d")
    strict = import_graph(package, "pkg")
    assert cycles(strict) == [("pkg.a", "pkg.b"), ("pkg.c", "pkg.d")]


@pytest.mark.parametrize("package", [graph_olap, graph_olap_server], ids=lambda p: p.__name__)
def test_no_import_cycle(package: object) -> None:
    name = package.__name__  # type: ignore[attr-defined]
    graph = import_graph(_package_dir(package), name)
    assert graph.number_of_edges() > 100  # the whole package was read
    found = cycles(graph)
    assert not found, f"Import cycles in {name}:\n" + "\n".join(
        _describe(graph, group) for group in found
    )


@pytest.mark.parametrize("package", [graph_olap, graph_olap_server], ids=lambda p: p.__name__)
def test_every_module_is_read(package: object) -> None:
    directory = _package_dir(package)
    graph = import_graph(directory, package.__name__)  # type: ignore[attr-defined]
    assert graph.number_of_nodes() == len(list(directory.rglob("*.py")))
