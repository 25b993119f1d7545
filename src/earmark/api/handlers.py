"""The exception handlers: every error the HTTP API meets, expected or not,
is answered with a problem document (the documents are made in
:mod:`earmark.api.problems`, below the commands that keep refusals)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from earmark.api.commands import answer_response
from earmark.api.idempotency import KEY_LENGTH_MAX, Answer, IdempotentRequest, body_hash
from earmark.api.problems import ProblemError, problem, problem_response, validation_problem

log = logging.getLogger("earmark.api")


def _keep_refusal(request: Request, document: dict[str, Any], body: bytes) -> JSONResponse:
    """A refused body is an answer like any other: kept under its
    Idempotency-Key, so that the key cannot later be spent on another body."""
    key = request.headers["idempotency-key"]
    if len(key) > KEY_LENGTH_MAX:
        return problem_response(document)
    idempotent = IdempotentRequest(key, request.method, request.url.path, body_hash(body))
    commands = request.app.state.commands
    try:
        stored = commands.replay(idempotent)
    except ProblemError as refused:
        return problem_response(refused.document(), refused.headers)
    if stored is not None:
        return answer_response(stored, replayed=True)
    kept = commands.record(idempotent, Answer(int(document["status"]), document))
    return answer_response(kept)


def install(app: FastAPI) -> None:
    """Answer every error, expected or not, with a problem document."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.document(), exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        document = validation_problem(exc.errors())
        if request.method == "POST" and request.headers.get("idempotency-key"):
            return await run_in_threadpool(_keep_refusal, request, document, await request.body())
        return problem_response(document)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kinds = {404: ("no-such-route", "Not found"),
                 405: ("method-not-allowed", "Method not allowed"),
                 400: ("bad-request", "Bad request")}
        kind, title = kinds.get(exc.status_code, ("http", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = "no such resource"
        return problem_response(problem(exc.status_code, kind, title, detail), exc.headers)

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(problem(500, "internal", "Internal error",
                                        "an unexpected error occurred; it has been logged"))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
