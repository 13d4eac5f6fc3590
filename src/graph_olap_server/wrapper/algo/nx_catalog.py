"""NetworkX functions by name: which ones ``conn.networkx`` offers, and their parameters.

The catalog holds every public NetworkX function that takes a graph as its first
argument: the ``networkx`` namespace and the subpackages of ``networkx.algorithms``
(``community``, ``approximation``, ``bipartite``, ``flow``, ``connectivity``, ``tree``,
``isomorphism``, ``node_classification``, ...), plus the graph queries of
``networkx.classes.function`` (``density``, ``degree``, ...) and the spectra of
``networkx.linalg``. Left out: generators, drawing, reading/writing, conversion to
other formats, matrix builders, operators that combine several graphs, functions that
need a second graph, and the helpers that modify a graph (``set_node_attributes``,
``double_edge_swap``, ...).

Naming: a function is named as NetworkX exports it. A function of the ``networkx``
namespace has its plain name (``betweenness_centrality``); one only in a subpackage has
``subpackage.name`` (``community.louvain_communities``), and is also found by its plain
name when no other catalog function has that name (``louvain_communities`` works,
``diameter`` is ``nx.diameter`` and ``approximation.diameter`` is the approximation). A
function exported under several names answers to each; the catalog lists it once. A
leading ``nx.`` or ``networkx.`` is ignored.

Each function's :class:`AlgorithmInfo`: the parameters of its signature after the graph
(``backend`` left out), type ``"any"``, the signature's default (one that is not JSON as
its name or ``repr``), required when it has none, described by the numpydoc entry (type
and first paragraph); the docstring's first paragraph as description, the whole as
documentation; the orientations its ``not_implemented_for`` decorators allow (the
default first: ``undirected`` when directed graphs are refused, else ``natural``).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import pkgutil
import re
import types
from collections.abc import Mapping
from typing import Any

from graph_olap_server.wrapper.algo.base import (
    AlgorithmInfo,
    Orientation,
    Param,
    invalid,
    not_found,
)

__all__ = [
    "NetworkXFunction",
    "catalog",
    "check_orientation",
    "entries",
    "networkx_function",
    "networkx_info",
    "validate",
]

_MODULES = (  # where catalog functions are defined
    "networkx.algorithms.",
    "networkx.classes.function",
    "networkx.linalg.algebraicconnectivity",
    "networkx.linalg.spectrum",
)
_SKIP_MODULES = re.compile(
    r"networkx\.algorithms\.(operators|bipartite\.(generators|edgelist|matrix))"
)
_SKIP_NAMES = frozenset(
    {
        # graph builders, views and mutators of networkx.classes.function
        "create_empty_copy", "describe", "edge_subgraph", "freeze", "induced_subgraph",
        "is_frozen", "restricted_view", "reverse_view", "subgraph", "subgraph_view",
        "to_directed", "to_undirected", "set_node_attributes", "set_edge_attributes",
        "remove_node_attributes", "remove_edge_attributes",
        # rewire the graph they are given
        "double_edge_swap", "connected_double_edge_swap", "directed_edge_swap",
    }
)  # fmt: skip
_NOT_PARAMETERS = frozenset({"backend", "backend_kwargs"})


class NetworkXFunction:
    """One catalog entry: the function, its public names and what it accepts."""

    def __init__(self, name: str, func: Any, aliases: tuple[str, ...]) -> None:
        self.name = name
        self.func = func
        self.aliases = aliases
        self.short_name = name.rsplit(".", 1)[-1]
        sig = inspect.signature(func)
        params = list(sig.parameters.values())[1:]  # the first is the graph
        self.parameters = tuple(p for p in params if p.name not in _NOT_PARAMETERS)
        self.accepts_any_keyword = any(p.kind is p.VAR_KEYWORD for p in self.parameters)
        self.signature = str(sig.replace(parameters=self.parameters))
        # "directed"/"undirected": from its @not_implemented_for, or learnt from a run
        self.refuses: frozenset[str] = _refused_graph_kinds(func)
        # a function that may change its graph runs on a copy of the cached one
        self.mutates = bool(getattr(func, "mutates_input", False))

    @property
    def keywords(self) -> dict[str, inspect.Parameter]:
        """The parameters a caller names (not ``*args``/``**kwargs``)."""
        return {
            p.name: p for p in self.parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }

    @functools.cached_property
    def parameter_docs(self) -> dict[str, tuple[str, str]]:
        """Each parameter's numpydoc ``(type, first paragraph)``."""
        return _parameter_docs(_docstring(self.func))

    @property
    def orientations(self) -> tuple[Orientation, ...]:
        """The orientations it accepts, its default first."""
        if "directed" in self.refuses:
            return ("undirected",)
        if "undirected" in self.refuses:
            return ("natural", "reverse")
        return ("natural", "reverse", "undirected")

    def learn_refusal(self, kind: str) -> None:
        """Remember that a run on a ``kind`` graph raised "not implemented for ``kind``"
        (from a function it calls), so the next request is a 400 before running."""
        refuses = self.refuses | {kind}
        if kind in ("directed", "undirected") and refuses != {"directed", "undirected"}:
            self.refuses = refuses
            self.__dict__.pop("info", None)  # built again with the new orientations

    @functools.cached_property
    def info(self) -> AlgorithmInfo:
        doc = _docstring(self.func)
        params = []
        for p in self.keywords.values():
            kind, text = self.parameter_docs.get(p.name, ("", ""))
            params.append(
                Param(
                    name=p.name,
                    type="any",
                    default=None if p.default is p.empty else _jsonable_default(p.default),
                    required=p.default is p.empty,
                    description=f"{kind}: {text}" if kind and text else kind or text,
                )
            )
        return AlgorithmInfo(
            name=self.name,
            kind="networkx",
            title=self.short_name.replace("_", " ").capitalize(),
            description=" ".join(doc.split("\n\n", 1)[0].split()),
            parameters=tuple(params),
            default_orientation=self.orientations[0],
            orientations=self.orientations,
            weighted="weight" in self.keywords,
            default_property=self.short_name,
            signature=self.signature,
            documentation=doc,
        )


