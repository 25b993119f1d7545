"""``POST /v1/orders`` on a short path: the hot route, without FastAPI's
routing and dependency machinery, which cost more than the rest of the
request on the event loop (bench c).

An ordinary request (a JSON body that is a valid order, an
``Idempotency-Key`` absent or of a valid length, no query) is validated in
one pass from its bytes, handed to :meth:`Commands.run_async` and answered.
Anything else goes on to FastAPI with its body untouched, which answers
exactly as it always did: the 400 and 422 problem documents (fields named
like ``lines[0].quantity``) are still FastAPI's. The answers, their headers
and the OpenAPI description are the route's (``routes/orders.py``)."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from earmark.api.commands import Commands
from earmark.api.idempotency import KEY_LENGTH_MAX, IdempotentRequest, body_hash
from earmark.api.middleware import replay
from earmark.api.problems import ProblemError, problem_response
from earmark.api.routes.orders import place_command
from earmark.api.schemas.orders import OrderCreate, OrderOut
from earmark.service import orders

PATH = "/v1/orders"
JSON = b"application/json"


class OrderLane:
    """ASGI middleware, inside :class:`~earmark.api.middleware.BodyLimit`
    (which hands the body on in one message)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH
                or scope.get("root_path") or scope.get("query_string")):
            await self.app(scope, receive, send)
            return
        message = await receive()
        # What FastAPI would otherwise read again: the same body, then the client.
        again = replay([message], then=receive)
        plain, key = _headers(scope)
        order = None
        body = message.get("body", b"")
        if plain and message["type"] == "http.request" and not message.get("more_body", False):
            try:
                order = OrderCreate.model_validate_json(body)
            except ValidationError:
                # FastAPI answers it below, with the problem document it always wrote.
                order = None
        if order is None:
            await self.app(scope, again, send)
            return
        request = None if key is None else IdempotentRequest(key, "POST", PATH, body_hash(body))
        commands: Commands = scope["app"].state.commands
        try:
            response = await commands.run_async(orders.place_order, place_command(order),
                                                OrderOut, request)
        except ProblemError as error:
            response = problem_response(error.document(), error.headers)
        await response(scope, again, send)


def _headers(scope: Scope) -> tuple[bool, str | None]:
    """Whether the request is a plain JSON one this lane may take, and its
    Idempotency-Key (None without one)."""
    content_type = None
    keys: list[str] = []
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value
        elif name == b"idempotency-key":
            keys.append(value.decode("latin-1"))
    if content_type != JSON or len(keys) > 1:
        return False, None
    if keys and not 1 <= len(keys[0]) <= KEY_LENGTH_MAX:
        return False, None
    return True, keys[0] if keys else None
