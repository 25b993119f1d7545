"""The figures of a position (or of a sku over all its locations)."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, Out


class AtpEntry(Out):
    date: Day
    supply: int
    available: int = Field(description="What a new request can be confirmed against on that date.")


class AvailabilityOut(Out):
    sku: str
    location: str | None = Field(description="Null when summed over every location.")
    today: Day
    on_hand: int
    allocated: int
    committed: int
    backordered: int
    incoming: int
    safety_stock: int
    available_now: int
    atp: list[AtpEntry] | None = Field(
        default=None, description="Left out when summed over every location."
    )
