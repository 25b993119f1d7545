"""Lanes: stock at ``from`` reaches ``to`` in ``transit_days``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from earmark.api.schemas.common import In, NextCursor, Out, Timestamp
from earmark.domain.limits import TRANSIT_DAYS_MAX


class LanePut(In):
    transit_days: Annotated[int, Field(strict=True, ge=0, le=TRANSIT_DAYS_MAX)]


class LaneOut(Out):
    from_: str = Field(alias="from")
    to: str
    transit_days: int
    created_at: Timestamp
    updated_at: Timestamp


class LanePage(Out):
    items: list[LaneOut]
    next_cursor: NextCursor
