"""``/v1/audit``: the events with who caused each, filtered by actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from earmark.api.commands import respond
from earmark.api.deps import EMPTY_IS_NONE, CommandsDep, PageRequest, keyset_page
from earmark.api.routes import problems
from earmark.api.routes.events import EVENT_ID_MAX
from earmark.api.schemas.events import EventPage
from earmark.service.actor import ACTOR_LENGTH_MAX
from earmark.service.queries import AUDIT, list_audit

router = APIRouter(prefix="/v1/audit", tags=["events"])

AuditPage = Annotated[PageRequest, keyset_page(AUDIT.cursors)]


@router.get("", response_model=EventPage, responses=problems(422))
def get_audit(
    commands: CommandsDep,
    *,
    actor: Annotated[Annotated[str, StringConstraints(min_length=1, max_length=ACTOR_LENGTH_MAX)]
                     | None, EMPTY_IS_NONE,
                     Query(description="Only what this actor caused: a key's name, cli, "
                           "system or anonymous.")] = None,
    after: Annotated[int, Query(ge=0, le=EVENT_ID_MAX,
                                description="Only events with a larger id.")] = 0,
    page: AuditPage,
) -> JSONResponse:
    """Every event, oldest first, with its ``actor``: who changed what, when."""
    if page.after is not None:
        after = max(after, page.after[0])
    with commands.reading() as uow:
        return respond(EventPage, list_audit(uow.tx, after, actor, page.limit))
