"""Secrets (API keys, the internal key, wrapper tokens) never appear where they could leak.

Checked here: the ``repr``/``str``/``_repr_html_`` of the SDK's clients, config,
connection and models; exception messages and whole tracebacks (auth failures, a
forbidden call, a refused instance, an unreachable platform); every log record of the
process at DEBUG level while it all happens; the wrapper process's command line and
environment; the metadata database after an API key is created with an idempotency key.
The session canary (tests/conftest.py) watches the whole run on top of this; the first
tests prove that it is installed and that the detector catches a planted leak.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_olap import (
    AsyncGraphOLAPClient,
    AuthenticationError,
    ConnectionError,
    GraphOLAPClient,
    GraphOLAPError,
    PermissionDeniedError,
    QueryError,
)
from graph_olap_server.runner import ServerThread, free_port
from tests.conftest import INTERNAL_KEY, SECRET_CANARY
from tests.security.canary import SecretCanary
from tests.security.conftest import Keys, World

REFUSED_KEY = "gok_CANARY-refused-" + uuid.uuid4().hex
"""A well-formed API key the platform does not know (it must not echo it back)."""
WRONG_INTERNAL_KEY = "internal-CANARY-wrong-" + uuid.uuid4().hex


@pytest.fixture(scope="module", autouse=True)
def _watch_refused_keys(secret_canary: SecretCanary) -> None:
    secret_canary.add(REFUSED_KEY, "a refused API key")
    secret_canary.add(WRONG_INTERNAL_KEY, "a wrong internal key")


def _secrets(keys: Keys, world: World | None = None) -> dict[str, str]:
    found = {
        "the internal key": INTERNAL_KEY,
        "alice's API key": keys.alice,
        "carol's API key": keys.carol,
        "a refused API key": REFUSED_KEY,
        "a wrong internal key": WRONG_INTERNAL_KEY,
    }
    if world is not None:
        found["alice's wrapper token"] = world.wrapper_token
    return found


def _shown(obj: object) -> Iterator[tuple[str, str]]:
    """Every way ``obj`` shows itself: repr, str, format, and its notebook HTML."""
    yield "repr", repr(obj)
    yield "str", str(obj)
    yield "format", f"{obj}"
    html = getattr(obj, "_repr_html_", None)
    if callable(html):
        yield "_repr_html_", str(html())


def _error_texts(err: BaseException) -> Iterator[tuple[str, str]]:
    yield from _shown(err)
    yield "traceback", "".join(traceback.format_exception(err))
    if isinstance(err, GraphOLAPError):
        yield "message", str(err.message)
        yield "details", repr(err.details)


# -- the detector itself -----------------------------------------------------------------


def test_session_canary_watches_every_log_record() -> None:
    assert SECRET_CANARY in logging.getLogger().handlers, "the session canary is not installed"
    assert logging.getLogger("graph_olap").getEffectiveLevel() == logging.DEBUG
    assert logging.getLogger("graph_olap_server").getEffectiveLevel() == logging.DEBUG
    seen = SECRET_CANARY.records_seen
    logging.getLogger("graph_olap.tests").debug("a harmless record")
    assert SECRET_CANARY.records_seen == seen + 1


def test_detector_catches_planted_leaks(tmp_path: Path) -> None:
    """A separate detector (not the session's) with a planted secret: a log record, an
    exception's traceback in a log record, a text and a log file each count, the report
    names them all, and it never prints the secret itself."""
    planted = "planted-CANARY-" + uuid.uuid4().hex
    detector = SecretCanary({"the planted key": planted})
    logger = logging.getLogger("tests.security.planted")
    logger.propagate = False  # the session's handlers need not see the plant
    logger.setLevel(logging.DEBUG)
    logger.addHandler(detector)
    try:
        logger.warning("connecting with %s", planted)
        try:
            raise RuntimeError(f"refused {planted}")
        except RuntimeError:
            logger.exception("a call failed")
        logger.info("nothing secret here")
    finally:
        logger.removeHandler(detector)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    detector.scan(f"Authorization: Bearer {planted}", where="a header dump")
    (tmp_path / "wrapper.log").write_text(f"INFO token={planted}\n")
    (tmp_path / "clean.log").write_text("INFO nothing\n")
    detector.watch_folder(tmp_path)
    assert detector.scan_files() == 2
    assert detector.records_seen == 3
    with pytest.raises(AssertionError) as leak:
        detector.check()
    report = str(leak.value)
    assert "leaked 4 time(s)" in report
    for where in ("tests.security.planted", "a header dump", "wrapper.log"):
        assert where in report
    assert planted not in report and "<SECRET>" in report

    clean = SecretCanary({"the planted key": planted})
    clean.scan("nothing to see", where="a clean text")
    clean.check()  # no finding, no error


# -- the SDK ---------------------------------------------------------------------------


def test_sdk_objects_never_show_keys(server: ServerThread, api_keys: Keys, world: World) -> None:
    secrets = _secrets(api_keys, world)
    shown: list[tuple[str, str, str]] = []

    def collect(name: str, obj: object) -> None:
        shown.extend((name, how, text) for how, text in _shown(obj))

    with (
        GraphOLAPClient(server.url, api_key=api_keys.alice) as alice,
        GraphOLAPClient(server.url, internal_api_key=INTERNAL_KEY, username="svc") as service,
        alice.instances.connect(world.instance_id) as conn,
    ):
        collect("client (API key)", alice)
        collect("client (internal key)", service)
        collect("config (API key)", alice.config)
        collect("config (internal key)", service.config)
        collect("connection", conn)
        collect("query result", conn.query("MATCH (c:Customer) RETURN c.name AS n LIMIT 2"))
        collect("graph schema", conn.schema())
        collect("lock status", conn.lock_status())
        collect("instance", alice.instances.get(world.instance_id))
        collect("mapping", service.mappings.get(world.mapping_id))
        collect("snapshot", alice.snapshots.get(world.snapshot_id))
        collect("mapping list", alice.mappings.list(owner="alice"))
    collect("server settings", server.settings)
    assert len(shown) > 40
    leaks = [
        f"{label} in {how}({name})"
        for name, how, text in shown
        for label, secret in secrets.items()
        if secret in text
    ]
    assert not leaks, f"secrets shown: {leaks}"


def test_errors_and_logs_never_show_keys(
    server: ServerThread, api_keys: Keys, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Errors raised while using keys, with whole tracebacks (chained causes included),
    and every log record of the process at DEBUG level meanwhile (the SDK, httpx, the
    server threads, SQLAlchemy)."""
    errors: list[tuple[str, BaseException]] = []

    def expect(name: str, kind: type[BaseException], action: Any) -> None:
        with pytest.raises(kind) as info:
            action()
        errors.append((name, info.value))

    closed = f"http://127.0.0.1:{free_port()}"
    with caplog.at_level(logging.DEBUG):
        with GraphOLAPClient(server.url, api_key=REFUSED_KEY, max_retries=0) as refused:
            expect("refused API key", AuthenticationError, refused.mappings.list)
        with GraphOLAPClient(
            server.url, internal_api_key=WRONG_INTERNAL_KEY, max_retries=0
        ) as wrong:
            expect("wrong internal key", AuthenticationError, wrong.mappings.list)
        with GraphOLAPClient(server.url, api_key=api_keys.carol, max_retries=0) as carol:
            expect(
                "forbidden call",
                PermissionDeniedError,
                lambda: carol.admin.bulk_delete("mapping", {"created_by": "x"}, "x"),
            )
            with carol.instances.connect(world.instance_id) as foreign:
                expect("refused instance", PermissionDeniedError, lambda: foreign.query("RETURN 1"))
        with (
            GraphOLAPClient(server.url, api_key=api_keys.alice, max_retries=0) as alice,
            alice.instances.connect(world.instance_id) as conn,
        ):
            expect("bad Cypher", QueryError, lambda: conn.query("MATCH (n RETURN n"))
        with GraphOLAPClient(
            closed, api_key=api_keys.alice, internal_api_key=INTERNAL_KEY, max_retries=1
        ) as unreachable:
            expect("unreachable platform", ConnectionError, unreachable.mappings.list)
    assert len(errors) == 6
    unreachable_trace = "".join(traceback.format_exception(errors[-1][1]))
    assert "ConnectError" in unreachable_trace, "the traceback should include httpx's cause"

    secrets = _secrets(api_keys, world)
    leaks = [
        f"{label} in the {how} of the {name} error"
        for name, err in errors
        for how, text in _error_texts(err)
        for label, secret in secrets.items()
        if secret in text
    ]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [formatter.format(record) for record in caplog.records]
    assert any("HTTP Request" in r for r in records), "httpx's records were not captured"
    assert any("retrying in" in r for r in records), "the SDK's retry record was not captured"
    leaks += [
        f"{label} in a log record: {record.split(' ', 2)[:2]}"
        for record in records
        for label, secret in secrets.items()
        if secret in record
    ]
    assert not leaks, "\n".join(leaks)


@pytest.mark.anyio
async def test_async_client_never_shows_keys(server: ServerThread) -> None:
    async with AsyncGraphOLAPClient(
        server.url, api_key=REFUSED_KEY, internal_api_key=None, max_retries=0
    ) as client:
        texts = {f"client {how}": text for how, text in _shown(client)}
        texts |= {f"config {how}": text for how, text in _shown(client.config)}
        with pytest.raises(AuthenticationError) as info:
            await client.mappings.list()
    texts |= {f"error {how}": text for how, text in _error_texts(info.value)}
    assert "not valid or has been revoked" in texts["error message"]
    assert "api_key='***'" in texts["config repr"]  # masked, and shown to be set
    assert not [how for how, text in texts.items() if REFUSED_KEY in text]


# -- the platform ------------------------------------------------------------------------


def test_wrapper_process_holds_no_secret_but_its_token(api_keys: Keys, world: World) -> None:
    """Command lines are world-readable (``ps``): no secret there. The environment gets
    only the wrapper's own token, not the control plane's internal key or API key, which
    were in the control plane's environment when the wrapper started (see ``world``)."""
    proc = Path(f"/proc/{world.wrapper_pid}")
    cmdline = (proc / "cmdline").read_bytes().decode().split("\0")
    assert "--instance-id" in cmdline and str(world.instance_id) in cmdline
    environ = (proc / "environ").read_bytes().decode("utf-8", "replace")
    assert f"GRAPH_OLAP_WRAPPER_TOKEN={world.wrapper_token}" in environ.split("\0"), (
        "the wrapper's environment does not hold its token: is this the wrapper process?"
    )
    in_cmdline = [label for label, s in _secrets(api_keys, world).items() if s in str(cmdline)]
    assert not in_cmdline, f"on the wrapper's command line: {in_cmdline}"
    inherited = [
        label
        for label, secret in _secrets(api_keys).items()  # the token aside: it belongs there
        if secret in environ
    ]
    assert not inherited, f"the wrapper inherited {inherited} from the control plane"
    for name in ("GRAPH_OLAP_INTERNAL_API_KEY", "GRAPH_OLAP_API_KEY"):
        assert f"\0{name}=" not in f"\0{environ}", f"the wrapper inherited {name}"


def test_a_new_api_key_is_shown_once_and_never_stored(
    server: ServerThread, secret_canary: SecretCanary
) -> None:
    """Even with an Idempotency-Key (which records answers for replay), the answer that
    carries a new key is not stored: ``Cache-Control: no-store``. A repeat (a retry after
    a lost answer) makes no second key: it is told which key was made (409
    ``ALREADY_DONE``), without the key."""
    headers = {"X-Username": "admin", "Idempotency-Key": uuid.uuid4().hex}
    body = {"username": "dora", "role": "analyst"}
    with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as admin:
        answer = admin.post("/api/admin/api-keys", json=body)
        assert answer.status_code == 201
        assert answer.headers["cache-control"] == "no-store"
        assert "x-replay-instead" not in answer.headers
        made = answer.json()["data"]
        secret_canary.add(made["key"], "dora's API key")
        before = [k["id"] for k in admin.get("/api/admin/api-keys").json()["data"]]

        repeat = admin.post("/api/admin/api-keys", json=body)
        assert repeat.status_code == 409, repeat.text
        error = repeat.json()["error"]
        assert error["code"] == "ALREADY_DONE"
        assert f"already created API key {made['id']} for 'dora'" in error["message"]
        assert f"DELETE /api/admin/api-keys/{made['id']}" in error["message"]
        assert made["key"] not in repeat.text and made["key"][:8] not in repeat.text
        after = [k["id"] for k in admin.get("/api/admin/api-keys").json()["data"]]
        assert after == before, "the repeat made another key"

        stored = b"".join(
            path.read_bytes()
            for path in server.settings.data_dir.iterdir()
            if path.name.startswith("metadata.db") and path.is_file()
        )
        assert len(stored) > 10_000, "the metadata database was not found"
        assert made["key"].encode() not in stored, "an API key is stored in the database"
        assert made["key"][:8].encode() in stored  # its prefix is: the scan looks right
        assert admin.delete(f"/api/admin/api-keys/{made['id']}").status_code == 204
        refused = httpx.get(
            f"{server.url}/api/mappings",
            headers={"Authorization": f"Bearer {made['key']}"},
            trust_env=False,
        )
        assert refused.status_code == 401


def test_platform_settings_never_show_the_database_password(tmp_path: Path) -> None:
    from graph_olap_server.settings import Settings

    password = "pg-CANARY-" + uuid.uuid4().hex
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"postgresql+psycopg://olap:{password}@db.internal/olap",
        internal_api_key=INTERNAL_KEY,
    )
    assert settings.database_url.endswith("@db.internal/olap")
    for text in (repr(settings), str(settings)):
        assert password not in text and INTERNAL_KEY not in text
