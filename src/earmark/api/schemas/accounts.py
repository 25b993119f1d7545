"""Accounts: the customers; a lower priority is served first."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from earmark.api.schemas.common import In, Name, NextCursor, Out, PromiseBasisField, Timestamp
from earmark.domain.limits import PRIORITY_MAX

Priority = Annotated[int, Field(strict=True, ge=0, le=PRIORITY_MAX)]


class AccountPut(In):
    name: Name
    priority: Priority = Field(default=100, description="Lower is served first.")
    promise_basis: PromiseBasisField | None = Field(
        default=None, description="Which date this customer is told (before the item's say): "
                                  "promised_date (expected) or promised_date_p90.")


class AccountOut(Out):
    id: str
    name: str
    priority: int
    promise_basis: PromiseBasisField | None = None
    created_at: Timestamp
    updated_at: Timestamp


class AccountPage(Out):
    items: list[AccountOut]
    next_cursor: NextCursor
