"""Daily demand per position: what forecasting learns from.

A position's demand on a day is the imported history of that day
(``demand_history``, from ``earmark import``) plus the units of earmark's own
orders placed that day (``orders.ordered_on``, earmark's today when the order
was placed). Units ordered stay demand even if the line is later cancelled
or never ships: demand is what customers asked for, which is what the next
weeks will ask for again, not what supply allowed.

A series runs from the position's first observed day (an imported row, even
of 0 units, or an order) to the day the forecast is made, every day without
a row being a day without demand (0).

:func:`record_history` is the command behind ``earmark import`` of history
files: it replaces the stored demand of every (sku, location, day) it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, cast, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from earmark.domain.limits import QUANTITY_MAX
from earmark.domain.outcomes import Outcome
from earmark.service.results import Result, fail
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t

if TYPE_CHECKING:
    import pandas as pd

SEPARATOR = "|"
"""Joins sku and location into a series id; ids never contain it."""
INSERT_BATCH_ROWS = 5000
READ_PART_ROWS = 100_000
DELETE_BATCH_DAYS = 500


def series_id(sku: str, location: str) -> str:
    return f"{sku}{SEPARATOR}{location}"


def position_of(uid: str) -> tuple[str, str]:
    sku, location = uid.split(SEPARATOR, 1)
    return sku, location


@dataclass(frozen=True)
class History:
    """Every position's daily series, kept as flat arrays (10,000 positions
    of two years are 7.3 million days: no Python object per day)."""

    positions: list[tuple[str, str]]
    """(sku, location) of each series, sorted."""
    first_days: npt.NDArray[np.datetime64]
    indptr: npt.NDArray[np.int64]
    """Series ``i`` is ``y[indptr[i]:indptr[i + 1]]``, from ``first_days[i]`` on."""
    y: npt.NDArray[np.float64]
    last_day: date

    def __len__(self) -> int:
        return len(self.positions)

    def series(self, i: int) -> npt.NDArray[np.float64]:
        return self.y[self.indptr[i]: self.indptr[i + 1]]

    def frame(self, indices: Sequence[int] | None = None) -> pd.DataFrame:
        """The series ``indices`` (default: all) as statsforecast reads them:
        ``unique_id``, ``ds``, ``y``, sorted by series and day."""
        import pandas as pd

        chosen = np.arange(len(self.positions)) if indices is None else np.asarray(indices)
        lengths = (self.indptr[chosen + 1] - self.indptr[chosen]).astype(np.int64)
        total = int(lengths.sum())
        starts = np.repeat(self.indptr[chosen], lengths)
        offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        ids = np.array([series_id(*self.positions[i]) for i in chosen], dtype=object)
        days = np.repeat(self.first_days[chosen], lengths) + offsets.astype("timedelta64[D]")
        return pd.DataFrame({
            "unique_id": np.repeat(ids, lengths),
            "ds": days.astype("datetime64[ns]"),
            "y": self.y[starts + offsets],
        })


def _as_text(conn: Connection, day: ColumnElement[date]) -> ColumnElement[str]:
    """A date as ``YYYY-MM-DD`` text: far cheaper to hand back than a date
    object per row, and parsed a million at a time."""
    if conn.dialect.name == "postgresql":
        # Not a cast: its format follows the session's DateStyle.
        return func.to_char(day, "YYYY-MM-DD")
    return cast(day, String)  # SQLite stores dates as this very text


class _Rows:
    """Rows of (sku, location, day, quantity) gathered into flat arrays, a
    part at a time (two years of 10,000 positions are millions of rows: no
    Python object is kept per row)."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], int] = {}
        self.codes: list[npt.NDArray[np.int64]] = []
        self.days: list[npt.NDArray[np.int64]] = []
        self.quantities: list[npt.NDArray[np.float64]] = []

    def add(self, part: Sequence[Any]) -> None:
        import pandas as pd

        frame = pd.DataFrame(part, columns=["sku", "location", "day", "quantity"])
        local, uniques = pd.MultiIndex.from_frame(frame[["sku", "location"]]).factorize()
        known = np.array([self.keys.setdefault((str(s), str(loc)), len(self.keys))
                          for s, loc in uniques], dtype=np.int64)
        self.codes.append(known[local])
        parsed = pd.to_datetime(frame["day"], format="%Y-%m-%d").to_numpy()
        self.days.append(parsed.astype("datetime64[D]").astype(np.int64))
        self.quantities.append(frame["quantity"].to_numpy(dtype=np.float64))

    def history(self, last_day: date) -> History:
        end = int(np.datetime64(last_day, "D").astype(np.int64))
        positions = sorted(self.keys)
        rank = np.empty(len(positions), dtype=np.int64)
        for i, key in enumerate(positions):
            rank[self.keys[key]] = i
        codes = rank[np.concatenate(self.codes)] if self.codes else np.zeros(0, dtype=np.int64)
        days = np.concatenate(self.days) if self.days else np.zeros(0, dtype=np.int64)
        quantity = np.concatenate(self.quantities) if self.quantities else np.zeros(0)
        first = np.full(len(positions), end, dtype=np.int64)
        np.minimum.at(first, codes, days)
        indptr = np.zeros(len(positions) + 1, dtype=np.int64)
        np.cumsum(end - first + 1, out=indptr[1:])
        y = np.zeros(int(indptr[-1]), dtype=np.float64)
        # Both sources on one day add up (imported history and earmark's own orders).
        np.add.at(y, indptr[codes] + days - first[codes], quantity)
        return History(positions, first.astype("datetime64[D]"), indptr, y, last_day)


