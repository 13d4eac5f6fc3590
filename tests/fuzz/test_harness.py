"""The fuzzing harness fails when it should: a small app with known defects, served for
real, is fuzzed with the same checks as the platform."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from graph_olap_server.errors import install_error_handlers
from graph_olap_server.runner import free_port
from tests.fuzz.harness import REQUESTS, Target


class Pet(BaseModel):
    name: str
    legs: int


def defective_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/divide/{n}")
    def divide(n: int) -> dict[str, float]:
        return {"value": 100 / n}  # n = 0: ZeroDivisionError, a 500

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse("not the JSON the document declares")

    @app.get("/teapot")
    def teapot() -> PlainTextResponse:
        return PlainTextResponse("{}", status_code=418, media_type="application/json")

    @app.get("/pet", responses={200: {"model": Pet, "description": "A pet"}})
    def pet() -> JSONResponse:
        return JSONResponse({"name": "Rex", "legs": "four"})  # legs is not an integer

    @app.get("/fine/{n}")
    def fine(n: int) -> dict[str, int]:
        return {"n": n % 7}

    return app


@pytest.fixture(scope="module")
def defective() -> Iterator[Target]:
    app = defective_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the defective app did not start"
        thread.join(0.02)
    target = Target("harness-check", f"http://127.0.0.1:{port}", app.openapi())
    try:
        yield target
    finally:
        target.close()
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize(
    ("label", "finding"),
    [
        ("GET /divide/{n}", "Server error"),
        ("GET /text", "Undocumented Content-Type"),
        ("GET /teapot", "Undocumented status code"),
        ("GET /pet", "Response violates schema"),
    ],
)
def test_each_check_reports_its_defect(defective: Target, label: str, finding: str) -> None:
    with pytest.raises(BaseException, match=finding) as failure:
        defective.fuzz(label, {}, max_examples=10, boundaries=10)
    assert "curl" in str(failure.value)  # the report says how to reproduce it


def test_a_sound_operation_passes_and_is_counted(defective: Target) -> None:
    before = REQUESTS["harness-check"]
    sent = defective.fuzz("GET /fine/{n}", {}, max_examples=10)
    assert sent >= 2
    assert REQUESTS["harness-check"] == before + sent
