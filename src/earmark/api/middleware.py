"""ASGI middleware that answers before any route runs: API keys and the
request size limit."""

from __future__ import annotations

import hmac
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from earmark.api.problems import problem, problem_response

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
