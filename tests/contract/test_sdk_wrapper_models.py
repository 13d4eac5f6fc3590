"""The SDK's models of an instance's answers agree with the wrapper's OpenAPI document.

For each answer the connection reads (``conn.query``, ``conn.schema``, ``conn.lock_status``,
the algorithm catalog and executions), the SDK's model and the wrapper's component agree
both ways, by wire name:

- every field the wrapper sends is one the SDK reads, and every field the SDK reads is one
  the wrapper sends (unless :data:`ALLOWED` says why not);
- the SDK accepts every value the wire schema allows (types, ``null``, enum values,
  items, nested models, which are compared in turn);
- a field the wrapper may leave out has a default in the SDK, and a field the SDK requires
  is always sent, never ``null``.

The wrapper's document is built from the app (never started), as the fuzz suite builds it.
"""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from graph_olap.instance.large import HeldResultInfo
from graph_olap.instance.result import QueryResult
from graph_olap.models.algorithm import (
    AlgorithmExecution,
    AlgorithmInfo,
    AlgorithmParameter,
    AlgorithmProgress,
    ExecutionError,
)
from graph_olap.models.graph import GraphSchema
from graph_olap.models.instance import LockStatus
from tests.fuzz.harness import wrapper_document

DOCUMENT = wrapper_document()
COMPONENTS: dict[str, dict[str, Any]] = DOCUMENT["components"]["schemas"]

ROOTS: list[tuple[type, str]] = [
    (QueryResult, "QueryResult"),  # POST /query (JSON)
    (QueryResult, "ExecutionTable"),  # GET /algo/executions/{id}/result, a table as JSON
    (GraphSchema, "GraphSchema"),  # GET /schema
    (LockStatus, "LockStatus"),  # GET /lock
    (AlgorithmInfo, "AlgorithmInfo"),  # GET /algo/{name}, GET /networkx/{name}
    (AlgorithmExecution, "AlgorithmExecution"),  # runs and /algo/executions/{id}
    (AlgorithmParameter, "AlgorithmParameter"),
    (AlgorithmProgress, "ExecutionProgress"),
    (ExecutionError, "ExecutionError"),
    (HeldResultInfo, "HeldResultInfo"),  # guarded fetch: POST /results, GET /results/{id}
]
"""(SDK model, wrapper component) pairs read by the connection; nested models found in
the wire schema are compared too."""

ALLOWED: dict[tuple[str, str], str] = {
    # QueryResult.from_api takes the Cypher text from the caller, not from the answer.
    ("QueryResult", "query"): "the SDK records the query it sent",
    # A table result is columns and rows only: the SDK defaults the rest.
    ("ExecutionTable", "column_types"): "algorithm results carry Arrow types only in Arrow",
    ("ExecutionTable", "execution_time_ms"): "the execution has duration_ms instead",
    ("ExecutionTable", "truncated"): "algorithm results are never cut",
    ("ExecutionTable", "query"): "no query produced the table",
    # The summary is an open map of figures; the SDK types the common ones and keeps the
    # rest (extra="allow"), so an object of any figures is what it reads.
    ("AlgorithmExecution", "summary"): "an open map on the wire, AlgorithmSummary in the SDK",
}
"""``(wrapper component, field)`` -> why the two sides differ on purpose."""


@dataclasses.dataclass(frozen=True)
class SdkField:
    annotation: Any
    required: bool


def sdk_fields(model: type) -> dict[str, SdkField]:
    """The fields the SDK reads from the wire, by wire name (pydantic models by alias;
    other classes by the keyword arguments ``from_api`` fills)."""
    if issubclass(model, BaseModel):
        hints = typing.get_type_hints(model)
        return {
            info.alias or name: SdkField(hints[name], info.is_required())
            for name, info in model.model_fields.items()
        }
    hints = typing.get_type_hints(model.__init__)  # type: ignore[misc]
    params = inspect.signature(model.__init__).parameters  # type: ignore[misc]
    return {
        name: SdkField(hints[name], p.default is inspect.Parameter.empty)
        for name, p in params.items()
        if name != "self"
    }


