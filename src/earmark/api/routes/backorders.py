"""``/v1/backorders``: the queue, in serving order."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, PageDep
from earmark.api.routes import problems
from earmark.api.schemas.backorders import BackorderPage
from earmark.service.queries import list_backorders

router = APIRouter(prefix="/v1/backorders", tags=["orders"])


@router.get("", response_model=BackorderPage, responses=problems(422))
def get_backorders(page: PageDep, commands: CommandsDep, sku: IdQuery = None,
                   location: IdQuery = None, account: IdQuery = None) -> JSONResponse:
    with commands.reading() as uow:
        return respond(BackorderPage, list_backorders(
            uow.tx, uow.today, sku, location, account, page.offset, page.limit))
