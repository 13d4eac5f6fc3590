"""A detector of secrets leaking into logs, reports and files.

One :class:`SecretCanary` watches a set of secrets (the internal key of the test session,
API keys created during the run). It is a :class:`logging.Handler`, so installed on the
root logger it sees every record of every test and every server thread; :meth:`scan`
checks any other text (a test report, a command line, an HTTP body) and
:meth:`scan_files` the log files of watched folders. Findings never contain the secret:
they name it by its label and show the text around it with the secret masked.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

__all__ = ["Finding", "SecretCanary"]

_FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One place a secret appeared: its label, where, and the masked surroundings."""

    label: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.label} appeared in {self.where}: ...{self.excerpt}..."


class SecretCanary(logging.Handler):
    """Collects every appearance of the watched secrets.

    Example:
        >>> canary = SecretCanary({"internal key": "internal-CANARY-7f3a"})
        >>> logging.getLogger().addHandler(canary)
        >>> canary.scan("an error message", where="an exception")
        >>> canary.check()  # raises AssertionError naming each leak, never the secret
    """

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        super().__init__(level=logging.NOTSET)
        self._secrets: dict[str, str] = {}
        self._lock_findings = threading.Lock()
        self.findings: list[Finding] = []
        self.records_seen = 0
        self.folders: list[Path] = []
        for label, secret in (secrets or {}).items():
            self.add(secret, label)

    def add(self, secret: str, label: str = "an API key") -> None:
        """Watch ``secret`` from now on (and in the files scanned at the end)."""
        if len(secret) < 8:
            raise ValueError("a canary secret must be at least 8 characters long")
        self._secrets[secret] = label

    def watch_folder(self, folder: Path) -> None:
        """Scan the ``*.log`` files under ``folder`` in :meth:`scan_files`."""
        self.folders.append(Path(folder))

    def emit(self, record: logging.LogRecord) -> None:
        self.records_seen += 1
        try:
            text = _FORMAT.format(record)
        except Exception:  # a record whose arguments do not format: check the raw parts
            text = f"{record.msg!r} {record.args!r}"
        self.scan(text, where=f"log record of {record.name!r} ({record.levelname})")

    def scan(self, text: str | bytes | None, *, where: str) -> None:
        """Record a finding for each watched secret present in ``text``."""
        if not text:
            return
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        for secret, label in list(self._secrets.items()):
            at = text.find(secret)
            if at < 0:
                continue
            excerpt = text[max(0, at - 60) : at + len(secret) + 60].replace(secret, "<SECRET>")
            finding = Finding(label, where, excerpt.replace("\n", " "))
            with self._lock_findings:
                if finding not in self.findings:  # a report repeats its earlier sections
                    self.findings.append(finding)

    def scan_files(self, paths: Iterable[Path] | None = None) -> int:
        """Scan ``paths`` (default: the ``*.log`` files of the watched folders); the count."""
        files = (
            list(paths)
            if paths is not None
            else [p for folder in self.folders for p in sorted(folder.rglob("*.log"))]
        )
        for path in files:
            if path.is_file():
                self.scan(path.read_bytes(), where=f"file {path}")
        return len(files)

    def check(self) -> None:
        """Raise ``AssertionError`` listing every finding (secrets masked); else nothing."""
        if self.findings:
            listed = "\n".join(f"  - {f}" for f in self.findings[:20])
            raise AssertionError(
                f"A secret leaked {len(self.findings)} time(s):\n{listed}\n"
                "Mask it where it is formatted (repr=False, '***'), or keep it out of the "
                "message; docs/security.md lists where secrets must never appear."
            )
