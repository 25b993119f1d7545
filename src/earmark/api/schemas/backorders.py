"""The queue: order lines waiting for supply, in serving order."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, NextCursor, Out


class BackorderOut(Out):
    order: str
    line: str
    account: str
    sku: str
    location: str
    backordered: int
    queue_position: int
    promised_date: Day | None
    confirmed: bool = Field(description="Every backordered unit has a confirmed promise.")


class BackorderPage(Out):
    items: list[BackorderOut]
    next_cursor: NextCursor
