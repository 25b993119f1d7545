"""The figures of a position (or of a sku over all its locations)."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, Out


class AtpEntry(Out):
    date: Day
    supply: int = Field(description="The date's supply: open receipts' open quantities, or for "
                                    "the on-hand entry on-hand - safety stock (not below 0).")
    available: int = Field(description="What a new request can be confirmed against on that date "
                                       "(never negative).")


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
    available_now: int = Field(description="Units a new order for today could get from on-hand "
                                           "now: on-hand - safety stock - held, never negative.")
    safety_stock_short: int = Field(
        description="How many units on-hand lacks to hold both the held units and the safety "
                    "stock (0 when the buffer is whole). Safety stock is a buffer, not a "
                    "customer: lost supply eats it before any promise is broken.")
    atp: list[AtpEntry] | None = Field(
        default=None, description="Left out when summed over every location."
    )


class CandidateOut(Out):
    location: str
    transit_days: int
    available_now: int = Field(description="Free on-hand at the candidate now.")
    atp: list[AtpEntry] = Field(description="Its available-to-promise, dated as delivered dates "
                                            "at ship_to (+ transit days).")


class ShipToAvailabilityOut(Out):
    sku: str
    ship_to: str
    today: Day
    candidates: list[CandidateOut] = Field(
        description="In candidate order (transit days, then code): ship_to itself where the item "
                    "is stocked or expected, and every location with a lane to it.")