def read_history(conn: Connection, last_day: date, *, position: tuple[str, str] | None = None,
                 first_day: date | None = None) -> History:
    """Every position's daily demand up to ``last_day`` (only ``position``'s,
    and only from ``first_day``, if given), in two queries, each read a part
    at a time."""
    h, ol, o = t.demand_history, t.order_lines, t.orders
    imported = (select(h.c.sku, h.c.location, _as_text(conn, h.c.day), h.c.quantity)
                .where(h.c.day <= last_day))
    ordered = (select(ol.c.sku, ol.c.location, _as_text(conn, o.c.ordered_on), func.sum(ol.c.quantity))
               .join(o, o.c.id == ol.c.order_id)
               .where(o.c.ordered_on.is_not(None), o.c.ordered_on <= last_day)
               .group_by(ol.c.sku, ol.c.location, o.c.ordered_on))
    if position is not None:
        imported = imported.where(h.c.sku == position[0], h.c.location == position[1])
        ordered = ordered.where(ol.c.sku == position[0], ol.c.location == position[1])
    if first_day is not None:
        imported = imported.where(h.c.day >= first_day)
        ordered = ordered.where(o.c.ordered_on >= first_day)
    rows = _Rows()
    for query in (imported, ordered):
        for part in conn.execute(query.execution_options(yield_per=READ_PART_ROWS)).partitions():
            rows.add(part)
    return rows.history(last_day)


def demand_tail(conn: Connection, sku: str, location: str, last_day: date, days: int
                ) -> dict[date, int]:
    """The position's daily demand over the ``days`` days ending ``last_day``,
    0 on days without any (``earmark forecast show`` charts it)."""
    first = last_day - timedelta(days=days - 1)
    out = {first + timedelta(days=i): 0 for i in range(days)}
    history = read_history(conn, last_day, position=(sku, location), first_day=first)
    if history.positions:
        start = date.fromisoformat(str(history.first_days[0]))
        for offset, quantity in enumerate(history.series(0)):
            out[start + timedelta(days=offset)] += int(quantity)
    return out


# Recording imported history


@dataclass(frozen=True)
class HistoryRow:
    line: int
    """The row's line in its file, to name it in a refusal."""
    day: date
    sku: str
    location: str
    quantity: int


@dataclass(frozen=True)
class RecordHistory:
    rows: tuple[HistoryRow, ...]


def _refuse(row: HistoryRow, outcome: Outcome, message: str, field_name: str) -> Result:
    return fail(outcome, message, field_name, line=row.line)


def record_history(uow: UnitOfWork, cmd: RecordHistory) -> Result:
    """Store daily demand. Rows of one (sku, location, day) add up (a file of
    single sales works as well as one of daily totals); their sum *replaces*
    what was stored for that day, so importing a corrected file again is safe.

    Refused, naming the row and changing nothing: an unknown sku or location,
    a quantity below 0 or above the limit, a day after earmark's today."""
    items = set(uow.raw.execute(select(t.items.c.sku)).scalars())
    locations = set(uow.raw.execute(select(t.locations.c.code)).scalars())
    totals: dict[tuple[str, str, date], int] = {}
    for row in cmd.rows:
        if row.sku not in items:
            return _refuse(row, Outcome.unknown_sku, f"unknown sku {row.sku!r}", "sku")
        if row.location not in locations:
            return _refuse(row, Outcome.unknown_location, f"unknown location {row.location!r}",
                           "location")
        if not 0 <= row.quantity <= QUANTITY_MAX:
            return _refuse(row, Outcome.invalid,
                           f"quantity: must be a whole number from 0 to {QUANTITY_MAX}", "quantity")
        if row.day > uow.today:
            return _refuse(row, Outcome.invalid, f"date: {row.day.isoformat()} is after today "
                           f"({uow.today.isoformat()}); history is what was demanded", "date")
        key = (row.sku, row.location, row.day)
        totals[key] = totals.get(key, 0) + row.quantity
        if totals[key] > QUANTITY_MAX:
            return _refuse(row, Outcome.invalid, "quantity: the day's rows add up to more than "
                           f"{QUANTITY_MAX}", "quantity")
    # From here on the import must succeed.
    by_position: dict[tuple[str, str], list[date]] = {}
    for sku, location, day in totals:
        by_position.setdefault((sku, location), []).append(day)
    h = t.demand_history
    for (sku, location), days in by_position.items():
        for start in range(0, len(days), DELETE_BATCH_DAYS):
            uow.tx.execute(h.delete().where(h.c.sku == sku, h.c.location == location,
                                            h.c.day.in_(days[start: start + DELETE_BATCH_DAYS])))
    rows = [{"sku": s, "location": loc, "day": d, "quantity": q} for (s, loc, d), q in totals.items()]
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        uow.tx.execute(h.insert(), rows[start: start + INSERT_BATCH_ROWS])
    uow.commit()
    return Result(Outcome.ok, {"days": len(rows)})


def positions_with_history(conn: Connection, last_day: date) -> int:
    """How many positions have any demand up to ``last_day`` (a run's size)."""
    h, ol, o = t.demand_history, t.order_lines, t.orders
    imported = select(h.c.sku, h.c.location).where(h.c.day <= last_day)
    ordered = (select(ol.c.sku, ol.c.location).join(o, o.c.id == ol.c.order_id)
               .where(o.c.ordered_on.is_not(None), o.c.ordered_on <= last_day))
    both = imported.union(ordered).subquery()
    return int(conn.execute(select(func.count()).select_from(both)).scalar() or 0)
