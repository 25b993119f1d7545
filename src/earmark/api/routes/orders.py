"""``/v1/orders``: place (alone or in a batch), read, list, cancel, ship."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from earmark.api.commands import Commands, answer_response, respond
from earmark.api.deps import (
    EMPTY_IS_NONE,
    CommandsDep,
    IdempotencyDep,
    IdPath,
    IdQuery,
    PageRequest,
    keyset_page,
)
from earmark.api.idempotency import Answer
from earmark.api.problems import not_found, validation_problem
from earmark.api.routes import problems
from earmark.api.schemas.orders import (
    OrderBatch,
    OrderBatchOut,
    OrderCancel,
    OrderCreate,
    OrderOut,
    OrderPage,
    OrderShip,
    OrderStatus,
)
from earmark.service import orders
from earmark.service.queries import ORDERS, get_order, list_orders

router = APIRouter(prefix="/v1", tags=["orders"])

OrdersPage = Annotated[PageRequest, keyset_page(ORDERS.cursors)]


def place_command(body: OrderCreate) -> orders.PlaceOrder:
    return orders.PlaceOrder(
        body.id, body.account,
        # A line left unnamed is numbered by its place: "1", "2", ... (API.md).
        [orders.LineIn(ln.line if ln.line is not None else str(n), ln.sku, ln.quantity, ln.location,
                       ln.requested_date, ln.backorder, ln.ship_to, ln.split,
                       ln.unit_price)
         for n, ln in enumerate(body.lines, start=1)],
    )


@router.post("/orders", response_model=OrderOut, status_code=201,
             responses={200: {"model": OrderOut, "description": "An identical replay."},
                        **problems(400, 409, 422)})
async def post_order(body: OrderCreate, request: Request, key: IdempotencyDep) -> JSONResponse:
    """Place an order: each line is allocated from free on-hand, takes over the
    account's commitments, or waits in the queue with a promised date."""
    commands: Commands = request.app.state.commands
    return await commands.run_async(orders.place_order, place_command(body), OrderOut, key)


@router.post("/orders:batch", response_model=OrderBatchOut, responses=problems(400, 422))
def post_order_batch(body: OrderBatch, commands: CommandsDep,
                     key: IdempotencyDep) -> JSONResponse:
    """Place up to 1,000 orders; each succeeds or fails on its own."""
    if key is not None and (stored := commands.replay(key)) is not None:
        return answer_response(stored, replayed=True)
    results: list[dict[str, Any] | None] = []
    valid: list[tuple[int, orders.PlaceOrder]] = []
    for raw in body.orders:
        try:
            order = OrderCreate.model_validate(raw)
        except ValidationError as error:
            document = validation_problem(error.errors(include_url=False))
            results.append({"status": document["status"], "body": document})
            continue
        valid.append((len(results), place_command(order)))
        results.append(None)
    answers = commands.answer_many(orders.place_order, [c for _, c in valid], OrderOut)
    for (at, _), placed in zip(valid, answers, strict=True):
        results[at] = {"status": placed.status, "body": placed.content}
    answer = Answer(200, {"results": results}, as_is=True)
    if key is not None:
        answer = commands.record(key, answer)
    return answer_response(answer)


@router.get("/orders", response_model=OrderPage, responses=problems(422))
def get_orders(page: OrdersPage, commands: CommandsDep, account: IdQuery = None,
               status: Annotated[OrderStatus | None, EMPTY_IS_NONE, Query()] = None) -> JSONResponse:
    with commands.reading() as uow:
        return respond(OrderPage, list_orders(uow.tx, uow.today, account, status,
                                              page.after, page.limit))


@router.get("/orders/{id}", response_model=OrderOut, responses=problems(404, 422))
def get_one_order(id: IdPath, commands: CommandsDep) -> JSONResponse:
    """The order, its promises current."""
    with commands.reading() as uow:
        order = get_order(uow.tx, id, uow.today)
    if order is None:
        raise not_found(f"no order {id!r}")
    return respond(OrderOut, order)


@router.post("/orders/{id}/cancel", response_model=OrderOut,
             responses=problems(400, 404, 409, 422))
def cancel_order(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                 body: OrderCancel | None = None) -> JSONResponse:
    """Cancel open units (default: all); freed units go to the queue."""
    lines = None
    if body is not None and body.lines is not None:
        lines = [orders.LineQuantity(ln.line, ln.quantity) for ln in body.lines]
    return commands.run(orders.cancel_order, orders.CancelOrder(id, lines), OrderOut, key)


@router.post("/orders/{id}/ship", response_model=OrderOut,
             responses=problems(400, 404, 409, 422))
def ship_order(id: IdPath, body: OrderShip, commands: CommandsDep,
               key: IdempotencyDep) -> JSONResponse:
    """Ship allocated units; on-hand falls with them."""
    lines = [orders.LineQuantity(ln.line, ln.quantity, ln.location) for ln in body.lines]
    return commands.run(orders.ship_order, orders.ShipOrder(id, lines), OrderOut, key)
