"""Types every algorithm module shares: parameters, outputs, progress and errors.

An algorithm (native or NetworkX) is described by an :class:`AlgorithmInfo` (what
``GET /algo/{name}`` answers), checks its parameters *before* an execution starts
(:meth:`Param.coerce`; a bad one is a 400 at once), and runs as
``run(projection, parameters, progress) -> AlgoOutput`` in an execution thread.
"""

from __future__ import annotations

import dataclasses
import difflib
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from graph_olap_server.errors import APIError
from graph_olap_server.wrapper import schemas

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

__all__ = [
    "ORIENTATIONS",
    "AlgoOutput",
    "AlgorithmInfo",
    "Cancelled",
    "Orientation",
    "Param",
    "Progress",
    "coerce_parameters",
    "invalid",
    "not_found",
]

Orientation = Literal["natural", "reverse", "undirected"]
ORIENTATIONS: tuple[Orientation, ...] = ("natural", "reverse", "undirected")
ParamType = Literal["int", "float", "bool", "str", "node", "any"]


def invalid(message: str, parameter: str | None = None, **details: Any) -> APIError:
    """A 400 ``INVALID_PARAMETER`` naming what to fix."""
    extra = {"parameter": parameter} if parameter else {}
    return APIError(400, "INVALID_PARAMETER", message, {**extra, **details})


def not_found(kind: str, name: str, known: Iterable[str]) -> APIError:
    """A 404 ``ALGORITHM_NOT_FOUND`` with the close matches."""
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    where = "conn.algo.list()" if kind == "native" else "conn.networkx.list()"
    return APIError(
        404,
        "ALGORITHM_NOT_FOUND",
        f"There is no {'NetworkX ' if kind == 'networkx' else ''}algorithm {name!r}.{hint} "
        f"{where} lists them.",
        {"algorithm": name, "suggestions": close},
    )


@dataclasses.dataclass(frozen=True)
class Param:
    """One documented parameter of an algorithm.

    ``type`` ``"node"`` is a node's primary key, or ``[label, key]`` (resolved against the
    projection when the algorithm runs); ``"any"`` is any JSON value (NetworkX keyword
    arguments).
    """

    name: str
    type: ParamType
    default: Any = None
    description: str = ""
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None

    def to_public(self) -> schemas.AlgorithmParameter:
        """The parameter as the catalog answers it."""
        return schemas.AlgorithmParameter(
            name=self.name,
            type=self.type,
            default=self.default,
            required=self.required,
            description=self.description,
            choices=list(self.choices) if self.choices is not None else None,
            minimum=self.minimum,
            maximum=self.maximum,
        )

    def coerce(self, value: Any) -> Any:
        """``value`` checked against the type, range and choices (400 if it does not fit)."""
        if value is None:
            if self.required:
                raise invalid(f"Parameter {self.name!r} is required.", self.name)
            return None
        kind = self.type
        ok = True
        if kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
            if not ok and isinstance(value, float) and value.is_integer():
                value, ok = int(value), True
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "str":
            ok = isinstance(value, str)
        elif kind == "node":
            ok = _is_key(value) or (
                isinstance(value, (list, tuple))
                and len(value) == 2
                and isinstance(value[0], str)
                and _is_key(value[1])
            )
        if not ok:
            raise invalid(
                f"Parameter {self.name!r} must be {_TYPE_WORDS[kind]}, "
                f"got {type(value).__name__} {value!r}.",
                self.name,
            )
        if self.minimum is not None and value < self.minimum:
            raise invalid(
                f"Parameter {self.name!r} must be >= {self.minimum}, got {value}.", self.name
            )
        if self.maximum is not None and value > self.maximum:
            raise invalid(
                f"Parameter {self.name!r} must be <= {self.maximum}, got {value}.", self.name
            )
        if self.choices is not None and value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise invalid(
                f"Parameter {self.name!r} must be one of {options}, got {value!r}.", self.name
            )
        return value


def _is_key(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "node": "a node's primary key (integer or string; or [label, key])",
    "any": "a JSON value",
}


