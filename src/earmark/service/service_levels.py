"""The service report: how well customers are served (API.md, "Money and
service reports").

Each figure is counted in *units*, never in lines or orders, so that a line
of 100 weighs as 100 lines of one. What a unit counts as, figure by figure:

- ``fill_rate``: a unit *ordered in the window* is a unit of a line (of any
  part of it) whose order was placed on a day of the window (earmark's
  today then, ``order_lines.ordered_on``), cancelled later or not, and
  including units a ``deny`` line gave up at once. It is *filled* when the
  placing itself held it from on-hand (``held_at_order``); units held later
  (a receipt arriving) are not.
- ``on_time_rate``: a unit *shipped in the window* is a unit of a shipment
  (``shipments``) dated on a day of the window, whatever the day its order
  was placed. It is *on time* when shipped on or before its line's first
  promised date; a unit whose line had none counts as shipped, not on time.
- ``promise_error_days_*``: |ship day − first promised date| of each unit
  shipped in the window whose line had a first promised date; the p90 is
  by nearest rank over those units.
- ``quoted_wait_days_mean``: first promised date − order day of each unit
  ordered in the window whose line had a first promised date.
- ``promise_changes``: ``order.promise_changed`` events recorded on a day of
  the window (earmark's calendar, ``events.day``) (an event, not a unit: one per part whose dates moved).
- ``aging``: each unit open and not held (open − allocated) of every line,
  as of today, by whole days since its order was placed; ``lines`` counts
  the lines (not parts) that have such units in the bucket.

A ``ship_to`` line's first promised date is a delivered date; it is
compared with the ship day as it is (API.md).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.engine import Connection

from earmark.store import tables as t

WINDOW_DAYS_DEFAULT = 30
WINDOW_DAYS_MAX = 3_660
"""A window spans at most ten years (its weeks are listed one by one)."""
AGING_BUCKETS = (("0-7", 7), ("8-30", 30), ("31-90", 90), ("90+", None))
"""Aging buckets by their last day since the order (the last is open-ended)."""


@dataclass
class Tally:
    """Unit counts of one account (or of everyone) from which the figures follow."""

    ordered: int = 0
    filled: int = 0
    quoted_units: int = 0
    quoted_days: int = 0
    shipped: int = 0
    on_time: int = 0
    errors: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    """Units shipped (with a first promised date) by their promise error in days."""
    promise_changes: int = 0
    aging_units: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    aging_lines: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def figures(self) -> dict[str, Any]:
        dated = sum(self.errors.values())
        return {
            "fill_rate": _share(self.filled, self.ordered),
            "on_time_rate": _share(self.on_time, self.shipped),
            "promise_error_days_mean": _share(sum(d * n for d, n in self.errors.items()), dated),
            "promise_error_days_p90": nearest_rank(self.errors, 0.9),
            "quoted_wait_days_mean": _share(self.quoted_days, self.quoted_units),
            "promise_changes": self.promise_changes,
            "aging": [{"bucket": name, "units": self.aging_units.get(name, 0),
                       "lines": self.aging_lines.get(name, 0)}
                      for name, _ in AGING_BUCKETS],
        }


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def nearest_rank(counts: dict[int, int], share: float) -> int | None:
    """The smallest value that at least ``share`` of the units do not exceed,
    from units counted by value (nearest-rank percentile)."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = math.ceil(share * total)
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return max(counts)  # unreachable: the last value reaches every rank


def default_window(today: date, start: date | None, end: date | None) -> tuple[date, date]:
    """The window's days, both included: without ``from`` the 30 days ending on ``to``."""
    last = end or today
    if start is not None:
        return start, last
    # The first days of the calendar have no 29 days before them.
    return max(date.min + timedelta(days=WINDOW_DAYS_DEFAULT - 1), last) - timedelta(
        days=WINDOW_DAYS_DEFAULT - 1), last


def window_problem(first: date, last: date) -> tuple[str, str] | None:
    """Why a window cannot be reported: (field, message), or None."""
    if first > last:
        return "from", "must not be after to"
    if (last - first).days >= WINDOW_DAYS_MAX:
        return "from", f"a window spans at most {WINDOW_DAYS_MAX} days"
    return None


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    sku: str | None = None
    location: str | None = None
    account: str | None = None

    def where(self, table: Any) -> list[Any]:
        conditions = []
        for name in ("sku", "location", "account"):
            if (value := getattr(self, name)) is not None:
                conditions.append(table.c[name] == value)
        return conditions


def service_report(tx: Connection, today: date, scope: Scope) -> dict[str, Any]:
    """The service report of ``scope``: everyone's figures, each account's,
    and the window's weeks (for the dashboard's chart). Each query sums in
    SQL by account and day (or error in days): a few thousand rows reach
    Python however many lines the window holds."""
    everyone = Tally()
    accounts: dict[str, Tally] = defaultdict(Tally)
    weeks: dict[date, Tally] = defaultdict(Tally)
    for account, ordered_on, units, held, quoted_units, quoted_days in _ordered(tx, scope):
        for tally in (everyone, accounts[account], weeks[_monday(ordered_on)]):
            tally.ordered += int(units)
            tally.filled += int(held or 0)
            tally.quoted_units += int(quoted_units or 0)
            tally.quoted_days += int(quoted_days or 0)
    for account, shipped_on, units, on_time in _shipped(tx, scope):
        for tally in (everyone, accounts[account], weeks[_monday(shipped_on)]):
            tally.shipped += int(units)
            tally.on_time += int(on_time or 0)
    for account, error_days, units in _promise_errors(tx, scope):
        for tally in (everyone, accounts[account]):
            tally.errors[int(error_days)] += int(units)
    for account in _promise_changes(tx, scope):
        everyone.promise_changes += 1
        accounts[account].promise_changes += 1
    for account, ordered_on, units, lines in _waiting(tx, scope):
        bucket = aging_bucket((today - _day(ordered_on)).days if ordered_on else 0)
        for tally in (everyone, accounts[account]):
            tally.aging_units[bucket] += int(units)
            tally.aging_lines[bucket] += int(lines)
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        **everyone.figures(),
        "by_account": [{"account": account, **accounts[account].figures()}
                       for account in sorted(accounts)],
        "by_week": [{"week": week.isoformat(),
                     "fill_rate": _share(weeks[week].filled, weeks[week].ordered),
                     "on_time_rate": _share(weeks[week].on_time, weeks[week].shipped)}
                    for week in _weeks_of(scope)],
    }


