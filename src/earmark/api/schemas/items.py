"""Items: what is stocked, in which unit, with which lead time and policy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from earmark.api.schemas.common import In, Name, NextCursor, Out, Quantity, Timestamp
from earmark.domain.backorder import BackorderPolicy
from earmark.domain.limits import LEAD_TIME_DAYS_MAX

ItemBackorders = Literal[BackorderPolicy.allow, BackorderPolicy.deny]
"""An item's default backorder policy (``reject`` is for an order line only)."""

Unit = Annotated[str, Field(min_length=1, max_length=32)]
UNIT_COST_LENGTH_MAX = 19
"""12 digits, a point and 6 decimals: what the pattern allows, said as a bound too."""
UnitCost = Annotated[str, Field(max_length=UNIT_COST_LENGTH_MAX, pattern=r"^\d{1,12}(\.\d{1,6})?$",
                                examples=["12.50"])]
LeadTimeDays = Annotated[int, Field(strict=True, ge=0, le=LEAD_TIME_DAYS_MAX)]


class ItemPut(In):
    name: Name
    unit: Unit = "each"
    unit_cost: UnitCost | None = None
    lead_time_days: LeadTimeDays | None = Field(
        default=None, description="Estimate for units no known supply can serve: today + this."
    )
    backorders: ItemBackorders = BackorderPolicy.allow
    safety_stock: Quantity = 0


class ItemOut(Out):
    sku: str
    name: str
    unit: str
    unit_cost: str | None
    lead_time_days: int | None
    backorders: ItemBackorders
    safety_stock: int
    created_at: Timestamp
    updated_at: Timestamp


class ItemPage(Out):
    items: list[ItemOut]
    next_cursor: NextCursor
