"""Money and service reports: what the stock costs, how well customers are served."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Out

Money = str | None
"""A two-place decimal string in the server's currency; null where a cost or price is missing."""


class CapitalFigures(Out):
    on_hand: Money = Field(description="On-hand units × unit_cost.")
    held: Money = Field(description="On-hand units held for order lines × unit_cost.")
    committed_held: Money = Field(description="On-hand units pegged to commitments × unit_cost.")
    free: Money = Field(description="The rest of on-hand × unit_cost.")
    safety_stock: Money = Field(description="The part of free that is safety stock × unit_cost.")
    incoming: Money = Field(description="Open receipts' units × unit_cost.")
    committed_incoming: Money = Field(description="The part of incoming pegged to commitments.")
    backordered_revenue: Money = Field(
        description="Backordered units × the line's unit_price (else the item's).")
    excess: Money = Field(
        description="Free on-hand beyond safety stock and the lead time's forecast × unit_cost.")


class CapitalRow(CapitalFigures):
    sku: str
    location: str


class WeekValue(Out):
    week: str = Field(description="The Monday naming the week (YYYY-MM-DD), or 'unconfirmed'.")
    value: Money


class CapitalOut(CapitalFigures):
    currency: str
    as_of: str
    by_week: list[WeekValue] = Field(
        description="Backordered revenue by the week of each unit's promised date; units no "
                    "supply serves under week 'unconfirmed'.")
    by_sku: list[CapitalRow]
    missing_cost: int = Field(description="Skus of the report without a unit_cost.")
    missing_price: int = Field(description="Skus of the report whose backordered revenue lacks a price.")


class AgingBucket(Out):
    bucket: str = Field(examples=["0-7", "8-30", "31-90", "90+"])
    units: int
    lines: int


class ServiceFigures(Out):
    fill_rate: float | None = Field(
        description="Units ordered in the window held from on-hand at placing / units ordered.")
    on_time_rate: float | None = Field(
        description="Units shipped in the window on or before their line's first promised date "
                    "/ units shipped.")
    promise_error_days_mean: float | None
    promise_error_days_p90: int | None
    quoted_wait_days_mean: float | None
    promise_changes: int
    aging: list[AgingBucket]


class AccountService(ServiceFigures):
    account: str


class WeekService(Out):
    week: str
    fill_rate: float | None
    on_time_rate: float | None


class ServiceOut(ServiceFigures):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    by_account: list[AccountService]
    by_week: list[WeekService] = Field(
        description="Fill rate and on-time rate of each week (Monday) of the window.")
