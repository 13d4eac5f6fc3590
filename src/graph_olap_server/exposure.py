"""Where the control plane listens, and whether development mode is safe there.

Development mode accepts ``X-Username``: whoever reaches the port names themselves, even
``admin``. On a loopback address only this machine's users can; on any other address
(``0.0.0.0``, ``::``, a LAN name) anyone on the network could, so ``graph-olap server``
refuses it there unless asked for by name (``--insecure-dev-mode`` or
``GRAPH_OLAP_INSECURE_DEV_MODE=true``).
"""

from __future__ import annotations

import ipaddress
import socket

from graph_olap_server.settings import Settings

__all__ = ["dev_mode_refusal", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name, IPv6 with or without brackets) listens
    only on this machine: every address it resolves to is a loopback address.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("[::1]"), is_loopback("localhost")
        (True, True, True)
        >>> is_loopback("0.0.0.0"), is_loopback("::")
        (False, False)
    """
    name = host.strip().strip("[]")
    if not name:
        return False  # every interface
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unknown here: the bind will say so; never assume it is safe
    addresses = {info[4][0] for info in found}
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses
    )


def dev_mode_refusal(settings: Settings, host: str, port: int) -> str | None:
    """The one ``error:`` line refusing development mode on a non-loopback ``host``, or
    ``None`` when the start is safe (loopback, dev mode off, or explicitly insecure).

    Example:
        >>> dev_mode_refusal(Settings(data_dir=Path("/tmp/go")), "127.0.0.1", 8000) is None
        True
        >>> dev_mode_refusal(Settings(data_dir=Path("/tmp/go")), "0.0.0.0", 8000)
        'development mode is on and --host 0.0.0.0 is not a loopback address: ...'
    """
    if not settings.dev_mode or settings.insecure_dev_mode or is_loopback(host):
        return None
    return (
        f"development mode is on and --host {host} is not a loopback address: anyone who "
        f"can reach port {port} could send X-Username: admin and act as an admin. Either "
        "turn dev mode off and use API keys (GRAPH_OLAP_DEV_MODE=false; an admin creates "
        "keys with `graph-olap create-api-key --username NAME --role analyst`, clients pass "
        "api_key=... or GRAPH_OLAP_API_KEY), or listen on 127.0.0.1; to serve dev mode on "
        "this address anyway, pass --insecure-dev-mode (GRAPH_OLAP_INSECURE_DEV_MODE=true)."
    )