def entries() -> dict[str, NetworkXFunction]:
    """Every catalog function by its name, sorted (found once, on first use)."""
    return _discover()[0]


def catalog() -> dict[str, AlgorithmInfo]:
    """What ``GET /networkx`` lists: every catalog function's info by name."""
    return {name: entry.info for name, entry in entries().items()}


def networkx_function(name: str) -> NetworkXFunction:
    """The function ``name`` (a catalog name or an alias); 404 with close matches if none."""
    known = entries()
    key = name.removeprefix("networkx.").removeprefix("nx.").removeprefix("algorithms.")
    aliases = _discover()[1]
    found = known.get(key) or aliases.get(key)
    if found is None:
        raise not_found("networkx", name, set(known) | set(aliases))
    return found


def networkx_info(name: str) -> AlgorithmInfo:
    """What ``GET /networkx/{name}`` answers (404 with close matches if unknown)."""
    return networkx_function(name).info


def check_orientation(entry: NetworkXFunction, orientation: Orientation | None) -> Orientation:
    """The orientation to run with (the function's default for None); 400 if it refuses it."""
    if orientation is None:
        return entry.orientations[0]
    if orientation not in ("natural", "reverse", "undirected"):
        raise invalid(
            f"orientation must be 'natural', 'reverse' or 'undirected', got {orientation!r}.",
            "orientation",
        )
    if orientation not in entry.orientations:
        refused = "undirected" if orientation == "undirected" else "directed"
        need = " or ".join(repr(o) for o in entry.orientations)
        raise invalid(
            f"networkx.{entry.short_name} is not implemented for {refused} graphs, and "
            f"orientation={orientation!r} builds a{'n' if refused == 'undirected' else ''} "
            f"{refused} graph. Pass orientation={need}.",
            "orientation",
            orientations=list(entry.orientations),
        )
    return orientation


