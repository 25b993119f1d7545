"""``/v1/promise``: what an order line placed now would get. Nothing is held."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.deps import CommandsDep, IdempotencyDep
from earmark.api.routes import problems
from earmark.api.schemas.promise import PromiseOut, PromiseRequest
from earmark.service import commitments

router = APIRouter(prefix="/v1/promise", tags=["availability"])


@router.post("", response_model=PromiseOut, responses=problems(400, 422))
def post_promise(body: PromiseRequest, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    """Exactly what an order line placed now would get, including consumption
    of the account's commitments. Nothing is held."""
    command = commitments.QuotePromise(body.sku, body.quantity, body.location, body.account,
                                       body.requested_date, body.ship_to, body.split)
    return commands.run(commitments.quote_promise, command, PromiseOut, key, writes=False)
