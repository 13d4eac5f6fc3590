"""Building an algorithm run's request from its options, checked once.

The options themselves are declared in :mod:`graph_olap.instance.options`;
:func:`request_body` turns a run's options into the JSON body of ``POST /algo/{name}``
(``/networkx/{name}``), through :func:`run_request`, which checks each field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graph_olap import exceptions as exc
from graph_olap._core.resource import require_text
from graph_olap.instance.options import (
    RUN_DEFAULTS,
    Labels,
    Mode,
    Orientation,
    RunOptions,
    split_options,
)

__all__ = [
    "RUN_DEFAULTS",
    "Labels",
    "Mode",
    "Orientation",
    "RunOptions",
    "check_timeout",
    "node_key",
    "request_body",
    "resolve_parameters",
    "run_request",
    "split_options",
    "typed_parameters",
]

ORIENTATIONS = ("natural", "reverse", "undirected")
MODES = ("stream", "mutate")


def _names(value: Labels, field: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) and v for v in value):
        raise exc.ValidationError(
            f"{field} must be a name or a list of names, e.g. ['Account'], got {value!r}.",
            details={"parameter": field},
        )
    return list(value)


def _choice(value: Any, field: str, choices: Sequence[str], *, optional: bool) -> Any:
    if (value is None and optional) or value in choices:
        return value
    options = ", ".join(repr(c) for c in choices)
    raise exc.ValidationError(
        f"{field} must be one of {options}, got {value!r}.", details={"parameter": field}
    )


def _text_or_none(value: Any, field: str) -> str | None:
    if value is None:
        return None
    return require_text(value, field)


def run_request(
    *,
    parameters: Mapping[str, Any],
    node_labels: Labels = None,
    relationship_types: Labels = None,
    weight_property: str | None = None,
    orientation: str | None = None,
    mode: str = "stream",
    property: str | None = None,
    wait_ms: int = 0,
    force: bool = False,
) -> dict[str, Any]:
    """The JSON body of ``POST /algo/{name}`` (a ``RunRequest``), checked.

    Raises:
        ValidationError: A selection, mode or orientation that can never be valid.

    Example:
        >>> run_request(parameters={"damping_factor": 0.9}, node_labels="Account")["node_labels"]
        ['Account']
    """
    if not isinstance(parameters, Mapping):
        raise exc.ValidationError(
            f"parameters must be a dict, got {type(parameters).__name__}.",
            details={"parameter": "parameters"},
        )
    if isinstance(wait_ms, bool) or not isinstance(wait_ms, int) or not 0 <= wait_ms <= 30000:
        raise exc.ValidationError(
            f"wait_ms must be 0..30000, got {wait_ms!r}.", details={"parameter": "wait_ms"}
        )
    return {
        "mode": _choice(mode, "mode", MODES, optional=False),
        "node_labels": _names(node_labels, "node_labels"),
        "relationship_types": _names(relationship_types, "relationship_types"),
        "weight_property": _text_or_none(weight_property, "weight_property"),
        "orientation": _choice(orientation, "orientation", ORIENTATIONS, optional=True),
        "property": _text_or_none(property, "property"),
        "parameters": dict(parameters),
        "wait_ms": wait_ms,
        "force": bool(force),
    }


def request_body(parameters: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The checked JSON body of a run with these ``parameters`` and ``options`` (every
    option present, as :func:`~graph_olap.instance.options.split_options` gives them).

    Example:
        >>> request_body({}, split_options("conn.algo.wcc()", {"mode": "mutate"}))["mode"]
        'mutate'
    """
    return run_request(
        parameters=parameters,
        node_labels=options["node_labels"],
        relationship_types=options["relationship_types"],
        weight_property=options["weight_property"],
        orientation=options["orientation"],
        mode=options["mode"],
        property=options["property"],
        force=options.get("force", False),
    )


def resolve_parameters(
    parameters: Mapping[str, Any] | None, extra: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """``parameters`` (a dict) merged with keyword arguments; a name given twice is an
    error."""
    merged = dict(parameters or {})
    twice = sorted(set(merged) & set(extra))
    if twice:
        raise exc.ValidationError(
            f"{where}: {', '.join(twice)} given both in parameters= and as keyword arguments.",
            details={"parameter": twice[0]},
        )
    merged.update(extra)
    return merged


def typed_parameters(**given: Any) -> dict[str, Any]:
    """A typed method's parameters without the ones left ``None`` (the wrapper's default
    applies)."""
    return {k: v for k, v in given.items() if v is not None}


def node_key(value: Any, field: str) -> Any:
    """A node's primary key argument (``source``, ``target``): an int or a string."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise exc.ValidationError(
            f"{field} must be a node's primary key (an integer or a string), got {value!r}.",
            details={"parameter": field},
        )
    return value


def check_timeout(timeout: float | None, default: float) -> float:
    """``timeout`` checked (a positive number of seconds), or ``default`` for None."""
    if timeout is None:
        return default
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise exc.ValidationError(
            f"timeout must be a positive number of seconds, got {timeout!r}.",
            details={"parameter": "timeout"},
        )
    return float(timeout)
