"""``/v1/suppliers``: who delivers receipts, with the distribution of their slips."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdPath, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.suppliers import SupplierOut, SupplierPage
from earmark.service import suppliers

router = APIRouter(prefix="/v1/suppliers", tags=["supply"])

SuppliersPage = Annotated[PageRequest, keyset_page(suppliers.SUPPLIERS.cursors)]


@router.get("", response_model=SupplierPage, responses=problems(422))
def list_suppliers(page: SuppliersPage, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(SupplierPage, suppliers.list_suppliers(uow, page.after, page.limit))


@router.get("/{id}", response_model=SupplierOut, responses=problems(404, 422))
def get_supplier(id: IdPath, commands: CommandsDep) -> JSONResponse:
    """A supplier's slip distribution: count, mean, P50, P90 and on-time share."""
    with commands.reading() as uow:
        supplier = suppliers.get_supplier(uow, id)
    if supplier is None:
        raise not_found(f"no supplier {id!r}")
    return respond(SupplierOut, supplier)
