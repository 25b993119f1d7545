"""Transfers: stock moved along a lane; demand at ``from``, a receipt at ``to``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from earmark.api.schemas.accounts import Priority
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

TransferStatus = Literal["open", "in_transit", "received", "cancelled"]


class TransferCreate(In):
    id: Identifier = Field(description="Also the id of its receipt at `to`: free among receipts too.")
    sku: Identifier
    from_: Identifier = Field(alias="from")
    to: Identifier
    quantity: Units
    need_date: Day | None = Field(
        default=None, description="When the units are needed at `to`; default: ship now "
        "(every unit must then be held from free on-hand at `from`).")
    priority: Priority | None = Field(
        default=None, description="Its rank at `from` (lower is served first); default: after "
        "every account (the largest priority number any account has, 100 without accounts).")


class TransferShip(In):
    quantity: Units | None = Field(default=None, description="Default: all held at `from`.")


class TransferReceive(In):
    quantity: Units | None = Field(default=None, description="Default: all in transit.")


class TransferOut(Out):
    id: str
    sku: str
    from_: str = Field(alias="from")
    to: str
    quantity: int
    shipped: int
    received: int
    cancelled: int
    in_transit: int = Field(description="Shipped and not yet received.")
    allocated: int = Field(description="Units held for it at `from` (ready to ship).")
    open: int = Field(description="Units still at `from` (not shipped, not cancelled).")
    transit_days: int
    need_date: Day | None
    expected_date: Day | None = Field(
        description="Its receipt's at `to`: the latest arrival of the units pegged at `from` "
        "(promised date + transit) and of those in transit (ship day + transit).")
    priority: int
    status: TransferStatus
    promises: list[Promise] = Field(description="How the units still at `from` are served, "
                                    "dated at `from`.")
    created_at: Timestamp
    updated_at: Timestamp


class TransferPage(Out):
    items: list[TransferOut]
    next_cursor: NextCursor
