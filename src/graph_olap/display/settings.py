"""Cards of the client and its configuration; secrets are never shown, only whether
they are set."""

from __future__ import annotations

from typing import Any

from graph_olap.display._html import HIDDEN, card, esc, format_value, kv_grid, wrap

__all__ = ["client_html", "config_html", "connection_html"]

_SET = HIDDEN


def _auth(config: Any) -> str:
    if config.internal_api_key:
        return "internal api key"
    if config.api_key:
        return "api key"
    if config.username:
        return "username header (development)"
    return "anonymous"


def _user(config: Any) -> str:
    """The user and where the name came from; an anonymous client says what to do."""
    if config.username:
        name = esc(config.username)
        origin = config.identity.origin()
        return name + (f' <span class="go-muted">({esc(origin)})</span>' if origin else "")
    if config.api_key or config.internal_api_key:
        return format_value(None)
    return (
        '<span class="go-error">anonymous: most calls will be refused; pass username=... '
        "(or set GRAPH_OLAP_USERNAME) or api_key=...</span>"
    )


def _config_pairs(config: Any) -> list[tuple[str, str]]:
    return [
        ("api_url", f'<span class="go-mono">{esc(config.api_url)}</span>'),
        ("auth", esc(_auth(config))),
        ("api_key", _SET if config.api_key else format_value(None)),
        ("internal_api_key", _SET if config.internal_api_key else format_value(None)),
        ("username", _user(config)),
        ("timeout", esc(f"{config.timeout:g} s")),
        ("max_retries", format_value(config.max_retries)),
        ("in_cluster_mode", format_value(config.in_cluster_mode)),
        ("namespace", esc(config.namespace)),
    ]


def config_html(config: Any) -> str:
    """The self-contained HTML output of a ``Config`` (keys shown as set or not)."""
    return wrap(card("Config", None, "", kv_grid(_config_pairs(config))))


def client_html(client: Any) -> str:
    """The self-contained HTML output of a client: where it points and how it signs in."""
    config = client.config
    pairs = [
        ("api_url", f'<span class="go-mono">{esc(config.api_url)}</span>'),
        ("user", _user(config)),
        ("auth", esc(_auth(config))),
    ]
    return wrap(card(type(client).__name__, None, "", kv_grid(pairs)))


def connection_html(connection: Any) -> str:
    """The self-contained HTML output of an ``InstanceConnection``: the instance, where
    it is reached and as whom (no key)."""
    config = connection._runner.config
    pairs = [
        ("instance", f'<span class="go-id">#{esc(connection.instance_id)}</span>'),
        ("url", f'<span class="go-mono">{esc(connection.instance_url)}</span>'),
        ("user", _user(config)),
        ("auth", esc(_auth(config))),
    ]
    return wrap(card("Instance connection", None, "", kv_grid(pairs)))
