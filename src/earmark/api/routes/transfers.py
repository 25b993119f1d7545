"""``/v1/transfers``: move stock along a lane; ship, receive or cancel it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import (
    EMPTY_IS_NONE,
    CommandsDep,
    FromQuery,
    IdempotencyDep,
    IdPath,
    IdQuery,
    PageRequest,
    ToQuery,
    keyset_page,
)
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.transfers import (
    TransferCreate,
    TransferOut,
    TransferPage,
    TransferReceive,
    TransferShip,
    TransferStatus,
)
from earmark.service import transfers

router = APIRouter(prefix="/v1/transfers", tags=["network"])

TransfersPage = Annotated[PageRequest, keyset_page(transfers.TRANSFERS.cursors)]


@router.post("", response_model=TransferOut, status_code=201,
             responses={200: {"model": TransferOut, "description": "An identical replay."},
                        **problems(400, 409, 422)})
def post_transfer(body: TransferCreate, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    """Create a transfer: demand at ``from`` and a receipt at ``to`` (same id).
    409 with ``shortfall`` and ``earliest_date`` (at ``from``; ``earliest_arrival``
    at ``to``) unless every unit pegs at ``from`` by ``need_date`` - transit
    (without ``need_date``: from free on-hand now); 422 without a lane."""
    command = transfers.CreateTransfer(body.id, body.sku, body.from_, body.to, body.quantity,
                                       body.need_date, body.priority)
    return commands.run(transfers.create_transfer, command, TransferOut, key)


@router.get("", response_model=TransferPage, responses=problems(422))
def list_transfers(
    page: TransfersPage, commands: CommandsDep, sku: IdQuery = None,
    origin: FromQuery = None, destination: ToQuery = None,
    status: Annotated[TransferStatus | None, EMPTY_IS_NONE, Query()] = None,
) -> JSONResponse:
    with commands.reading() as uow:
        return respond(TransferPage, transfers.list_transfers(
            uow.tx, uow.today, sku, origin, destination, status, page.after, page.limit))


@router.get("/{id}", response_model=TransferOut, responses=problems(404, 422))
def get_transfer(id: IdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        transfer = transfers.get_transfer(uow.tx, id, uow.today)
    if transfer is None:
        raise not_found(f"no transfer {id!r}")
    return respond(TransferOut, transfer)


@router.post("/{id}/ship", response_model=TransferOut, responses=problems(400, 404, 409, 422))
def ship_transfer(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                  body: TransferShip | None = None) -> JSONResponse:
    """Ship held units (default: all held at ``from``): on-hand there falls, and
    they are due at ``to`` today + transit. 409 for units not held."""
    command = transfers.ShipTransfer(id, body.quantity if body else None)
    return commands.run(transfers.ship_transfer, command, TransferOut, key)


@router.post("/{id}/receive", response_model=TransferOut, responses=problems(400, 404, 409, 422))
def receive_transfer(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                     body: TransferReceive | None = None) -> JSONResponse:
    """Receive units in transit (default: all), and only those: they join on-hand
    at ``to`` as a receipt's do. 409 for more than is in transit."""
    command = transfers.ReceiveTransfer(id, body.quantity if body else None)
    return commands.run(transfers.receive_transfer, command, TransferOut, key)


@router.post("/{id}/cancel", response_model=TransferOut, responses=problems(404, 409, 422))
def cancel_transfer(id: IdPath, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    """Give back at ``from`` what has not shipped; it leaves the receipt at ``to``.
    Units in transit stay in transit. 409 when nothing is left at ``from``."""
    return commands.run(transfers.cancel_transfer, transfers.CancelTransfer(id), TransferOut, key)
