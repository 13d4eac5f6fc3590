"""The SDK's design document, read as code: its method signatures and its examples.

The design (``../shared/seeds/002_938fe5085b26e953.txt`` from the project root) is a web
page saved as text: its code blocks lost their line breaks and indentation. This module
recovers the two things the conformance tests need from it:

* :func:`methods`: every ``def`` with its owner (the class it is written in, ``None`` for a
  module function), parameters (an :class:`ast.arguments`) and declared return type;
* :func:`examples`: every doctest-style example (``>>> ...`` lines), as runnable source.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from functools import cache
from pathlib import Path

DESIGN = Path(__file__).resolve().parents[3] / "shared/seeds/002_938fe5085b26e953.txt"


@dataclasses.dataclass(frozen=True)
class DesignMethod:
    owner: str | None  # the class it is defined in; None for a module-level function
    name: str
    section: str  # the design's section heading it appears under
    args: ast.arguments
    returns: str | None

    @property
    def where(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name

    def positional(self) -> list[ast.arg]:
        """Positional-or-keyword parameters, without ``self``/``cls``."""
        return [a for a in self.args.args if a.arg not in ("self", "cls")]

    def defaults(self) -> dict[str, object]:
        """Parameter name -> its default (as a Python value) for parameters that have one."""
        out: dict[str, object] = {}
        with_default = self.args.args[len(self.args.args) - len(self.args.defaults) :]
        for arg, default in zip(with_default, self.args.defaults, strict=True):
            out[arg.arg] = ast.literal_eval(default)
        for arg, kw_default in zip(self.args.kwonlyargs, self.args.kw_defaults, strict=True):
            if kw_default is not None:
                out[arg.arg] = ast.literal_eval(kw_default)
        return out


@dataclasses.dataclass(frozen=True)
class Example:
    where: str  # the method or class whose docstring holds it
    source: str  # runnable Python, one statement per line, indentation restored


@cache
def text() -> str:
    return DESIGN.read_text(encoding="utf-8")


def _closing(source: str, start: int) -> int:
    """Index just past the parenthesis that closes the one at ``start``."""
    depth = 0
    quote: str | None = None
    for i in range(start, len(source)):
        ch = source[i]
        if quote:
            if ch == quote and source[i - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError(f"unbalanced parentheses at {start}")


_TOKEN = re.compile(r"class (\w+)\b[^:\n]*:|def (\w+)\(")
_SECTION = re.compile(r"Section titled “([^”]+)”")
_RETURNS = re.compile(r"\s*->\s*(.+?):\s")


@cache
def methods() -> tuple[DesignMethod, ...]:
    """Every function the design defines, in document order."""
    source = text()
    out: list[DesignMethod] = []
    owner: str | None = None
    pos = 0
    while match := _TOKEN.search(source, pos):
        if match.group(1):
            owner, pos = match.group(1), match.end()
            continue
        name = match.group(2)
        end = _closing(source, match.end() - 1)
        params = source[match.end() : end - 1]
        returns = _RETURNS.match(source, end)
        pos = end
        try:
            node = ast.parse(f"def f({params}): pass").body[0]
        except SyntaxError:
            continue  # an illustration, not a signature (``def connect(): ...`` blocks)
        assert isinstance(node, ast.FunctionDef)
        args = node.args
        first = args.args[0].arg if args.args else None
        sections = _SECTION.findall(source, 0, match.start())
        out.append(
            DesignMethod(
                owner if first in ("self", "cls") else None,
                name,
                sections[-1] if sections else "",
                args,
                returns.group(1).strip().strip('"') if returns else None,
            )
        )
    return tuple(out)


def _lines(chunk: str) -> list[str]:
    """``>>> a ... b`` (one flattened doctest) as source lines with indentation restored:
    a line ending in ``:`` outside brackets opens a block for the lines after it."""
    statements = [s.strip() for s in re.split(r"(?:^|\s)>>>(?=\s|$)", chunk) if s.strip()]
    out: list[str] = []
    for statement in statements:
        parts = [p.strip() for p in re.split(r"\s\.\.\.(?=\s|$)", " " + statement)]
        indent = 0
        depth = 0
        for part in parts:
            if not part:
                continue
            out.append("    " * indent + part)
            code = re.sub(r"(\"[^\"]*\"|'[^']*'|#.*$)", "", part)
            depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
            if depth == 0 and code.rstrip().endswith(":"):
                indent += 1
    return out


@cache
def examples() -> tuple[Example, ...]:
    """Every ``Example:`` of the design (and its two-line quick start), as runnable source."""
    source = text()
    out: list[Example] = []
    for match in re.finditer(r"Example:(.*?)\"\"\"", source, re.S):
        before = source[: match.start()]
        where = re.findall(r"\b(?:def|class) (\w+)", before)[-1]
        # the examples sit in (non-raw) docstrings: "\\n" in the text is "\n" to doctest
        docstring = match.group(1).replace("\\\\", "\\")
        out.append(Example(where, "\n".join(_lines(docstring))))
    quick = re.search(r"Quick Start \(2 lines\):\n(.*?)Configuration\n", source)
    if quick:
        out.append(Example("quick start", "\n".join(_lines(quick.group(1).replace(">>>", " >>>")))))
    return tuple(out)


def usage_in_tests() -> Example:
    """The testing module's "Usage in Tests" example (a code block, not a doctest)."""
    block = re.search(r"# After \(3 lines\)(.*?)Notebook Styling", text(), re.S)
    assert block, "the design's 'Usage in Tests' example moved"
    code = block.group(1)
    head, _, body = code.partition("with ")
    with_line, _, rest = body.partition(": ")
    statement, _, comment = rest.partition(" #")
    lines = [head.strip(), f"with {with_line}:", f"    {statement.strip()}"]
    if comment:
        lines.append(f"    #{comment.rstrip()}")
    return Example("Usage in Tests", "\n".join(lines))
