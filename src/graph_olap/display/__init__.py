"""Rich notebook display: the HTML behind ``_repr_html_`` of the SDK's objects.

Every output is self-contained: it embeds the design system's CSS
(:func:`graph_olap.styles.get_notebook_css`) once, scoped by ``go-`` classes, so it
renders the same in JupyterLab, VS Code, nbconvert and on GitHub. Everything that comes
from the server is HTML-escaped. See ``docs/notebook.md``.
"""

from graph_olap.display._html import badge, esc, format_value, status_class, wrap
from graph_olap.display._time import relative_time
from graph_olap.display.cards import model_card, model_html
from graph_olap.display.settings import client_html, config_html, connection_html
from graph_olap.display.tables import items_html, list_html, list_table, query_html, query_table

__all__ = [
    "badge",
    "client_html",
    "config_html",
    "connection_html",
    "esc",
    "format_value",
    "items_html",
    "list_html",
    "list_table",
    "model_card",
    "model_html",
    "query_html",
    "query_table",
    "relative_time",
    "status_class",
    "wrap",
]
