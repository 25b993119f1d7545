"""``/v1/accounts``: create or replace, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdPath, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.accounts import AccountOut, AccountPage, AccountPut
from earmark.service import catalog, master

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

AccountsPage = Annotated[PageRequest, keyset_page(catalog.ACCOUNTS.cursors)]


@router.put("/{id}", response_model=AccountOut, status_code=201,
            responses={200: {"model": AccountOut, "description": "Updated."},
                       **problems(400, 422)})
def put_account(id: IdPath, body: AccountPut, commands: CommandsDep) -> JSONResponse:
    """Create (201) or replace (200) an account."""
    return commands.run(master.upsert_account, master.UpsertAccount(id, body.name, body.priority,
                                                              body.promise_basis),
                        AccountOut, None)


@router.get("/{id}", response_model=AccountOut, responses=problems(404, 422))
def get_account(id: IdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        account = catalog.get_account(uow.tx, id)
    if account is None:
        raise not_found(f"no account {id!r}")
    return respond(AccountOut, account)


@router.get("", response_model=AccountPage, responses=problems(422))
def list_accounts(page: AccountsPage, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(AccountPage, catalog.list_accounts(uow.tx, page.after, page.limit))
