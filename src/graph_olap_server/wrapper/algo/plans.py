"""From a ``RunRequest`` to a checked :class:`~.executions.Plan` (every 400 happens here).

The algorithm is resolved (404 with close matches), its parameters coerced, the selection
and orientation checked, the ``mutate`` property name vetted (never a mapping's own
property: an algorithm must not overwrite the user's data), and for NetworkX the run's
time estimated (400 ``GRAPH_TOO_LARGE`` above the limit unless ``force``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from graph_olap_server.wrapper import schemas
from graph_olap_server.wrapper.algo import native
from graph_olap_server.wrapper.algo.base import AlgorithmInfo, Orientation, invalid
from graph_olap_server.wrapper.algo.executions import MAX_WAIT_MS, Plan
from graph_olap_server.wrapper.algo.projection import Selection, select
from graph_olap_server.wrapper.query import check_parameters

if TYPE_CHECKING:
    from graph_olap_server.wrapper.algo.executions import ExecutionManager
    from graph_olap_server.wrapper.manifest import Manifest

__all__ = [
    "RunRequest",
    "native_catalog_api",
    "native_info_api",
    "networkx_catalog_api",
    "networkx_info_api",
    "plan_native",
    "plan_networkx",
]

_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class RunRequest(BaseModel):
    """The body of ``POST /algo/{name}`` and ``POST /networkx/{name}``."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["stream", "mutate"] = "stream"
    node_labels: list[str] | None = Field(default=None, max_length=1000)
    relationship_types: list[str] | None = Field(default=None, max_length=1000)
    weight_property: str | None = Field(default=None, max_length=200)
    orientation: Orientation | None = None
    property: str | None = Field(default=None, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    wait_ms: int = Field(default=0, ge=0, le=MAX_WAIT_MS)
    force: bool = False

    @field_validator("parameters")
    @classmethod
    def _engine_can_take(cls, parameters: dict[str, Any]) -> dict[str, Any]:
        return check_parameters(parameters)  # nesting and integer range, as for queries


def native_catalog_api() -> schemas.AlgorithmList:
    """``GET /algo``: the native algorithms."""
    return schemas.AlgorithmList(algorithms=[a.info.to_public() for a in native.native_catalog()])


def native_info_api(name: str) -> schemas.AlgorithmInfo:
    """``GET /algo/{name}`` (404 ``ALGORITHM_NOT_FOUND`` for an unknown name)."""
    return native.native_info(name).info.to_public(full=True)


def networkx_catalog_api() -> schemas.AlgorithmList:
    """``GET /networkx``: the NetworkX algorithms."""
    from graph_olap_server.wrapper.algo import nx_bridge  # imports networkx: on first use

    return schemas.AlgorithmList(
        algorithms=[info.to_public() for info in nx_bridge.catalog().values()]
    )


def networkx_info_api(name: str) -> schemas.AlgorithmInfo:
    """``GET /networkx/{name}`` (404 ``ALGORITHM_NOT_FOUND`` for an unknown name)."""
    from graph_olap_server.wrapper.algo import nx_bridge

    return nx_bridge.networkx_info(name).to_public(full=True)


def _selection(body: RunRequest, manifest: Manifest, info: AlgorithmInfo) -> Selection:
    if body.weight_property is not None and not info.weighted:
        raise invalid(
            f"{info.name} does not use relationship weights; leave weight_property out.",
            "weight_property",
        )
    return select(manifest, body.node_labels, body.relationship_types, body.weight_property)


def _property(
    body: RunRequest, info: AlgorithmInfo, selection: Selection, manifest: Manifest
) -> str | None:
    if body.mode != "mutate":
        if body.property is not None:
            raise invalid("property is only used with mode='mutate'.", "property")
        return None
    if "mutate" not in info.modes:
        raise invalid(
            f"{info.name} does not give one value per node, so it cannot run in mode "
            "'mutate'; use mode='stream'.",
            "mode",
        )
    name = body.property or info.default_property or info.name.rsplit(".", 1)[-1]
    if not _PROPERTY.match(name):
        raise invalid(
            f"property {name!r} is not a valid property name: use letters, digits and "
            "underscores, starting with a letter (at most 63 characters).",
            "property",
        )
    for node in manifest.nodes:
        if node.label not in selection.node_labels:
            continue
        own = {node.primary_key.name.lower()} | {p.name.lower() for p in node.properties}
        if name.lower() in own:
            raise invalid(
                f"property {name!r} is one of {node.label}'s mapped properties; an algorithm "
                "never overwrites the mapping's data. Pass another property=... name.",
                "property",
            )
    return name


def plan_native(name: str, body: RunRequest, manifest: Manifest) -> Plan:
    """The plan for native algorithm ``name`` (400/404 if the request cannot run)."""
    algorithm = native.native_info(name)
    info = algorithm.info
    if body.force:
        raise invalid("force is only used by NetworkX algorithms.", "force")
    params = algorithm.coerce(body.parameters)
    orientation = algorithm.orientation(body.orientation)
    selection = _selection(body, manifest, info)
    prop = _property(body, info, selection, manifest)

    def run(projection: Any, progress: Any) -> Any:
        return algorithm.run(projection, params, orientation, progress)

    return Plan(
        kind="native",
        algorithm=info.name,
        mode=body.mode,
        selection=selection,
        orientation=orientation,
        parameters=params,
        run=run,
        property=prop,
    )


def plan_networkx(
    name: str, body: RunRequest, manifest: Manifest, manager: ExecutionManager
) -> Plan:
    """The plan for NetworkX function ``name``; refuses runs estimated to be too slow."""
    from graph_olap_server.wrapper.algo import nx_bridge

    info = nx_bridge.networkx_info(name)
    kwargs = nx_bridge.validate(info.name, body.parameters)
    entry = nx_bridge.networkx_function(info.name)
    orientation = nx_bridge.check_orientation(entry, body.orientation)
    selection = _selection(body, manifest, info)
    prop = _property(body, info, selection, manifest)
    if not body.force:
        nodes, relationships = manager.selection_size(manifest, selection)
        nx_bridge.check_size(info.name, nodes, relationships, kwargs)

    def run(projection: Any, progress: Any) -> Any:
        return nx_bridge.run_networkx(info.name, projection, orientation, kwargs, progress)

    return Plan(
        kind="networkx",
        algorithm=info.name,
        mode=body.mode,
        selection=selection,
        orientation=orientation,
        parameters=kwargs,
        run=run,
        property=prop,
        interruptible=True,
    )
