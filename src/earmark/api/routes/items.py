"""``/v1/items``: create or replace, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, PageRequest, SkuPath, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.items import ItemOut, ItemPage, ItemPut
from earmark.service import catalog, master

router = APIRouter(prefix="/v1/items", tags=["items"])

ItemsPage = Annotated[PageRequest, keyset_page(catalog.ITEMS.cursors)]


@router.put("/{sku}", response_model=ItemOut, status_code=201,
            responses={200: {"model": ItemOut, "description": "Updated."},
                       **problems(400, 422)})
def put_item(sku: SkuPath, body: ItemPut, commands: CommandsDep) -> JSONResponse:
    """Create (201) or replace (200) an item."""
    command = master.UpsertItem(sku, body.name, body.unit, body.unit_cost, body.lead_time_days,
                                body.backorders, body.safety_stock, body.unit_price,
                                body.promise_basis)
    return commands.run(master.upsert_item, command, ItemOut, None)


@router.get("/{sku}", response_model=ItemOut, responses=problems(404, 422))
def get_item(sku: SkuPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        item = catalog.get_item(uow.tx, sku)
    if item is None:
        raise not_found(f"no item {sku!r}")
    return respond(ItemOut, item)


@router.get("", response_model=ItemPage, responses=problems(422))
def list_items(page: ItemsPage, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(ItemPage, catalog.list_items(uow.tx, page.after, page.limit))
