"""``/v1/events``: the outbox, oldest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep
from earmark.api.problems import invalid_parameter
from earmark.api.routes import problems
from earmark.api.schemas.events import EventPage
from earmark.domain.limits import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX
from earmark.service.queries import list_events

router = APIRouter(prefix="/v1/events", tags=["events"])

EVENT_ID_MAX = 2**63 - 1


@router.get("", response_model=EventPage, responses=problems(422))
def get_events(
    commands: CommandsDep,
    after: Annotated[int, Query(ge=0, le=EVENT_ID_MAX,
                                description="Only events with a larger id.")] = 0,
    type: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX)] = PAGE_LIMIT_DEFAULT,
    cursor: Annotated[str | None, Query(max_length=20, description="Same as after=.")] = None,
) -> JSONResponse:
    if cursor is not None:
        if not cursor.isdigit() or int(cursor) > EVENT_ID_MAX:
            raise invalid_parameter("cursor", "is not a cursor this server gave out")
        after = max(after, int(cursor))
    with commands.reading() as uow:
        return respond(EventPage, list_events(uow.tx, after, type, limit))
