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

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from earmark.store import tables as t

WINDOW_DAYS_DEFAULT = 30
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
    aging_lines: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

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
                       "lines": len(self.aging_lines.get(name, ()))}
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
    return start or last - timedelta(days=WINDOW_DAYS_DEFAULT - 1), last


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
    and the window's weeks (for the dashboard's chart)."""
    everyone = Tally()
    accounts: dict[str, Tally] = defaultdict(Tally)
    weeks: dict[date, Tally] = defaultdict(Tally)
    for account, ordered_on, first, units, held in _ordered(tx, scope):
        for tally in (everyone, accounts[account], weeks[_monday(ordered_on)]):
            _count_ordered(tally, ordered_on, first, int(units), int(held))
    for account, shipped_on, first, units in _shipped(tx, scope):
        for tally in (everyone, accounts[account], weeks[_monday(shipped_on)]):
            _count_shipped(tally, shipped_on, first, int(units))
    for account in _promise_changes(tx, scope):
        everyone.promise_changes += 1
        accounts[account].promise_changes += 1
    for account, order_id, line, ordered_on, units in _waiting(tx, scope):
        bucket = aging_bucket((today - _day(ordered_on)).days if ordered_on else 0)
        for tally in (everyone, accounts[account]):
            tally.aging_units[bucket] += int(units)
            tally.aging_lines[bucket].add((order_id, line))
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        **everyone.figures(),
        "by_account": [{"account": account, **accounts[account].figures()}
                       for account in sorted(accounts)],
        "by_week": [{"week": week.isoformat(),
                     "fill_rate": weeks[week].figures()["fill_rate"],
                     "on_time_rate": weeks[week].figures()["on_time_rate"]}
                    for week in _weeks_of(scope)],
    }


def aging_bucket(days: int) -> str:
    for name, last in AGING_BUCKETS:
        if last is None or days <= last:
            return name
    return AGING_BUCKETS[-1][0]


def _count_ordered(tally: Tally, ordered_on: Any, first: Any, units: int, held: int) -> None:
    tally.ordered += units
    tally.filled += held
    if first is not None:
        tally.quoted_units += units
        tally.quoted_days += units * (_day(first) - _day(ordered_on)).days


def _count_shipped(tally: Tally, shipped_on: Any, first: Any, units: int) -> None:
    tally.shipped += units
    if first is None:
        return
    shipped, promised = _day(shipped_on), _day(first)
    if shipped <= promised:
        tally.on_time += units
    tally.errors[abs((shipped - promised).days)] += units


def _ordered(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Units ordered in the window, summed by account, order day and first promised date."""
    ol = t.order_lines
    return tx.execute(
        select(ol.c.account, ol.c.ordered_on, ol.c.first_promised_date,
               func.sum(ol.c.quantity), func.sum(ol.c.held_at_order))
        .where(ol.c.ordered_on >= scope.start, ol.c.ordered_on <= scope.end, *scope.where(ol))
        .group_by(ol.c.account, ol.c.ordered_on, ol.c.first_promised_date)
    ).all()


def _shipped(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Units shipped in the window, summed by account, ship day and first promised date."""
    s = t.shipments
    return tx.execute(
        select(s.c.account, s.c.shipped_on, s.c.first_promised_date, func.sum(s.c.quantity))
        .where(s.c.shipped_on >= scope.start, s.c.shipped_on <= scope.end, *scope.where(s))
        .group_by(s.c.account, s.c.shipped_on, s.c.first_promised_date)
    ).all()


def _waiting(tx: Connection, scope: Scope) -> Iterable[Any]:
    """Open units not held, as of today, by line (its parts summed)."""
    ol = t.order_lines
    return tx.execute(
        select(ol.c.account, ol.c.order_id, ol.c.line, ol.c.ordered_on,
               func.sum(ol.c.open - ol.c.allocated))
        .where(ol.c.open > ol.c.allocated, *scope.where(ol))
        .group_by(ol.c.account, ol.c.order_id, ol.c.line, ol.c.ordered_on)
    ).all()


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
