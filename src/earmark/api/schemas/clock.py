"""The calendar the server plans by."""

from __future__ import annotations

from pydantic import Field

from earmark.api.schemas.common import Day, In, Out


class ClockAdvance(In):
    today: Day


class ClockOut(Out):
    today: Day
    frozen: bool = Field(description="True when EARMARK_TODAY froze the calendar.")


class ClockAdvanced(ClockOut):
    expired_commitments: int
