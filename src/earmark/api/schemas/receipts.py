"""Receipts: incoming supply, dated by when it is expected."""

from __future__ import annotations

from typing import Literal

from earmark.api.schemas.common import (
    Day,
    Identifier,
    In,
    NextCursor,
    Out,
    PositiveQuantity,
    Quantity,
    Timestamp,
)

ReceiptSource = Literal["purchase", "production", "transfer", "harvest"]
ReceiptStatus = Literal["open", "received", "cancelled"]


class ReceiptCreate(In):
    id: Identifier
    sku: Identifier
    location: Identifier
    quantity: PositiveQuantity
    expected_date: Day
    source: ReceiptSource = "purchase"


class ReceiptPatch(In):
    expected_date: Day | None = None
    quantity: Quantity | None = None


class ReceiptReceive(In):
    quantity: PositiveQuantity | None = None


class ReceiptOut(Out):
    id: str
    sku: str
    location: str
    quantity: int
    received: int
    open: int
    expected_date: Day
    source: ReceiptSource
    status: ReceiptStatus
    created_at: Timestamp
    updated_at: Timestamp


class ReceiptPage(Out):
    items: list[ReceiptOut]
    next_cursor: NextCursor
