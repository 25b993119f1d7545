"""ASGI middleware that answers before any route runs (API keys and the
request size limit) or after everything else failed to (a database that
does not answer)."""

from __future__ import annotations

import hmac
import logging
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from earmark.api.problems import problem, problem_response, unavailable_response
from earmark.store.db import is_unavailable

log = logging.getLogger("earmark.api")

OPEN_PATHS: frozenset[str] = frozenset({"/healthz"})
"""Paths a ``GET`` may ask without an API key: the health check, which load
balancers and probes call without one (API.md "Conventions"); it tells
nothing but liveness and the kind of database."""

KEY_COOKIE = "earmark_key"
"""The HttpOnly cookie in which the web UI keeps the API key a person signed in with."""

WEB_OPEN_PATHS: frozenset[str] = frozenset({"/login"})
WEB_OPEN_PREFIXES = ("/static/",)
"""The sign-in page and the UI's public files (htmx, uPlot, the style sheet)."""

API_PREFIXES = ("/v1/", "/healthz", "/openapi.json", "/docs")

BODY_BYTES_MAX = 1024 * 1024
"""The largest request body accepted (API.md: 1 MiB)."""
BATCH_BODY_BYTES_MAX = 16 * 1024 * 1024
"""The largest body of ``POST /v1/orders:batch`` (API.md: 16 MiB; a full batch of
ordinary orders is far smaller)."""
BATCH_PATH = "/v1/orders:batch"


class BearerAuth:
    """Every request but a ``GET`` of :data:`OPEN_PATHS` must carry
    ``Authorization: Bearer <key>`` with one of the configured keys, else 401. Checked before routing,
    so unknown paths do not tell a stranger what exists.

    The web UI's pages also accept the key from the :data:`KEY_COOKIE` cookie
    that ``/login`` sets; a browser asking for a page without one is sent to
    ``/login``, while an API client still gets its 401."""

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or _is_open(scope) or path in WEB_OPEN_PATHS
                or path.startswith(WEB_OPEN_PREFIXES) or self._allowed(scope)):
            await self.app(scope, receive, send)
            return
        if self._wants_page(scope):
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        response = problem_response(
            problem(401, "unauthorized", "Unauthorized",
                    "this server needs Authorization: Bearer <API key>"),
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            return self.valid(token.strip())
        cookie = _cookie(headers.get("cookie", ""), KEY_COOKIE)
        return cookie is not None and self.valid(cookie)

    def valid(self, key: str) -> bool:
        presented = key.encode()
        # Compare with every key, in constant time, so timing tells nothing.
        matches = [hmac.compare_digest(presented, known) for known in self.keys]
        return any(matches)

    @staticmethod
    def _wants_page(scope: Scope) -> bool:
        path: str = scope.get("path", "")
        if scope.get("method") != "GET" or path.startswith(API_PREFIXES):
            return False
        return "text/html" in Headers(scope=scope).get("accept", "")


def _is_open(scope: Scope) -> bool:
    return scope.get("method") == "GET" and scope.get("path", "") in OPEN_PATHS


def _cookie(header: str, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None


class BodyLimit:
    """Refuse (413) a request body larger than ``limit`` bytes, whether it
    says its length up front or streams it in chunks."""

    def __init__(self, app: ASGIApp, limit: int = BODY_BYTES_MAX,
                 batch_limit: int = BATCH_BODY_BYTES_MAX) -> None:
        self.app = app
        self.default_limit = limit
        self.batch_limit = batch_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.batch_limit if scope["path"] == BATCH_PATH else self.default_limit
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        # Read the body here, up to the limit, and hand it on whole.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see it as Starlette expects.
                await self.app(scope, replay([message]), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, replay([body], then=receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(problem(
            413, "too-large", "Request body too large",
            f"a request body may be at most {limit} bytes"))
        await response(scope, receive, send)


def replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class DatabaseUnavailable:
    """The one place a database that does not answer becomes 503 with
    ``Retry-After`` (API.md "Conventions"), never 500: whether a route, the
    order lane, the batching writer or a dashboard page met it. Outermost of
    the app's middleware, so that it sees what escapes every other layer;
    the error itself is logged as a warning, without its traceback, and not
    shown to the client.

    An answer already under way when the database went away cannot be taken
    back; the connection is then cut as for any other failure."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started or not _unavailable(error):
                raise
            log.warning("database unavailable on %s %s: %s", scope.get("method"),
                        scope.get("path"), _describe(error))
            await unavailable_response()(scope, receive, send)


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_unavailable(inner) for inner in error.exceptions)
    return is_unavailable(error)


def _describe(error: BaseException) -> str:
    first_line = str(error).strip().splitlines()[:1]
    return f"{type(error).__name__}: {first_line[0] if first_line else ''}"
