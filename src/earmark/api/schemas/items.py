"""Items: what is stocked, in which unit, with which lead time and policy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from earmark.api.schemas.common import In, Name, NextCursor, Out, PromiseBasisField, Quantity, Timestamp
from earmark.domain.backorder import BackorderPolicy
from earmark.domain.limits import LEAD_TIME_DAYS_MAX
from earmark.domain.money import MONEY_PATTERN

ItemBackorders = Literal[BackorderPolicy.allow, BackorderPolicy.deny]
"""An item's default backorder policy (``reject`` is for an order line only)."""

Unit = Annotated[str, Field(min_length=1, max_length=32)]
MONEY_LENGTH_MAX = 19
"""12 digits, a point and 6 decimals: what the pattern allows, said as a bound too."""
UnitCost = Annotated[str, Field(max_length=MONEY_LENGTH_MAX, pattern=MONEY_PATTERN,
                                examples=["12.50"])]
UnitPrice = Annotated[str, Field(max_length=MONEY_LENGTH_MAX, pattern=MONEY_PATTERN,
                                 examples=["25.00"])]
LeadTimeDays = Annotated[int, Field(strict=True, ge=0, le=LEAD_TIME_DAYS_MAX)]


class ItemPut(In):
    name: Name
    unit: Unit = "each"
    unit_cost: UnitCost | None = None
    unit_price: UnitPrice | None = Field(
        default=None, description="What a unit sells for, in the server's currency (an order "
                                  "line may carry its own).")
    lead_time_days: LeadTimeDays | None = Field(
        default=None, description="Estimate for units no known supply can serve: today + this."
    )
    backorders: ItemBackorders = BackorderPolicy.allow
    safety_stock: Quantity = 0
    promise_basis: PromiseBasisField | None = Field(
        default=None, description="Which date customers are told, unless their account says: "
                                  "promised_date (expected, the default) or promised_date_p90.")


class ItemOut(Out):
    sku: str
    name: str
    unit: str
    unit_cost: str | None
    unit_price: str | None = None
    lead_time_days: int | None
    backorders: ItemBackorders
    safety_stock: int
    promise_basis: PromiseBasisField | None = None
    created_at: Timestamp
    updated_at: Timestamp


class ItemPage(Out):
    items: list[ItemOut]
    next_cursor: NextCursor