def validate(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` checked against the signature of ``name``: 400 for an unknown argument
    (with close matches and the accepted ones) or a missing required one."""
    entry = networkx_function(name)
    known = entry.keywords
    usage = f"networkx.{entry.short_name}{entry.signature}"
    for key in given:
        if key not in known and (not entry.accepts_any_keyword or key in _NOT_PARAMETERS):
            close = difflib.get_close_matches(key, list(known), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise invalid(
                f"networkx.{entry.short_name} has no parameter {key!r}.{hint} It accepts "
                f"{', '.join(known) or 'no keyword arguments'}: {usage}.",
                key,
                accepted=list(known),
            )
    missing = [p for p in known if known[p].default is known[p].empty and p not in given]
    if missing:
        raise invalid(
            f"networkx.{entry.short_name} needs {', '.join(repr(m) for m in missing)}: {usage}.",
            missing[0],
        )
    return dict(given)


# -- discovery ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _discover() -> tuple[dict[str, NetworkXFunction], dict[str, NetworkXFunction]]:
    """The catalog by name, and the other names that find its functions."""
    import networkx as nx

    names: dict[int, tuple[Any, list[str]]] = {}  # id(func) -> (func, exported names)

    def collect(prefix: str, module: types.ModuleType) -> None:
        for attr in dir(module):
            obj = getattr(module, attr)
            if not attr.startswith("_") and _is_algorithm(obj):
                names.setdefault(id(obj), (obj, []))[1].append(prefix + attr)

    collect("", nx)
    for sub in pkgutil.iter_modules(nx.algorithms.__path__):
        if sub.ispkg and sub.name != "operators":
            collect(f"{sub.name}.", importlib.import_module(f"networkx.algorithms.{sub.name}"))

    entries: dict[str, NetworkXFunction] = {}
    aliases: dict[str, NetworkXFunction] = {}
    for func, exported in names.values():
        ranked = sorted(
            set(exported),
            key=lambda n: ("." in n, n.rsplit(".", 1)[-1] != func.__name__, len(n), n),
        )
        entry = NetworkXFunction(ranked[0], func, tuple(ranked[1:]))
        entries[entry.name] = entry
        for alias in ranked[1:]:
            aliases[alias] = entry
    plain: dict[str, set[NetworkXFunction]] = {}
    for entry in entries.values():
        for full in (entry.name, *entry.aliases):
            plain.setdefault(full.rsplit(".", 1)[-1], set()).add(entry)
    for short, owners in plain.items():
        if len(owners) == 1 and short not in entries:
            aliases.setdefault(short, next(iter(owners)))
    return dict(sorted(entries.items())), aliases


def _is_algorithm(obj: Any) -> bool:
    if not isinstance(obj, types.FunctionType):
        return False
    module = getattr(obj, "__module__", "") or ""
    if not module.startswith(_MODULES) or _SKIP_MODULES.match(module):
        return False
    if obj.__name__ in _SKIP_NAMES or obj.__name__.startswith("strategy_"):
        return False
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params or params[0].kind not in (
        params[0].POSITIONAL_ONLY,
        params[0].POSITIONAL_OR_KEYWORD,
    ):
        return False
    graphs = getattr(obj, "graphs", None)
    if graphs is None:  # not dispatchable: the graph is named G or graph
        return params[0].name in ("G", "graph")
    required = set(graphs) - set(getattr(obj, "optional_graphs", ()) or ())
    return graphs.get(params[0].name) == 0 and required == {params[0].name}


class _Probe:
    """Stands in for a graph when asking a ``not_implemented_for`` check what it refuses."""

    def __init__(self, *, directed: bool) -> None:
        self._directed = directed

    def is_directed(self) -> bool:
        return self._directed

    def is_multigraph(self) -> bool:
        return False


def _refused_graph_kinds(func: Any) -> frozenset[str]:
    """``"directed"``/``"undirected"`` for each ``@not_implemented_for`` refusing that kind."""
    import networkx as nx

    refused: set[str] = set()
    todo, seen = [func], set()
    while todo:
        f = todo.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        check = getattr(getattr(f, "__argmap__", None), "_func", None)
        if callable(check) and getattr(check, "__name__", "") == "_not_implemented_for":
            for directed in (True, False):
                try:
                    check(_Probe(directed=directed))
                except nx.NetworkXNotImplemented:
                    refused.add("directed" if directed else "undirected")
        todo += [getattr(f, "__wrapped__", None), getattr(f, "orig_func", None)]
    return frozenset(refused)


# -- documentation ------------------------------------------------------------------------


def _docstring(func: Any) -> str:
    raw = getattr(func, "_orig_doc", None) or func.__doc__ or ""
    return inspect.cleandoc(raw)


_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)
_ENTRY = re.compile(r"^(\*{0,2}\w+(?:\s*,\s*\w+)*)\s*(?::\s*(.*))?$")


def _parameter_docs(doc: str) -> dict[str, tuple[str, str]]:
    """Each entry of the numpydoc Parameters section: ``(type, first paragraph)``."""
    sections = list(_SECTION.finditer(doc))
    for i, header in enumerate(sections):
        if header.group(1).strip() == "Parameters":
            end = sections[i + 1].start() if i + 1 < len(sections) else len(doc)
            body = doc[header.end() : end]
            break
    else:
        return {}
    out: dict[str, tuple[str, str]] = {}
    names: list[str] = []
    lines: list[str] = []
    kind, ended = "", False

    def flush() -> None:
        for name in names:
            out[name] = (kind, " ".join(lines))

    for line in body.splitlines():
        match = _ENTRY.match(line) if line and not line[0].isspace() else None
        if match:
            flush()
            names = [n.strip().lstrip("*") for n in match.group(1).split(",")]
            kind, lines, ended = (match.group(2) or "").strip(), [], False
        elif names and not ended:
            if line.strip():
                lines.append(line.strip())
            elif lines:
                ended = True  # the first paragraph is enough
    flush()
    return out


def _jsonable_default(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, (tuple, list, frozenset, set)):
        return [_jsonable_default(v) for v in value]
    return getattr(value, "__name__", None) or repr(value)
