"""Building an algorithm run's request: the options every run takes, checked once.

The options (selection, orientation, mode, waiting) are declared once, as
:class:`RunOptions`; a typed method of ``conn.algo`` takes its own parameters and
``**options: Unpack[RunOptions]``, and :func:`run_options` gives it the full signature
at run time (``help()``, notebooks) and refuses unknown keywords with a suggestion.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar

from graph_olap import exceptions as exc
from graph_olap._core.resource import require_text
from graph_olap.utils.hints import did_you_mean

if TYPE_CHECKING:
    from graph_olap._core.waiter import ProgressCallback
    from graph_olap.instance.arrow import Backend
    from graph_olap.progress import ProgressReporter

__all__ = [
    "RUN_DEFAULTS",
    "Labels",
    "Mode",
    "Orientation",
    "RunOptions",
    "check_timeout",
    "node_key",
    "resolve_parameters",
    "run_options",
    "run_request",
    "split_options",
    "typed_parameters",
]

F = TypeVar("F", bound=Callable[..., Any])

Orientation = Literal["natural", "reverse", "undirected"]
Mode = Literal["stream", "mutate"]
Labels = str | Sequence[str] | None
"""A label or type name, several, or ``None`` for all of them."""


class RunOptions(TypedDict, total=False):
    """The keyword options of every algorithm run (see :data:`RUN_DEFAULTS`)."""

    node_labels: Labels
    relationship_types: Labels
    weight_property: str | None
    orientation: Orientation | None
    mode: Mode
    property: str | None
    wait: bool
    timeout: float | None
    on_progress: ProgressCallback | None
    show_progress: bool | ProgressReporter | None
    backend: Backend


RUN_DEFAULTS: dict[str, Any] = {
    "node_labels": None,
    "relationship_types": None,
    "weight_property": None,
    "orientation": None,
    "mode": "stream",
    "property": None,
    "wait": True,
    "timeout": None,
    "on_progress": None,
    "show_progress": False,
    "backend": "polars",
}
"""Each option's default, in signature order."""

OPTIONS_DOC = """\
Options (every algorithm takes them):
    node_labels, relationship_types: The selection (default: the whole graph).
    weight_property: Numeric relationship property used as weight (default 1).
    orientation: ``"natural"``, ``"reverse"`` or ``"undirected"`` (default: the
        algorithm's own).
    mode: ``"stream"`` returns the result; ``"mutate"`` writes it into the selected
        nodes as ``property`` (default: the algorithm's) and returns the completed
        execution, whose ``summary.nodes_written`` counts them.
    wait: ``False`` returns the running :class:`AlgorithmExecution` at once.
    timeout: Seconds to wait (default one hour).
    on_progress: Called as ``on_progress(phase, completed_steps, total_steps)``.
    show_progress: ``None`` (default): a bar in Jupyter once the wait lasts over a second,
        nothing elsewhere; ``True``: always (a bar in Jupyter, a text line elsewhere);
        ``False``: never; or a ``ProgressReporter``.
    backend: ``"polars"`` (default) or ``"pandas"`` for a DataFrame result.

Raises:
    ValidationError: A parameter, selection or orientation the algorithm does not
        accept (``details["parameter"]`` names it).
    ResourceLockedError: ``mode="mutate"`` while another mutate run holds the lock.
    AlgorithmFailedError: The algorithm failed (the library's message).
    TimeoutError: Still running after ``timeout``; it keeps running.
"""


def run_options(fn: F) -> F:
    """Give a typed algorithm method (``..., **options: Unpack[RunOptions]``) its full
    signature and the options' documentation, for ``help()`` and notebooks."""
    sig = inspect.signature(fn)
    params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    hints = RunOptions.__annotations__
    for name, default in RUN_DEFAULTS.items():
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=hints.get(name, inspect.Parameter.empty),
            )
        )
    fn.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    doc = inspect.cleandoc(fn.__doc__ or "")
    head, example, tail = doc.partition("\nExample:")
    fn.__doc__ = f"{head.rstrip()}\n\n{OPTIONS_DOC}\n{example.lstrip()}{tail}".rstrip()
    return fn


def split_options(
    where: str, options: Mapping[str, Any], accepted: Sequence[str] = ()
) -> dict[str, Any]:
    """Every option with its default or the value given; an unknown keyword is a
    ValidationError that suggests the closest name (an option or one of ``accepted``)."""
    for name in options:
        if name not in RUN_DEFAULTS:
            known = [*accepted, *RUN_DEFAULTS]
            hint = did_you_mean(name, known)
            raise exc.ValidationError(
                f"{where} got an unexpected keyword argument {name!r}.{hint}",
                details={"parameter": name},
            )
    return {**RUN_DEFAULTS, **options}


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
