"""A promise quote: what an order line placed now would get. Nothing is held."""

from __future__ import annotations

from earmark.api.schemas.common import Day, Identifier, In, Out, Promise, Units


class PromiseRequest(In):
    sku: Identifier
    quantity: Units
    location: Identifier | None = None
    account: Identifier | None = None
    requested_date: Day | None = None


class PromiseOut(Out):
    sku: str
    location: str
    quantity: int
    requested_date: Day
    promises: list[Promise]
    promised_date: Day | None
    complete: bool
