"""Events: every change a customer or a downstream system should hear about."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from earmark.api.schemas.common import NextCursor, Out, Timestamp


class EventOut(Out):
    id: int
    type: str
    at: Timestamp
    data: dict[str, Any]
    actor: str = Field(description="Who caused it: an API key's name, cli, system (the clock, "
                       "expiry, background work) or anonymous (a server without keys).")


class EventPage(Out):
    items: list[EventOut]
    next_cursor: NextCursor
