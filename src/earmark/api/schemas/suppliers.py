"""Suppliers: who delivers receipts, and how late they tend to be."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import NextCursor, Out


class SlipDays(Out):
    mean: float | None = Field(description="Mean slip in days; null without a recorded slip.")
    p50: int | None = Field(description="Median slip by nearest rank, in whole days.")
    p90: int | None = Field(description="90th percentile slip by nearest rank, in whole days.")


class SlipCount(Out):
    slip_days: int
    receipts: int


class SupplierOut(Out):
    id: str
    receipts: int = Field(description="Receipts that name this supplier.")
    received: int = Field(description="Receipts received in full (each recorded a slip).")
    slip_days: SlipDays = Field(description="Slip: received date - first expected date.")
    on_time_share: float | None = Field(
        description="Share of received receipts whose slip is <= 0; null when none is received.")
    histogram: list[SlipCount] = Field(description="Received receipts per slip, by slip.")


class SupplierPage(Out):
    items: list[SupplierOut]
    next_cursor: NextCursor
