"""The options of every algorithm run, declared once.

:class:`RunOptions` types them, :data:`RUN_DEFAULTS` gives their defaults and
:data:`OPTIONS_DOC` documents them; every method of ``conn.algo`` and ``conn.networkx``
takes them as ``**options: Unpack[RunOptions]``. :func:`run_options` writes them into a
method's run-time signature and docstring (``help()``, notebooks), and
:func:`split_options` fills in the defaults and refuses an unknown keyword with a
suggestion. ``conn.networkx`` adds one option, ``force`` (:class:`NetworkXOptions`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, overload

from graph_olap import exceptions as exc
from graph_olap.utils.hints import did_you_mean

if TYPE_CHECKING:
    from graph_olap._core.waiter import ProgressCallback
    from graph_olap.instance.arrow import Backend
    from graph_olap.progress import ProgressReporter

__all__ = [
    "NETWORKX_DEFAULTS",
    "OPTIONS_DOC",
    "RUN_DEFAULTS",
    "Labels",
    "Mode",
    "NetworkXOptions",
    "Orientation",
    "RunOptions",
    "run_options",
    "split_options",
    "take_options",
]

F = TypeVar("F", bound=Callable[..., Any])

Orientation = Literal["natural", "reverse", "undirected"]
Mode = Literal["stream", "mutate"]
Labels = str | Sequence[str] | None
"""A label or type name, several, or ``None`` for all of them."""


class RunOptions(TypedDict, total=False):
    """The keyword options of every algorithm run (defaults: :data:`RUN_DEFAULTS`,
    meaning: :data:`OPTIONS_DOC`)."""

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


class NetworkXOptions(RunOptions, total=False):
    """:class:`RunOptions` and ``force`` (``conn.networkx`` only)."""

    force: bool


RUN_DEFAULTS: RunOptions = {
    "node_labels": None,
    "relationship_types": None,
    "weight_property": None,
    "orientation": None,
    "mode": "stream",
    "property": None,
    "wait": True,
    "timeout": None,
    "on_progress": None,
    "show_progress": None,
    "backend": "polars",
}
"""Each option's default, in signature order."""

NETWORKX_DEFAULTS: NetworkXOptions = {**RUN_DEFAULTS, "force": False}
"""The options of ``conn.networkx`` and their defaults."""

OPTIONS_DOC = """\
Options (every algorithm takes them):
    node_labels, relationship_types: The selection (default: the whole graph).
    weight_property: Numeric relationship property used as weight (default 1).
    orientation: ``"natural"``, ``"reverse"`` or ``"undirected"`` (default: the
        algorithm's own).
    mode: ``"stream"`` returns the result; ``"mutate"`` writes it into the selected
        nodes as ``property`` (default: the algorithm's) and returns the completed
        :class:`~graph_olap.instance.handle.ExecutionHandle`, whose
        ``summary.nodes_written`` counts them.
    wait: ``False`` returns the running execution's handle at once.
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
    AlgorithmCancelledError: The execution was cancelled before it finished.
    TimeoutError: Still running after ``timeout``; it keeps running.
"""


@overload
def run_options(fn: F, *, defaults: Mapping[str, Any] = ...) -> F: ...
@overload
def run_options(fn: None = None, *, defaults: Mapping[str, Any] = ...) -> Callable[[F], F]: ...
def run_options(
    fn: F | None = None, *, defaults: Mapping[str, Any] = RUN_DEFAULTS
) -> F | Callable[[F], F]:
    """Give an algorithm method (``..., **options: Unpack[RunOptions]``) its full
    signature and the options' documentation, for ``help()`` and notebooks.

    Example:
        >>> @run_options
        ... def wcc(self, **options: Unpack[RunOptions]) -> Op[Any]: ...
        >>> "mode" in inspect.signature(wcc).parameters
        True
    """

    def apply(fn: F) -> F:
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
        rest = [p for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD]
        hints = NetworkXOptions.__annotations__
        params.extend(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hints[name]
            )
            for name, default in defaults.items()
        )
        # ``**options`` are the ones just listed; ``run(name, **kwargs)`` keeps its own
        params.extend(p for p in rest if p.name != "options")
        fn.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        doc = inspect.cleandoc(fn.__doc__ or "")
        head, example, tail = doc.partition("\nExample:")
        fn.__doc__ = f"{head.rstrip()}\n\n{OPTIONS_DOC}\n{example.lstrip()}{tail}".rstrip()
        return fn

    return apply if fn is None else apply(fn)


def split_options(
    where: str,
    options: Mapping[str, Any],
    accepted: Sequence[str] = (),
    defaults: Mapping[str, Any] = RUN_DEFAULTS,
) -> dict[str, Any]:
    """Every option with its default or the value given; an unknown keyword is a
    ValidationError that suggests the closest name (an option or one of ``accepted``).

    Example:
        >>> split_options("conn.algo.wcc()", {"mode": "mutate"})["wait"]
        True
    """
    for name in options:
        if name not in defaults:
            hint = did_you_mean(name, [*accepted, *defaults])
            raise exc.ValidationError(
                f"{where} got an unexpected keyword argument {name!r}.{hint}",
                details={"parameter": name},
            )
    return {**defaults, **options}


def take_options(
    given: Mapping[str, Any], defaults: Mapping[str, Any] = RUN_DEFAULTS
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``run(name, **kwargs)``'s keywords split into the run's options (every one, with
    its default) and the algorithm's own parameters (the rest).

    Example:
        >>> take_options({"k": 10, "mode": "mutate"})[1]
        {'k': 10}
    """
    options = {k: v for k, v in given.items() if k in defaults}
    parameters = {k: v for k, v in given.items() if k not in defaults}
    return {**defaults, **options}, parameters
