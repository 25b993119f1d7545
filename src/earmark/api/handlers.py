"""The exception handlers: every error the HTTP API meets, expected or not,
is answered with a problem document (the documents are made in
:mod:`earmark.api.problems`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from earmark.api.problems import ProblemError, problem, problem_response, validation_problem

log = logging.getLogger("earmark.api")


def install(app: FastAPI) -> None:
    """Answer every error, expected or not, with a problem document.

    A database that does not answer is not handled here: its errors go on up
    to :class:`~earmark.api.middleware.DatabaseUnavailable`, which also sees
    what the middleware below it (the order lane) raised."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem_response(exc.document(), exc.headers)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        # Nothing ran: an Idempotency-Key stays unused (API.md), so the client
        # can fix the body and retry with the same key.
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(exc.errors()))

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
