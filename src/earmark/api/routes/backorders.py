"""``/v1/backorders``: the queue, in serving order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, PageRequest, keyset_page
from earmark.api.routes import problems
from earmark.api.schemas.backorders import BackorderPage
from earmark.service.queries import BACKORDERS, list_backorders

router = APIRouter(prefix="/v1/backorders", tags=["orders"])

BackordersPage = Annotated[PageRequest, keyset_page(BACKORDERS.cursors)]


@router.get("", response_model=BackorderPage, responses=problems(422))
def get_backorders(page: BackordersPage, commands: CommandsDep, sku: IdQuery = None,
                   location: IdQuery = None, account: IdQuery = None) -> JSONResponse:
    with commands.reading() as uow:
        return respond(BackorderPage, list_backorders(
            uow.tx, uow.today, sku, location, account, page.after, page.limit))
