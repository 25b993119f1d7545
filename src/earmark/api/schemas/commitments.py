"""Commitments (earmarks): supply set aside for an account before its orders exist."""

from __future__ import annotations

from pydantic import Field

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
from earmark.service.vocabulary import CommitmentKind as CommitmentKind
from earmark.service.vocabulary import CommitmentMode as CommitmentMode
from earmark.service.vocabulary import CommitmentStatus as CommitmentStatus


class CommitmentCreate(In):
    id: Identifier
    account: Identifier
    sku: Identifier
    location: Identifier
    quantity: Units
    need_date: Day
    expires_on: Day | None = Field(
        default=None, description="From that day on, what is left unconsumed is released."
    )
    kind: CommitmentKind = "contract"
    mode: CommitmentMode = "strict"


class CommitmentRelease(In):
    quantity: Units | None = Field(default=None, description="Default: all remaining.")


class CommitmentOut(Out):
    id: str
    account: str
    sku: str
    location: str
    quantity: int
    need_date: Day
    expires_on: Day | None
    kind: CommitmentKind
    mode: CommitmentMode
    status: CommitmentStatus
    consumed: int
    released: int
    remaining: int
    confirmed: int = Field(description="Remaining units pegged to supply.")
    promises: list[Promise]
    promised_date: Day | None
    promised_date_p90: Day | None = Field(description=P90_DESCRIPTION)
    customer_date: Day | None = Field(description=CUSTOMER_DATE_DESCRIPTION)
    created_at: Timestamp


class CommitmentPage(Out):
    items: list[CommitmentOut]
    next_cursor: NextCursor
