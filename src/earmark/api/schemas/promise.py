"""A promise quote: what an order line placed now would get. Nothing is held."""

from __future__ import annotations

from pydantic import Field, StrictBool

from earmark.api.schemas.common import (
    CUSTOMER_DATE_DESCRIPTION,
    P90_DESCRIPTION,
    Day,
    Identifier,
    In,
    Out,
    Promise,
    Units,
)


class PromiseRequest(In):
    sku: Identifier
    quantity: Units
    location: Identifier | None = None
    account: Identifier | None = None
    requested_date: Day | None = None
    ship_to: Identifier | None = Field(
        default=None, description="Instead of location: what a line with this ship_to would get.")
    split: StrictBool = False


class PromisePartOut(Out):
    location: str
    transit_days: int
    quantity: int
    promises: list[Promise] = Field(description="Dated at the part's location.")


class PromiseOut(Out):
    sku: str
    location: str | None = Field(description="Null when a ship_to line would be served from "
                                             "several locations.")
    quantity: int
    requested_date: Day
    promises: list[Promise] = Field(description="Delivered dates for a ship_to quote.")
    promised_date: Day | None
    promised_date_p90: Day | None = Field(description=P90_DESCRIPTION)
    customer_date: Day | None = Field(description=CUSTOMER_DATE_DESCRIPTION)
    complete: bool
    ship_to: str | None = None
    split: bool | None = None
    parts: list[PromisePartOut] | None = Field(default=None, description="A ship_to quote only.")
