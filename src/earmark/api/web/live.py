"""``/events/stream``: new events as Server-Sent Events, for the live feed.

The stream polls the outbox (the API's ``list_events`` after the last id
sent) twice a second; a browser that reconnects sends ``Last-Event-ID`` and
misses nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from earmark.api.commands import Commands
from earmark.api.web import views
from earmark.api.web.render import commands_of, templates

router = APIRouter()

POLL_INTERVAL_SECONDS = 0.5
STREAM_SECONDS_MAX = 300.0
"""A stream ends after this long; the browser's EventSource reconnects on its
own, so a server that is stopping never waits long on an open stream."""
KEEPALIVE_SECONDS = 15.0
EVENT_ID_MAX = 2**63 - 1


def _read(commands: Commands, after: int, event_type: str | None) -> list[dict[str, Any]]:
    with commands.reading() as uow:
        return views.events_after(uow, after, event_type)


def _message(event: dict[str, Any]) -> str:
    row = templates.get_template("_event.html").render(event=event)
    payload = json.dumps({"id": event["id"], "type": event["type"], "html": row})
    return f"id: {event['id']}\nevent: earmark\ndata: {payload}\n\n"


async def _stream(request: Request, after: int, event_type: str | None) -> AsyncIterator[str]:
    commands = commands_of(request)
    started = last_sent = time.monotonic()
    yield "retry: 1000\n\n"
    while time.monotonic() - started < STREAM_SECONDS_MAX:
        if await request.is_disconnected():
            return
        events = await run_in_threadpool(_read, commands, after, event_type)
        for event in events:
            yield _message(event)
            after = event["id"]
            last_sent = time.monotonic()
        if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(POLL_INTERVAL_SECONDS)


@router.get("/events/stream")
async def stream(
    request: Request,
    after: Annotated[int, Query(ge=0, le=EVENT_ID_MAX)] = 0,
    type: Annotated[str | None, Query(max_length=40)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    if last_event_id is not None and last_event_id.isdigit():
        after = max(after, min(int(last_event_id), EVENT_ID_MAX))
    return StreamingResponse(
        _stream(request, after, type or None), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
