"""Projected on-hand of a position, day by day, from stock, supply, demand and the forecast."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, Out
from earmark.api.schemas.position_forecast import (
    METHOD_DESCRIPTION,
    METHOD_REASON_DESCRIPTION,
    MethodReason,
)


class ProjectionForecast(Out):
    run_id: str
    model: str
    method: str = Field(description=METHOD_DESCRIPTION)
    method_reason: MethodReason | None = Field(description=METHOD_REASON_DESCRIPTION)
    made_on: Day
    first_date: Day = Field(description="The first day the forecast counts (after today).")
    last_date: Day = Field(description="The forecast's last day: the projection's last day.")


class ProjectedDay(Out):
    date: Day
    receipts: int = Field(description="Open units of receipts arriving (overdue ones today).")
    orders: int = Field(description="Open order units due (overdue ones today).")
    commitments: int = Field(
        description="Remaining units of open commitments needed that day (overdue need dates "
        "today; none for a commitment that expires on or before that day): booked demand, "
        "like orders."
    )
    forecast: float = Field(description="The forecast mean of the day (0 today and without a forecast).")
    expected_demand: float = Field(
        description="The demand counted that day: the forecast netted against the booked demand "
        "(orders + commitments), so the larger of the two: the forecast is consumed by the "
        "orders it predicted, not counted twice."
    )
    projected_on_hand: float = Field(
        description="Expected on-hand at the end of the day: the previous day's (on_hand "
        "before today) + receipts - expected_demand."
    )


class ProjectionOut(Out):
    sku: str
    location: str
    today: Day
    on_hand: int
    safety_stock: int = Field(description="The item's safety stock: the threshold of "
                              "first_below_safety_stock.")
    forecast: ProjectionForecast | None = Field(
        description="The forecast used; null without a current one (the forecast then counts "
        "zero and the projection runs 28 days)."
    )
    stale_forecast: bool = Field(description="A forecast exists but none of its days is after today.")
    days: list[ProjectedDay] = Field(description="From today through the forecast's last day.")
    first_below_safety_stock: Day | None = Field(
        description="The first day projected on-hand is below the safety stock; null if none."
    )
    first_below_zero: Day | None = Field(
        description="The first day projected on-hand is below zero; null if none."
    )
