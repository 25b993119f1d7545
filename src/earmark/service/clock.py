"""The calendar. ``EARMARK_TODAY`` freezes it; frozen, it only moves when
``POST /v1/clock`` (the advance-clock command) says so, and the day it was
moved to is stored so that every process and every restart agrees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.store import tables as t

FROZEN_DAY = "frozen_today"


@dataclass(frozen=True)
class Clock:
    frozen: date | None = None
    """The day ``EARMARK_TODAY`` names, or None to follow the real date."""
    stamps_today: bool = False
    """Frozen, stamp what happens (events, rows' ``created_at``) on today,
    at the real time of day, instead of at the real moment. The demo loads
    its data so, and its events read as happening on the demo's day."""

    @property
    def is_frozen(self) -> bool:
        return self.frozen is not None

    def today(self, tx: Connection) -> date:
        if self.frozen is None:
            return datetime.now(UTC).date()
        return self.today_from(stored_day(tx))

    def today_from(self, stored: date | None) -> date:
        """Today, given the frozen day as stored (``POST /v1/clock`` moves it)."""
        if self.frozen is None:
            return datetime.now(UTC).date()
        return max(self.frozen, stored) if stored is not None else self.frozen

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def moment(self, today: date) -> datetime:
        """The timestamp of what happens now, on the calendar of ``today``."""
        now = datetime.now(UTC)
        if self.frozen is None or not self.stamps_today:
            return now
        return datetime.combine(today, now.timetz())


def stored_day(tx: Connection) -> date | None:
    """The day a frozen calendar was last moved to (``POST /v1/clock``, or the
    demo when it loads its data), as stored with the database."""
    day: date | None = tx.execute(
        select(t.clock.c.day).where(t.clock.c.name == FROZEN_DAY)).scalar()
    return day
