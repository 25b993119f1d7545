"""``/v1/receipts``: incoming supply; change, receive or cancel it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdempotencyDep, IdPath, IdQuery, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.receipts import (
    ReceiptCreate,
    ReceiptOut,
    ReceiptPage,
    ReceiptPatch,
    ReceiptReceive,
    ReceiptStatus,
)
from earmark.service import catalog, supply
from earmark.service.queries import get_receipt

router = APIRouter(prefix="/v1/receipts", tags=["supply"])

ReceiptsPage = Annotated[PageRequest, keyset_page(catalog.RECEIPTS.cursors)]


@router.post("", response_model=ReceiptOut, status_code=201,
             responses={200: {"model": ReceiptOut, "description": "An identical replay."},
                        **problems(400, 409, 422)})
def post_receipt(body: ReceiptCreate, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    command = supply.CreateReceipt(body.id, body.sku, body.location, body.quantity,
                                   body.expected_date, body.source, body.supplier)
    return commands.run(supply.create_receipt, command, ReceiptOut, key)


@router.get("", response_model=ReceiptPage, responses=problems(422))
def list_receipts(
    page: ReceiptsPage, commands: CommandsDep, sku: IdQuery = None, location: IdQuery = None,
    status: Annotated[ReceiptStatus | None, Query()] = None,
) -> JSONResponse:
    with commands.reading() as uow:
        return respond(ReceiptPage, catalog.list_receipts(uow.tx, sku, location, status,
                                                          page.after, page.limit))


@router.get("/{id}", response_model=ReceiptOut, responses=problems(404, 422))
def get_one_receipt(id: IdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        receipt = get_receipt(uow.tx, id)
    if receipt is None:
        raise not_found(f"no receipt {id!r}")
    return respond(ReceiptOut, receipt)


@router.patch("/{id}", response_model=ReceiptOut, responses=problems(400, 404, 409, 422))
def patch_receipt(id: IdPath, body: ReceiptPatch, commands: CommandsDep) -> JSONResponse:
    """Move or resize a receipt; demand pegged to it is re-planned."""
    command = supply.PatchReceipt(id, body.expected_date, body.quantity)
    return commands.run(supply.patch_receipt, command, ReceiptOut, None)


@router.post("/{id}/receive", response_model=ReceiptOut, responses=problems(400, 404, 409, 422))
def receive_receipt(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                    body: ReceiptReceive | None = None) -> JSONResponse:
    """Receive units (default: all that is open); they join on-hand."""
    command = supply.ReceiveReceipt(id, body.quantity if body else None)
    return commands.run(supply.receive_receipt, command, ReceiptOut, key)


@router.post("/{id}/cancel", response_model=ReceiptOut, responses=problems(404, 409, 422))
def cancel_receipt(id: IdPath, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    """Cancel what is still open."""
    return commands.run(supply.cancel_receipt, supply.CancelReceipt(id), ReceiptOut, key)
