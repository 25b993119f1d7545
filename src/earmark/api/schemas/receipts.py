"""Receipts: incoming supply, dated by when it is expected."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import (
    Day,
    Identifier,
    In,
    NextCursor,
    Out,
    Timestamp,
    Units,
)
from earmark.service.vocabulary import ReceiptSource as ReceiptSource
from earmark.service.vocabulary import ReceiptStatus as ReceiptStatus


class ReceiptCreate(In):
    id: Identifier
    sku: Identifier
    location: Identifier
    quantity: Units
    expected_date: Day
    source: ReceiptSource = "purchase"
    supplier: Identifier | None = Field(
        default=None, description="Who delivers it (created on first use); its slips make "
                                  "the confidence dates of promises pegged to its receipts.")


class ReceiptPatch(In):
    expected_date: Day | None = None
    quantity: Units | None = Field(
        default=None, description="The receipt's new total; not below what was received (422).")


class ReceiptReceive(In):
    quantity: Units | None = None


class ReceiptOut(Out):
    id: str
    sku: str
    location: str
    quantity: int
    received: int
    open: int
    expected_date: Day
    first_expected_date: Day = Field(description="The expected date the receipt was created with.")
    source: ReceiptSource
    supplier: str | None
    slip_days: int | None = Field(
        description="Received date - first expected date, recorded when received in full "
                    "(null before, and for receipts without supplier or of a transfer).")
    status: ReceiptStatus
    created_at: Timestamp
    updated_at: Timestamp


class ReceiptPage(Out):
    items: list[ReceiptOut]
    next_cursor: NextCursor
