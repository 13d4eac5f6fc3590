"""Every public function of the SDK's design has a signature that accepts the design's calls.

For each ``def`` in the design (``design_doc.methods()``), the SDK's function must:

* take the design's positional-or-keyword parameters in the design's order, positionally;
* accept every keyword-only parameter of the design by keyword (and ``**kwargs`` where the
  design has them);
* not require a parameter the design lets callers leave out (an SDK-only parameter is
  keyword-only or has a default);
* return a ``dict`` (subclass) where the design returns one, and a list of them where it
  returns a list of dicts.

A default that differs from the design's, or a different return model, is a *documented
difference*: it must be a row of ``docs/design-differences.md``, with its reason, and every
row there must still be a real difference.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest

import graph_olap
import graph_olap.models
import graph_olap.notebook
import graph_olap.resources
import graph_olap.styles
import graph_olap.testing
from graph_olap.http import AsyncHTTPClient, HTTPClient

from .design_doc import DesignMethod, methods

DIFFERENCES_PAGE = Path(__file__).resolve().parents[2] / "docs/design-differences.md"

MODULE_OF_SECTION = {
    "Notebook Integration": graph_olap.notebook,
    "Environment Detection": graph_olap.notebook,
    "Module Components": graph_olap.testing,
    "CSS Location": graph_olap.styles,
}
USER_CODE = {"show_progress"}  # functions the examples define for the reader


def sdk_object(method: DesignMethod) -> Any:
    """The SDK function the design's ``method`` describes."""
    if method.owner is None:
        return getattr(MODULE_OF_SECTION[method.section], method.name)
    for home in (graph_olap, graph_olap.resources, graph_olap.models, graph_olap.testing):
        owner = getattr(home, method.owner, None)
        if owner is not None:
            break
    else:
        owner = {"HTTPClient": HTTPClient}[method.owner]
    member = getattr(owner, method.name)
    return getattr(member, "_fn", member)  # an api_method's operation generator


def public_methods() -> list[DesignMethod]:
    return [
        m
        for m in methods()
        if m.name not in USER_CODE and (not m.name.startswith("_") or m.name == "__init__")
    ]


def _unwrap(annotation: Any) -> Any:
    """``Op[T]`` / ``Awaitable[T]`` -> ``T``."""
    origin = typing.get_origin(annotation)
    if origin is not None and getattr(origin, "__name__", "") == "Generator":
        return typing.get_args(annotation)[2]
    return annotation


def _return_type(fn: Any) -> Any:
    hints = typing.get_type_hints(fn, vars(inspect.getmodule(fn)))
    return _unwrap(hints.get("return"))


def _is_dict(tp: Any) -> bool:
    return (isinstance(tp, type) and issubclass(tp, dict)) or typing.get_origin(tp) is dict


def differences(method: DesignMethod) -> tuple[list[str], list[str]]:
    """(breaks, documented-or-not differences) of the SDK's function against the design."""
    breaks: list[str] = []
    diffs: list[str] = []
    obj = sdk_object(method)
    if isinstance(obj, property):
        return breaks, diffs
    sig = inspect.signature(obj)
    params = [p for n, p in sig.parameters.items() if n not in ("self", "cls")]
    by_name = {p.name: p for p in params}
    has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    design_defaults = method.defaults()
    design_names = {a.arg for a in method.positional() + method.args.kwonlyargs}
    where = method.where

    for i, arg in enumerate(method.positional()):
        p = params[i] if i < len(params) else None
        if p is None or p.name != arg.arg or p.kind not in (p.POSITIONAL_OR_KEYWORD,):
            got = f"{p.name} ({p.kind.description})" if p else "nothing"
            breaks.append(f"{where}: positional parameter {i + 1} is {arg.arg!r}, SDK has {got}")
    for arg in method.args.kwonlyargs:
        p = by_name.get(arg.arg)
        if (p is None and not has_var_kw) or (p is not None and p.kind is p.POSITIONAL_ONLY):
            breaks.append(f"{where}: keyword {arg.arg!r} is not accepted")
    if method.args.kwarg and not has_var_kw:
        breaks.append(f"{where}: **{method.args.kwarg.arg} is not accepted")
    for name, default in design_defaults.items():
        p = by_name.get(name)
        if p is None:
            continue
        if p.default is p.empty:
            breaks.append(f"{where}: {name!r} is optional in the design, required in the SDK")
        elif p.default != default:
            diffs.append(f"{where}({name}) default {default!r} -> {p.default!r}")
    for p in params:
        required = p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        if p.name not in design_names and required:
            breaks.append(f"{where}: the SDK requires {p.name!r}, which the design does not have")

    if method.returns and method.returns != "None":
        declared = method.returns
        actual = _return_type(obj)
        if declared.startswith("dict"):
            if not _is_dict(actual):
                breaks.append(f"{where}: returns {actual!r}, the design a dict")
        elif declared.startswith("list[dict"):
            item = typing.get_args(actual)[0] if typing.get_origin(actual) is list else None
            if not _is_dict(item):
                breaks.append(f"{where}: returns {actual!r}, the design a list of dicts")
        else:
            name = re.sub(r"\[.*", "", declared)
            got = " | ".join(
                getattr(typing.get_origin(t) or t, "__name__", str(t))
                for t in (
                    typing.get_args(actual) if isinstance(actual, types.UnionType) else [actual]
                )
            ).replace("NoneType", "None")
            if got == "Self":
                got = method.owner or got
            if name != got:
                diffs.append(f"{where} returns {got} (design: {declared})")
    return breaks, diffs


def documented() -> set[str]:
    """The differences listed on the documentation page (the first column of the table
    of its "Signatures" section)."""
    section = DIFFERENCES_PAGE.read_text().split("\n## Signatures\n", 1)[1].split("\n## ")[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.M))


@pytest.mark.parametrize("method", public_methods(), ids=lambda m: f"{m.section}:{m.where}")
def test_design_calls_are_accepted(method: DesignMethod) -> None:
    breaks, diffs = differences(method)
    assert not breaks, "\n".join(breaks)
    undocumented = [d for d in diffs if d not in documented()]
    assert not undocumented, (
        "differences from the design missing from docs/design-differences.md "
        "(add a row with the reason, or follow the design):\n" + "\n".join(undocumented)
    )


def test_every_documented_difference_is_real() -> None:
    real = {d for m in public_methods() for d in differences(m)[1]}
    stale = documented() - real
    assert not stale, f"rows of docs/design-differences.md that no longer differ: {stale}"


def test_async_client_mirrors_the_design_methods() -> None:
    """The async client's resources take the same parameters (its methods are awaitables)."""
    sync = graph_olap.GraphOLAPClient(api_url="http://127.0.0.1:9", username="a")
    aclient = graph_olap.AsyncGraphOLAPClient(api_url="http://127.0.0.1:9", username="a")
    for method in public_methods():
        resource = method.owner and method.owner.removesuffix("Resource").lower()
        attr = {"mapping": "mappings", "snapshot": "snapshots", "instance": "instances"}
        name = attr.get(resource or "", resource or "")
        if not name or not hasattr(sync, name) or method.name.startswith("__"):
            continue
        a = inspect.signature(getattr(getattr(aclient, name), method.name))
        s = inspect.signature(getattr(getattr(sync, name), method.name))
        assert list(a.parameters) == list(s.parameters), method.where
    assert isinstance(aclient._http, AsyncHTTPClient)
    sync.close()
