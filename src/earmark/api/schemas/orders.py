"""Orders: lines of demand, each allocated, backordered, shipped or cancelled."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SkipValidation

from earmark.api.schemas.common import (
    Day,
    Identifier,
    In,
    NextCursor,
    Out,
    Promise,
    Timestamp,
    Units,
)
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
        default=None, description="May be left out only while exactly one location exists."
    )
    requested_date: Day | None = Field(default=None, description="Default: today.")
    backorder: BackorderPolicy | None = Field(
        default=None, description="Default: the item's policy ('allow' unless it says 'deny')."
    )


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


class OrderShip(In):
    lines: Annotated[list[LineShipIn], Field(min_length=1, max_length=ORDER_LINES_MAX)]


class ConsumedOut(Out):
    commitment: str
    quantity: int


class OrderLineOut(Out):
    line: str
    sku: str
    location: str
    quantity: int
    allocated: int
    backordered: int
    shipped: int
    cancelled: int
    requested_date: Day
    backorder: BackorderPolicy
    promises: list[Promise]
    promised_date: Day | None
    queue_position: int | None
    status: LineStatus
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
