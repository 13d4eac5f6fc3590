"""Who the SDK says the user is when no credential is given (development platforms).

The name is, in order: the ``username=`` argument; ``GRAPH_OLAP_USERNAME``; and, when
no API key or internal key is given, ``JUPYTERHUB_USER`` (the JupyterHub user running the
notebook), else the OS login name (:func:`getpass.getuser`). These two are made valid
platform usernames: characters other than letters, digits and ``. _ @ + -`` become ``_``.

It remembers where the name came from (:data:`SOURCES`) so the client card can say it.
A platform that accepts only keys still refuses the request with its own message; the
name is never a credential there.
"""

from __future__ import annotations

import dataclasses
import getpass
import re
from collections.abc import Callable, Mapping

__all__ = ["ARGUMENT", "ENV_USERNAME", "JUPYTERHUB", "OS_LOGIN", "Identity", "resolve_identity"]

ARGUMENT = "argument"
ENV_USERNAME = "GRAPH_OLAP_USERNAME"
JUPYTERHUB = "JUPYTERHUB_USER"
OS_LOGIN = "OS login"
SOURCES = (ARGUMENT, ENV_USERNAME, JUPYTERHUB, OS_LOGIN)

_VALID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
_INVALID_RUN = re.compile(r"[^A-Za-z0-9._@+-]+")
_LEADING = re.compile(r"^[^A-Za-z0-9]+")


@dataclasses.dataclass(frozen=True)
class Identity:
    """A username and where it came from (one of :data:`SOURCES`), or neither."""

    username: str | None = None
    source: str | None = None

    def origin(self) -> str:
        """Where the name came from, in words ("" for an argument or no name).

        Example:
            >>> Identity("alice", OS_LOGIN).origin()
            'OS login; set GRAPH_OLAP_USERNAME to change'
        """
        if self.username is None or self.source in (None, ARGUMENT):
            return ""
        if self.source == ENV_USERNAME:
            return ENV_USERNAME
        return f"{self.source}; set GRAPH_OLAP_USERNAME to change"

    def describe(self) -> str:
        """The name and its origin in words, for cards and reprs.

        Example:
            >>> Identity("alice", OS_LOGIN).describe()
            'alice (OS login; set GRAPH_OLAP_USERNAME to change)'
        """
        if self.username is None:
            return "anonymous"
        origin = self.origin()
        return f"{self.username} ({origin})" if origin else self.username


def _platform_name(raw: str) -> str | None:
    """``raw`` made a valid platform username (other characters become ``_``), or None."""
    name = raw.strip()
    if not _VALID.match(name):
        name = _LEADING.sub("", _INVALID_RUN.sub("_", name))[:128]
    return name if name and _VALID.match(name) else None


def _os_login(getuser: Callable[[], str]) -> str | None:
    """The OS login name made a valid platform username, or None when there is none."""
    try:
        raw = getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers): no name
        return None
    return _platform_name(raw)


def resolve_identity(
    username: str | None,
    *,
    has_key: bool,
    environ: Mapping[str, str],
    getuser: Callable[[], str] | None = None,
) -> Identity:
    """The identity a client uses: the ``username`` argument, else ``GRAPH_OLAP_USERNAME``,
    else (without a key) ``JUPYTERHUB_USER`` or the OS login name.

    With a key (``has_key``) only an explicit name (argument or ``GRAPH_OLAP_USERNAME``)
    goes with it: an internal key may act for that user.

    Example:
        >>> resolve_identity(None, has_key=False, environ={"JUPYTERHUB_USER": "ada"})
        Identity(username='ada', source='JUPYTERHUB_USER')
        >>> resolve_identity("bob", has_key=False, environ={}).source
        'argument'
    """
    if username:
        return Identity(username, ARGUMENT)
    explicit = (environ.get(ENV_USERNAME) or "").strip()
    if explicit:  # as given: the platform says if it is not a valid name
        return Identity(explicit, ENV_USERNAME)
    if has_key:
        return Identity()  # a key is the credential: no implicit name goes with it
    hub_user = _platform_name(environ.get(JUPYTERHUB) or "")
    if hub_user:
        return Identity(hub_user, JUPYTERHUB)
    login = _os_login(getuser or getpass.getuser)
    return Identity(login, OS_LOGIN) if login else Identity()
