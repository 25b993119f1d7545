"""ASGI middleware that answers before any route runs (API keys and their
scopes, the dashboard's CSRF tokens and Content-Security-Policy, the request
size limit) or after everything else failed to (a database that does not
answer)."""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from earmark.api.keyring import KeyRing
from earmark.api.problems import problem, problem_response, unavailable_response
from earmark.service.actor import ANONYMOUS, acting_as
from earmark.service.database import is_unavailable
from earmark.service.keys import Caller

log = logging.getLogger("earmark.api")

OPEN_PATHS: frozenset[str] = frozenset({"/healthz"})
"""Paths a ``GET`` may ask without an API key: the health check, which load
balancers and probes call without one (API.md "Conventions"); it tells
nothing but liveness and the kind of database."""

KEY_COOKIE = "earmark_key"
"""The signed, HttpOnly cookie that says which key a person signed in to the
web UI with (earmark.api.keyring: the key itself is not in it)."""
FORM_FIELDS_MAX = 20

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


CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
CSRF_EXEMPT: frozenset[str] = frozenset({"/login"})
"""Signing in needs no token: it carries a key, which another site does not have."""
FORM_BYTES_MAX = 16 * 1024

ADMIN_PREFIXES = ("/v1/keys", "/v1/webhooks", "/v1/clock")
"""Paths whose changes need an ``admin`` key (``/v1/keys`` even to read)."""
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; "
    # Style attributes (the commitment bars) and htmx's indicator style.
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def needed_scope(method: str, path: str) -> str:
    """The smallest scope that may ask ``method path`` (API.md "Conventions")."""
    if path == "/v1/keys" or path.startswith("/v1/keys/"):
        return "admin"
    if method in READ_METHODS:
        return "read"
    if path.startswith(ADMIN_PREFIXES):
        return "admin"
    return "write"


class BearerAuth:
    """Who is calling, and may they? Checked before routing, so unknown paths
    do not tell a stranger what exists.

    Once the server has keys (:class:`KeyRing`), every request but a ``GET``
    of :data:`OPEN_PATHS` must carry ``Authorization: Bearer <key>``, else
    401; a key whose scope is too small for the request gets 403. The
    dashboard's pages also accept the signed session cookie that ``/login``
    sets (:data:`KEY_COOKIE`); a browser asking for a page without one is
    sent to ``/login``, while an API client still gets its 401. Without
    keys, every request acts as ``anonymous``.

    Every dashboard form posted must carry its CSRF token (keys or not: a
    page of another site can post a form to a server on loopback too), and
    every answer carries a Content-Security-Policy."""

    def __init__(self, app: ASGIApp, ring: KeyRing) -> None:
        self.app = app
        self.ring = ring

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_policy(send)
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        if _is_open(scope):
            await self.app(scope, receive, send)
            return
        session = _cookie(Headers(scope=scope).get("cookie", ""), KEY_COOKIE)
        if not await self.ring.required_async():
            caller: Caller | None = Caller(ANONYMOUS, "admin")
            session = None
        elif path in WEB_OPEN_PATHS or path.startswith(WEB_OPEN_PREFIXES):
            caller = Caller(ANONYMOUS, "read")
        else:
            caller = await self._caller(scope, session)
        if caller is None:
            await self._refuse_stranger(scope, receive, send)
            return
        if not caller.may(needed_scope(method, path)) and path not in WEB_OPEN_PATHS:
            await _forbidden(caller, method, path)(scope, receive, send)
            return
        if method == "POST" and not path.startswith(API_PREFIXES) and path not in CSRF_EXEMPT:
            checked = await self._checked_form(scope, receive, send, session)
            if checked is None:
                return
            receive = checked
        with acting_as(caller.name):
            await self.app(scope, receive, send)

    async def _caller(self, scope: Scope, session: str | None) -> Caller | None:
        headers = Headers(scope=scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return await self.ring.caller_async(token.strip())
        if session is not None:
            return await anyio.to_thread.run_sync(self.ring.session_caller, session)
        return None

    async def _refuse_stranger(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._wants_page(scope):
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        response = problem_response(
            problem(401, "unauthorized", "Unauthorized",
                    "this server needs Authorization: Bearer <API key>"),
            headers={"WWW-Authenticate": "Bearer"},
        )
        await response(scope, receive, send)

    async def _checked_form(self, scope: Scope, receive: Receive, send: Send,
                            session: str | None) -> Receive | None:
        """The request's body, to hand on, if the form carries its CSRF token
        (in the form, or in the header htmx sends); else None, refused (403)."""
        token = Headers(scope=scope).get(CSRF_HEADER, "")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return replay([message])
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > BODY_BYTES_MAX:
                # Read before BodyLimit sees it: the same limit, here.
                await problem_response(problem(
                    413, "too-large", "Request body too large",
                    f"a request body may be at most {BODY_BYTES_MAX} bytes"))(scope, receive, send)
                return None
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not token:
            fields = parse_qs(body[:FORM_BYTES_MAX].decode("utf-8", errors="replace"),
                              max_num_fields=FORM_FIELDS_MAX)
            token = fields.get(CSRF_FIELD, [""])[0]
        if not self.ring.csrf_valid(session, token):
            await problem_response(problem(
                403, "csrf", "Forbidden",
                "the form's CSRF token is missing or stale; reload the page and send it again",
            ))(scope, receive, send)
            return None
        return replay([{"type": "http.request", "body": body, "more_body": False}])

    @staticmethod
    def _wants_page(scope: Scope) -> bool:
        path: str = scope.get("path", "")
        if scope.get("method") != "GET" or path.startswith(API_PREFIXES):
            return False
        return "text/html" in Headers(scope=scope).get("accept", "")


def _forbidden(caller: Caller, method: str, path: str) -> Response:
    needed = needed_scope(method, path)
    return problem_response(problem(
        403, "forbidden", "Forbidden",
        f"the key {caller.name!r} has the scope {caller.scope!r}; "
        f"{method} {path} needs {needed!r}"))


def _with_policy(send: Send) -> Send:
    """``send`` that adds the Content-Security-Policy to an answer that has none."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if "content-security-policy" not in headers:
                headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        await send(message)

    return sending


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
