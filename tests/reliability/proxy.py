"""A real TCP fault proxy for the reliability tests: it sits between the SDK and the
platform and, request by request, forwards, resets, delays or answers for the server.

One HTTP request per client connection (the proxy asks the platform to close after each
answer and tells the client the same), so every request meets exactly one rule. Rules are
consumed in order by the requests they match; a request no rule matches is forwarded.
Everything the proxy saw is kept in :attr:`FaultProxy.seen` (method, path, the
``Idempotency-Key`` header, what was done), for assertions and for the figures.
"""

from __future__ import annotations

import dataclasses
import socket
import struct
import threading
from contextlib import suppress

__all__ = ["FaultProxy", "Rule", "Seen"]

ACTIONS = frozenset(
    {
        "forward",  # pass the request to the platform and its answer back
        "reset_before",  # reset the connection before the platform sees the request
        "reset_mid_response",  # the platform answers; the client gets half, then a reset
        "drop_response",  # the platform answers; the client's connection just closes
        "delay",  # the platform answers; the client gets it after `delay` seconds
        "status",  # the proxy answers `status` itself (503, 429, ...), never forwarding
    }
)


@dataclasses.dataclass
class Rule:
    """What to do with the next ``count`` requests matching ``method`` and ``path_prefix``."""

    action: str
    count: int = 1
    method: str | None = None
    path_prefix: str = ""
    delay: float = 0.0
    status: int = 503
    headers: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, self.action

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0
            and (self.method is None or self.method == method)
            and path.startswith(self.path_prefix)
        )


@dataclasses.dataclass(frozen=True)
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    action: str


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN (SO_LINGER 0): the peer sees 'connection reset'."""
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _read_request(conn: socket.socket) -> tuple[bytes, bytes] | None:
    """The request head (without its blank line) and body, or None if the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


def _with_close(head: bytes) -> bytes:
    """The head with ``Connection: close`` (replacing any Connection header)."""
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"])


def _header(head: bytes, name: bytes) -> str | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return None


class FaultProxy:
    """``127.0.0.1:<port>`` → ``upstream_port``, with scripted faults (see module doc).

    Example:
        >>> with FaultProxy(server.port) as proxy:
        ...     proxy.add(Rule("status", count=2, status=503))
        ...     client = GraphOLAPClient(proxy.url, username="alice")
    """

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)  # the accept loop looks at _closing this often
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self.seen: list[Seen] = []
        self._accept = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)

    # -- control -------------------------------------------------------------------------

    def add(self, *rules: Rule) -> None:
        with self._lock:
            self._rules.extend(rules)

    def pending_rules(self) -> int:
        with self._lock:
            return sum(r.count for r in self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.seen.clear()

    def requests(self, method: str | None = None, path_prefix: str = "") -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and s.path.startswith(path_prefix)
            ]

    def start(self) -> FaultProxy:
        self._accept.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._accept.join(5)
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serving -------------------------------------------------------------------------

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _rule_for(self, method: str, path: str) -> Rule:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return Rule("forward")

    def _handle(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                conn.close()
                return
            head, body = request
            method, path = head.split(b" ", 2)[:2]
            rule = self._rule_for(method.decode(), path.decode())
            with self._lock:
                self.seen.append(
                    Seen(
                        method.decode(),
                        path.decode(),
                        _header(head, b"idempotency-key"),
                        rule.action,
                    )
                )
            self._act(conn, rule, head, body)
        except OSError:
            conn.close()

    def _act(self, conn: socket.socket, rule: Rule, head: bytes, body: bytes) -> None:
        if rule.action == "reset_before":
            _reset(conn)
            return
        if rule.action == "status":
            payload = (
                b'{"error": {"code": "INJECTED", "message": "injected by the fault proxy", '
                b'"details": {}}}'
            )
            extra = "".join(f"{k}: {v}\r\n" for k, v in rule.headers)
            conn.sendall(
                f"HTTP/1.1 {rule.status} Injected\r\ncontent-type: application/json\r\n"
                f"content-length: {len(payload)}\r\n{extra}connection: close\r\n\r\n".encode()
                + payload
            )
            conn.close()
            return
        answer = self._forward(head, body)
        if rule.action == "reset_mid_response":
            conn.sendall(answer[: max(1, len(answer) // 2)])
            _reset(conn)
        elif rule.action == "drop_response":
            conn.close()
        else:
            if rule.action == "delay" and self._closing.wait(rule.delay):
                conn.close()
                return
            try:
                conn.sendall(answer)
            finally:
                conn.close()

    def _forward(self, head: bytes, body: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=60) as up:
            up.sendall(_with_close(head) + b"\r\n\r\n" + body)
            chunks = []
            while chunk := up.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)