def _component(schema: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    ref = schema.get("$ref")
    if ref is None:
        return None, schema
    name = ref.rsplit("/", 1)[1]
    return name, COMPONENTS[name]


def _members(annotation: Any) -> list[Any]:
    """The types a union (``X | None``, ``Optional``) stands for; ``Annotated`` unwrapped."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


class Checker:
    """Compares pairs, collecting problems and the nested pairs still to compare."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.todo: list[tuple[type, str]] = []

    def accepts(self, annotation: Any, schema: Mapping[str, Any], where: str) -> bool:
        """Whether the SDK's ``annotation`` reads every value ``schema`` allows."""
        members = _members(annotation)
        if Any in members:
            return True
        choices = schema.get("anyOf") or schema.get("oneOf")
        if choices:
            return all(self.accepts(annotation, choice, where) for choice in choices)
        ref, resolved = _component(schema)
        if ref is not None:
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if models:
                self.todo.append((models[0], ref))
                return True
            return any(self._dict_like(m) for m in members)
        if not {k for k in resolved if k not in ("title", "description", "default")}:
            return False  # the wire sends any value: only Any reads it
        return any(self._member_accepts(m, resolved, where) for m in members)

    @staticmethod
    def _dict_like(member: Any) -> bool:
        origin = typing.get_origin(member) or member
        return isinstance(origin, type) and issubclass(origin, Mapping)

    def _member_accepts(self, member: Any, schema: Mapping[str, Any], where: str) -> bool:
        kind = schema.get("type")
        origin = typing.get_origin(member)
        if kind == "null":
            return member is type(None)
        if origin is typing.Literal:
            values = set(typing.get_args(member))
            wire = set(schema.get("enum", ()))
            return kind == "string" and bool(wire) and wire <= values
        if kind == "string":
            if schema.get("format") == "date-time" and member in (datetime.datetime, str):
                return True
            return isinstance(member, type) and issubclass(member, str)
        if kind == "integer":
            return member in (int, float)
        if kind == "number":
            return member is float
        if kind == "boolean":
            return member is bool
        if kind == "array":
            container = origin or member
            if not (isinstance(container, type) and issubclass(container, Sequence)):
                return False
            args = typing.get_args(member)
            return not args or self.accepts(args[0], schema.get("items", {}), where + "[]")
        if kind == "object":
            return self._dict_like(member)
        return False

    def compare(self, sdk_model: type, component: str) -> None:
        wire = COMPONENTS[component]
        wire_fields: dict[str, Any] = wire.get("properties", {})
        required = set(wire.get("required", []))
        sdk = sdk_fields(sdk_model)
        label = f"{sdk_model.__name__} vs {component}"
        for name in sorted(set(wire_fields) | set(sdk)):
            if (component, name) in ALLOWED:
                continue
            where = f"{label}.{name}"
            if name not in sdk:
                self.problems.append(f"{where}: the wrapper sends it, the SDK drops it")
                continue
            if name not in wire_fields:
                self.problems.append(f"{where}: the SDK reads it, the wrapper never sends it")
                continue
            field = sdk[name]
            if name not in required and field.required:
                self.problems.append(f"{where}: the wrapper may leave it out, the SDK requires it")
            if not self.accepts(field.annotation, wire_fields[name], where):
                self.problems.append(
                    f"{where}: the SDK's {field.annotation!r} does not read every value of "
                    f"the wire schema {dict(wire_fields[name])}"
                )


def compared_pairs() -> tuple[set[tuple[str, str]], list[str]]:
    checker = Checker()
    checker.todo.extend(ROOTS)
    done: set[tuple[type, str]] = set()
    while checker.todo:
        pair = checker.todo.pop()
        if pair in done:
            continue
        done.add(pair)
        checker.compare(*pair)
    return {(model.__name__, component) for model, component in done}, checker.problems


def test_the_sdk_and_the_wrapper_agree_on_every_answer_the_connection_reads() -> None:
    pairs, problems = compared_pairs()
    assert problems == []
    # nested models were reached through the wire schema and compared too
    assert {("NodeLabelSchema", "NodeLabelSchema"), ("GraphProperty", "GraphProperty")} <= pairs
    assert ("RelationshipTypeSchema", "RelationshipTypeSchema") in pairs


def test_every_allowed_difference_is_still_a_difference() -> None:
    """An allow-list entry for a field both sides now share is stale: remove it."""
    roots = {component: model for model, component in ROOTS}
    for component, name in ALLOWED:
        wire = set(COMPONENTS[component].get("properties", {}))
        sdk = set(sdk_fields(roots[component]))
        if name in wire and name in sdk:  # kept only where the types differ on purpose
            checker = Checker()
            schema = COMPONENTS[component]["properties"][name]
            assert not checker.accepts(sdk_fields(roots[component])[name].annotation, schema, "")
        else:
            assert (name in wire) != (name in sdk), (component, name)


def test_the_list_answers_hold_the_models_the_sdk_reads() -> None:
    """``GET /algo``, ``/networkx`` (``{"algorithms": [...]}``, read by ``info_list``)
    and ``GET /algo/executions`` (``{"executions": [...]}``)."""
    listed = {"AlgorithmList": ("algorithms", "AlgorithmInfo"),
              "ExecutionList": ("executions", "AlgorithmExecution")}  # fmt: skip
    for component, (key, item) in listed.items():
        schema = COMPONENTS[component]
        assert schema["required"] == [key]
        assert schema["properties"][key]["items"] == {"$ref": f"#/components/schemas/{item}"}


@pytest.mark.parametrize(
    ("annotation", "schema", "reads"),
    [
        (str, {"type": "string"}, True),
        (int, {"type": "string"}, False),
        (int, {"anyOf": [{"type": "integer"}, {"type": "null"}]}, False),
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}, True),
        (float | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}, True),
        (int, {"type": "number"}, False),
        (typing.Literal["a"], {"type": "string", "enum": ["a", "b"]}, False),
        (typing.Literal["a", "b"], {"type": "string", "enum": ["a"]}, True),
        (list[str], {"type": "array", "items": {"type": "integer"}}, False),
        (datetime.datetime, {"type": "string", "format": "date-time"}, True),
        (str, {"title": "Anything"}, False),
        (Any, {"title": "Anything"}, True),
    ],
)
def test_the_checker_catches_what_it_should(annotation: Any, schema: Any, reads: bool) -> None:
    assert Checker().accepts(annotation, schema, "x") is reads


def test_a_drift_on_either_side_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field the wrapper adds, one it drops and one it makes nullable are each named."""
    lock = dict(COMPONENTS["LockStatus"])
    properties = {k: v for k, v in lock["properties"].items() if k != "algorithm"}
    properties["expires_at"] = {"type": "string"}
    properties["locked"] = {"anyOf": [{"type": "boolean"}, {"type": "null"}]}
    monkeypatch.setitem(COMPONENTS, "LockStatus", {**lock, "properties": properties})
    _, problems = compared_pairs()
    assert sorted(p.split(":")[0] for p in problems) == [
        "LockStatus vs LockStatus.algorithm",
        "LockStatus vs LockStatus.expires_at",
        "LockStatus vs LockStatus.locked",
    ]
    assert any("the SDK reads it, the wrapper never sends it" in p for p in problems)
    assert any("the wrapper sends it, the SDK drops it" in p for p in problems)
