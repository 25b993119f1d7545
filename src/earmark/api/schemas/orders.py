"""Orders: lines of demand, each allocated, backordered, shipped or cancelled."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation, StrictBool

from earmark.api.schemas.common import (
    CUSTOMER_DATE_DESCRIPTION,
    P90_DESCRIPTION,
    Day,
    Identifier,
    In,
    NextCursor,
    Out,
    Promise,
    Timestamp,
    Units,
)
from earmark.api.schemas.items import UnitPrice
from earmark.domain.backorder import BackorderPolicy
from earmark.domain.limits import BATCH_ORDERS_MAX, ORDER_LINES_MAX

LineStatus = Literal["allocated", "partially_allocated", "backordered", "shipped",
                     "cancelled", "closed"]
OrderStatus = Literal["open", "closed"]


class OrderLineCreate(In):
    line: Identifier | None = Field(
        default=None, description='Default: the line\'s place in the order ("1", "2", ...).')
    sku: Identifier
    quantity: Units
    location: Identifier | None = Field(
        default=None, description="May be left out only while exactly one location exists, "
                                  "or when the line names ship_to instead (not both)."
    )
    requested_date: Day | None = Field(default=None, description="Default: today.")
    backorder: BackorderPolicy | None = Field(
        default=None, description="Default: the item's policy ('allow' unless it says 'deny')."
    )
    ship_to: Identifier | None = Field(
        default=None, description="Where the units are delivered, instead of location: the line "
                                  "is served from ship_to itself (where stocked or expected) or "
                                  "from a location with a lane to it (DESIGN.md, rules N1-N3).")
    split: StrictBool = Field(
        default=False, description="A ship_to line that no one location serves in full may be "
                                   "served from several (rule N2).")
    unit_price: UnitPrice | None = Field(
        default=None, description="What a unit of this line sells for (default: the item's "
                                  "unit_price), in the server's currency.")


class OrderCreate(In):
    id: Identifier
    account: Identifier
    lines: Annotated[list[OrderLineCreate], Field(min_length=1, max_length=ORDER_LINES_MAX)]


class LineQuantityIn(In):
    line: Identifier
    quantity: Units | None = Field(default=None, description="Default: every open unit of the line.")


class OrderCancel(In):
    lines: Annotated[list[LineQuantityIn], Field(max_length=ORDER_LINES_MAX)] | None = Field(
        default=None, description="Default: every open unit of every line."
    )


class LineShipIn(In):
    line: Identifier
    quantity: Units
    location: Identifier | None = Field(
        default=None, description="The part's location: required when the line is served "
                                  "from several locations.")


class OrderShip(In):
    lines: Annotated[list[LineShipIn], Field(min_length=1, max_length=ORDER_LINES_MAX)]


class ConsumedOut(Out):
    commitment: str
    quantity: int


class PartOut(Out):
    location: str
    transit_days: int
    quantity: int
    allocated: int
    backordered: int
    shipped: int
    cancelled: int
    promises: list[Promise] = Field(description="Dated at the part's location.")


class OrderLineOut(Out):
    line: str
    sku: str
    location: str | None = Field(description="The location the line is served from; null when "
                                             "it is served from several (see parts).")
    ship_to: str | None = Field(default=None, description="Null for a line placed by location.")
    split: bool = False
    quantity: int
    allocated: int
    backordered: int
    shipped: int
    cancelled: int
    requested_date: Day
    backorder: BackorderPolicy
    promises: list[Promise]
    promised_date: Day | None
    promised_date_p90: Day | None = Field(description=P90_DESCRIPTION)
    customer_date: Day | None = Field(description=CUSTOMER_DATE_DESCRIPTION)
    queue_position: int | None = Field(
        description="Place in the queue of the part that waits (several: the first in candidate "
                    "order); null when nothing is backordered.")
    status: LineStatus
    parts: list[PartOut] | None = Field(
        default=None, description="One per location the line is served from, in candidate order; "
                                  "the line's promises are delivered dates (+ transit days).")
    unit_price: str | None = Field(
        default=None, description="The line's own price, two places; null: the item's applies.")
    consumed: list[ConsumedOut] | None = Field(
        default=None,
        description="Units taken over from the account's commitments (left out when none): "
                    "cancelling them gives them back to the commitment, latest consumption first.")


class OrderOut(Out):
    id: str
    account: str
    status: OrderStatus
    created_at: Timestamp
    lines: list[OrderLineOut]


class OrderPage(Out):
    items: list[OrderOut]
    next_cursor: NextCursor


class OrderBatch(In):
    # Each order is validated on its own in the route, so that one malformed
    # order fails alone instead of failing the batch; the schema still says
    # what an order is.
    orders: Annotated[list[SkipValidation[OrderCreate]], Field(max_length=BATCH_ORDERS_MAX)]


class BatchResult(Out):
    status: int
    body: dict[str, Any] = Field(description="The order, or a problem document.")


class OrderBatchOut(Out):
    results: list[BatchResult]