def coerce_parameters(
    algorithm: str, params: tuple[Param, ...], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Every declared parameter with its default or the given value, checked.

    Unknown names are a 400 that lists the accepted ones.
    """
    known = {p.name: p for p in params}
    for name in given:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            accepted = ", ".join(known) or "none"
            raise invalid(
                f"{algorithm} has no parameter {name!r}.{hint} It accepts: {accepted}.",
                name,
            )
    out: dict[str, Any] = {}
    for p in params:
        out[p.name] = p.coerce(given.get(p.name, p.default))
    return out


@dataclasses.dataclass(frozen=True)
class AlgorithmInfo:
    """What ``GET /algo/{name}`` and ``GET /networkx/{name}`` answer."""

    name: str
    kind: Literal["native", "networkx"]
    title: str
    description: str
    parameters: tuple[Param, ...]
    result_columns: tuple[str, ...] = ()
    default_property: str | None = None
    default_orientation: Orientation = "natural"
    orientations: tuple[Orientation, ...] = ORIENTATIONS
    weighted: bool = False
    modes: tuple[str, ...] = ("stream", "mutate")
    signature: str | None = None
    documentation: str | None = None

    def to_public(self, *, full: bool = False) -> schemas.AlgorithmInfo:
        """The algorithm as ``GET /algo/{name}`` answers it (``full``) or as an item of
        the catalog (no ``documentation``)."""
        return schemas.AlgorithmInfo(
            name=self.name,
            kind=self.kind,
            title=self.title,
            description=self.description,
            parameters=[p.to_public() for p in self.parameters],
            modes=list(self.modes),
            result_columns=list(self.result_columns),
            default_property=self.default_property,
            default_orientation=self.default_orientation,
            orientations=list(self.orientations),
            weighted=self.weighted,
            signature=self.signature,
            documentation=self.documentation if full else None,
        )

    def to_api(self, *, full: bool = False) -> dict[str, Any]:
        """:meth:`to_public` as plain Python values (what its JSON decodes to)."""
        return self.to_public(full=full).model_dump(by_alias=True)


@dataclasses.dataclass
class AlgoOutput:
    """What an algorithm produced.

    Exactly one of:

    - ``columns``: per-node result arrays, each of length ``projection.n`` and indexed by
      dense node id (the execution keys them by primary key; NaN / a mask drops a node:
      see ``keep``);
    - ``table``: a finished Arrow table (paths);
    - ``value``: any JSON-able Python value (NetworkX scalars, dicts, lists), already
      keyed by primary keys.

    ``stats`` goes into the execution's summary (iterations, modularity, components, ...).
    """

    columns: dict[str, np.ndarray] | None = None
    keep: np.ndarray | None = None  # bool per dense id: rows to return (None: all)
    table: pa.Table | None = None
    value: Any = None
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def kind(self) -> Literal["table", "value"]:
        return "value" if self.columns is None and self.table is None else "table"


class Cancelled(Exception):
    """Raised at a check point of a cancelled execution."""


class Progress:
    """Phase and step counts of one execution; the algorithm calls it, the API reads it.

    ``check()`` raises :class:`Cancelled` once the execution was cancelled; algorithms
    call it between steps. Thread-safe.
    """

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.phase = "queued"
        self.completed = 0
        self.total = 0
        self.message = ""
        self.cancelled = threading.Event()
        self.on_change = on_change

    def start(self, phase: str, total: int = 1, message: str = "") -> None:
        """Enter ``phase`` with ``total`` steps (raises Cancelled if cancelled)."""
        self.check()
        with self._lock:
            self.phase, self.completed, self.total, self.message = phase, 0, total, message
        if self.on_change:
            self.on_change()

    def step(self, n: int = 1, message: str | None = None) -> None:
        """``n`` more steps of the current phase are done (raises Cancelled if cancelled)."""
        with self._lock:
            self.completed = min(self.total, self.completed + n) if self.total else self.completed
            if message is not None:
                self.message = message
        if self.on_change:
            self.on_change()
        self.check()

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled()

    def to_public(self, token: str, *, finished: bool) -> schemas.ExecutionProgress:
        """The progress as an execution answers it (phase ``done`` once ``finished``)."""
        with self._lock:
            return schemas.ExecutionProgress(
                phase="done" if finished else self.phase,
                completed_steps=self.completed,
                total_steps=self.total,
                message=self.message,
                token=token,
            )
