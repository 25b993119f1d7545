"""``/v1/events``: the outbox, oldest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import StringConstraints

from earmark.api.commands import respond
from earmark.api.deps import EMPTY_IS_NONE, CommandsDep, PageRequest, keyset_page
from earmark.api.routes import problems
from earmark.api.schemas.events import EventPage
from earmark.service.queries import EVENTS, list_events

router = APIRouter(prefix="/v1/events", tags=["events"])

EVENT_ID_MAX = 2**63 - 1


EventsPage = Annotated[PageRequest, keyset_page(EVENTS.cursors)]


@router.get("", response_model=EventPage, responses=problems(422))
def get_events(
    commands: CommandsDep,
    *,
    after: Annotated[int, Query(ge=0, le=EVENT_ID_MAX,
                                description="Only events with a larger id.")] = 0,
    type: Annotated[Annotated[str, StringConstraints(min_length=1, max_length=40)] | None,
                    EMPTY_IS_NONE, Query()] = None,
    page: EventsPage,
) -> JSONResponse:
    if page.after is not None:
        # A cursor holds the id of its page's last event; with after=, the later of the two.
        after = max(after, page.after[0])
    with commands.reading() as uow:
        return respond(EventPage, list_events(uow.tx, after, type, page.limit))
