"""``/v1/accounts/{id}/notices``: what the account's customer should be told;
``/v1/accounts/{id}/contact``: where notices are e-mailed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdPath, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.notices import ContactOut, ContactPut, NoticePage
from earmark.notify import mailer, notices
from earmark.service import catalog

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

NoticesPage = Annotated[PageRequest, keyset_page(notices.NOTICES.cursors)]


@router.get("/{id}/notices", response_model=NoticePage, responses=problems(404, 422))
def list_notices(id: IdPath, page: NoticesPage, commands: CommandsDep) -> JSONResponse:
    """The account's notices, newest last: one per change that concerns it,
    as a subject, plain text and HTML."""
    with commands.reading() as uow:
        if catalog.get_account(uow.tx, id) is None:
            raise not_found(f"no account {id!r}")
    # Every change recorded before this request is told, whatever the dispatcher's pace.
    notices.catch_up(commands.store)
    with commands.reading() as uow:
        return respond(NoticePage, notices.list_notices(uow.tx, id, page.after, page.limit))


@router.put("/{id}/contact", response_model=ContactOut, status_code=201,
            responses={200: {"model": ContactOut, "description": "Updated."},
                       **problems(400, 404, 422)})
def put_contact(id: IdPath, body: ContactPut, commands: CommandsDep) -> JSONResponse:
    """Set (201) or change (200) the address the account's notices are e-mailed
    to (when the server has ``EARMARK_SMTP_URL``)."""
    return commands.run(mailer.set_contact, mailer.SetContact(id, body.email), ContactOut, None)


@router.get("/{id}/contact", response_model=ContactOut, responses=problems(404, 422))
def get_contact(id: IdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        contact = mailer.get_contact(uow.tx, id)
    if contact is None:
        raise not_found(f"account {id!r} has no contact address")
    return respond(ContactOut, contact)