def aging_bucket(days: int) -> str:
    for name, last in AGING_BUCKETS:
        if last is None or days <= last:
            return name
    return AGING_BUCKETS[-1][0]


def _days(tx: Connection, later: Any, earlier: Any) -> Any:
    """``later`` − ``earlier`` in whole days, in SQL (a date difference is
    an integer on PostgreSQL; SQLite keeps dates as text)."""
    if tx.dialect.name == "postgresql":
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _ordered(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Units ordered in the window by account and order day: all, held at
    placing, with a first promised date, and their quoted days summed."""
    ol = t.order_lines
    dated = ol.c.first_promised_date.is_not(None)
    return tx.execute(
        select(ol.c.account, ol.c.ordered_on, func.sum(ol.c.quantity), func.sum(ol.c.held_at_order),
               func.sum(case((dated, ol.c.quantity), else_=0)),
               func.sum(case((dated, ol.c.quantity * _days(tx, ol.c.first_promised_date,
                                                          ol.c.ordered_on)), else_=0)))
        .where(ol.c.ordered_on >= scope.start, ol.c.ordered_on <= scope.end, *scope.where(ol))
        .group_by(ol.c.account, ol.c.ordered_on)
    ).all()


def _shipped(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Units shipped in the window by account and ship day, and those on time."""
    s = t.shipments
    on_time = and_(s.c.first_promised_date.is_not(None), s.c.shipped_on <= s.c.first_promised_date)
    return tx.execute(
        select(s.c.account, s.c.shipped_on, func.sum(s.c.quantity),
               func.sum(case((on_time, s.c.quantity), else_=0)))
        .where(s.c.shipped_on >= scope.start, s.c.shipped_on <= scope.end, *scope.where(s))
        .group_by(s.c.account, s.c.shipped_on)
    ).all()


def _promise_errors(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Units shipped in the window with a first promised date, by account and
    |ship day − first promised date| in days."""
    s = t.shipments
    error = func.abs(_days(tx, s.c.shipped_on, s.c.first_promised_date))
    return tx.execute(
        select(s.c.account, error, func.sum(s.c.quantity))
        .where(s.c.shipped_on >= scope.start, s.c.shipped_on <= scope.end,
               s.c.first_promised_date.is_not(None), *scope.where(s))
        .group_by(s.c.account, error)
    ).all()


def _waiting(tx: Connection, scope: Scope) -> list[Any]:
    """Open units not held, as of today, by account and order day, with the
    number of lines they belong to. A line placed by location is one row; a
    line placed by ship_to may wait at several parts, so its rows are summed
    per line first (there are few)."""
    ol = t.order_lines
    waiting = [ol.c.open > ol.c.allocated, *scope.where(ol)]
    by_location = tx.execute(
        select(ol.c.account, ol.c.ordered_on, func.sum(ol.c.open - ol.c.allocated), func.count())
        .where(*waiting, ol.c.ship_to.is_(None))
        .group_by(ol.c.account, ol.c.ordered_on)
    ).all()
    by_ship_to = tx.execute(
        select(ol.c.account, ol.c.ordered_on, func.sum(ol.c.open - ol.c.allocated), literal(1))
        .where(*waiting, ol.c.ship_to.is_not(None))
        .group_by(ol.c.account, ol.c.ordered_on, ol.c.order_id, ol.c.line)
    ).all()
    return [*by_location, *by_ship_to]


def _promise_changes(tx: Connection, scope: Scope) -> list[str]:
    """The account of each ``order.promise_changed`` event of the window (and
    of the scope's sku and location)."""
    e = t.events
    rows = tx.execute(select(e.c.data).where(e.c.type == "order.promise_changed",
                                             e.c.day >= scope.start, e.c.day <= scope.end)).all()
    wanted = [data for (data,) in rows
              if (scope.sku is None or data.get("sku") == scope.sku)
              and (scope.location is None or data.get("location") == scope.location)]
    owners = _accounts_of(tx, {data["order"] for data in wanted})
    return [owner for data in wanted
            if (owner := owners.get(data["order"])) is not None
            and (scope.account is None or owner == scope.account)]


def _accounts_of(tx: Connection, order_ids: set[str]) -> dict[str, str]:
    accounts: dict[str, str] = {}
    ids = sorted(order_ids)
    for start in range(0, len(ids), 1000):
        rows = tx.execute(select(t.orders.c.id, t.orders.c.account)
                          .where(t.orders.c.id.in_(ids[start:start + 1000]))).all()
        accounts.update((order_id, account) for order_id, account in rows)
    return accounts


def _weeks_of(scope: Scope) -> list[date]:
    week, last = _monday(scope.start), _monday(scope.end)
    out = []
    while week <= last:
        out.append(week)
        week += timedelta(days=7)
    return out


def _monday(value: Any) -> date:
    day = _day(value)
    return day - timedelta(days=day.weekday())


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
