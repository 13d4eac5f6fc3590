"""MkDocs hook: render the Sphinx roles some docstrings use as cross-references.

Docstrings in ``src/graph_olap`` sometimes say ``:class:`QueryResult``` or
``:meth:`create```. Rendered as Markdown that shows the role name as text
(":class:QueryResult"). This hook drops the role and asks mkdocs-autorefs for a link to
the target (``graph_olap.X`` for a bare class name ``X``); a target that is not
documented, or a method named relative to its class, stays plain code, without a warning.

A paragraph ending ``::`` (reST's way to announce a literal block, which Markdown shows
as is) ends with one colon.
"""

from __future__ import annotations

import re
from typing import Any

_LITERAL_INTRO = re.compile(r"(?<=\w)::</p>")
_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|exc|data|obj):<code>(~?)([^<]*)</code>")


def _replace(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2)
    shown = target.rsplit(".", 1)[-1] if tilde else target
    if target.startswith("graph_olap."):
        identifier = target
    elif target[:1].isupper():  # a class exported by the package: graph_olap.QueryResult
        identifier = f"graph_olap.{target}"
    else:  # a method named relative to its class: plain code
        return f"<code>{shown}</code>"
    return f'<autoref identifier="{identifier}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, **kwargs: Any) -> str:
    """Rewrite the ``:role:`target``` spans left in rendered docstrings, and end the
    reST ``Text::`` paragraphs that introduce a literal block with one colon."""
    return _LITERAL_INTRO.sub(":</p>", _ROLE.sub(_replace, html))
