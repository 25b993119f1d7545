"""Events: every change a customer or a downstream system should hear about."""

from __future__ import annotations

from typing import Any

from earmark.api.schemas.common import NextCursor, Out, Timestamp


class EventOut(Out):
    id: int
    type: str
    at: Timestamp
    data: dict[str, Any]


class EventPage(Out):
    items: list[EventOut]
    next_cursor: NextCursor
