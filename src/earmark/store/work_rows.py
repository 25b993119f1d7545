"""The SQL a unit of work and its master data run (the rest of the write
path's is in :mod:`earmark.store.repository`): its first statement, order
replays, the events lock, counters, and items, locations, accounts and lanes
as master data reads them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import any_, bindparam, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, RowMapping

from earmark.store import db
from earmark.store import tables as t

IDS_PER_READ = 1000
"""Ids per ``IN`` list when a batch reads its orders or items together."""

START = db.built_once(select(
    select(t.clock.c.day).where(t.clock.c.name == bindparam("clock")).scalar_subquery(),
    select(t.counters.c.value).where(t.counters.c.name == bindparam("epoch")).scalar_subquery(),
    select(t.counters.c.value).where(t.counters.c.name == bindparam("rank")).scalar_subquery(),
    select(t.counters.c.value).where(t.counters.c.name == bindparam("slips")).scalar_subquery(),
))
"""A unit of work's first statement: the frozen day, the master, rank and slip epochs."""

_ORDER_REQUESTS = select(t.orders.c.id, t.orders.c.request).where(
    t.orders.c.id.in_(bindparam("ids", expanding=True)))
ORDER_REQUESTS_PG = db.planned_each_time(select(t.orders.c.id, t.orders.c.request).where(
    t.orders.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(t.orders.c.id.type)))))
"""On PostgreSQL one array parameter, so the statement's text is the same for
any number of ids; planned on every execution (:func:`~earmark.store.db.planned_each_time`)."""

EVENTS_LOCK_KEY = 0x6561726D61726B  # "earmark": the advisory lock that orders event ids
_EVENTS_LOCK = db.built_once(text("SELECT pg_advisory_xact_lock(:key)"))


def start(tx: Connection, clock: str, master: str, rank: str, slips: str
          ) -> tuple[date | None, Any, Any, Any]:
    """(frozen day, master epoch, rank epoch, slip epoch): with the
    transaction's BEGIN in one round trip on PostgreSQL."""
    [[row]] = db.read_together(tx, [
        (START, {"clock": clock, "epoch": master, "rank": rank, "slips": slips})])
    day, master_epoch, rank_epoch, slip_epoch = row
    return day, master_epoch, rank_epoch, slip_epoch


def read_by_ids(ids: list[str], read: Callable[[list[str]], Iterable[tuple[str, Any]]]
                ) -> dict[str, Any]:
    """What ``read`` finds for each of ``ids`` (None where it finds nothing),
    asking for :data:`IDS_PER_READ` ids at a time."""
    found: dict[str, Any] = {}
    for begin in range(0, len(ids), IDS_PER_READ):
        chunk = ids[begin:begin + IDS_PER_READ]
        found.update(dict.fromkeys(chunk))
        found.update(read(chunk))
    return found


def order_requests(tx: Connection, ids: list[str]) -> dict[str, Any]:
    """The stored request of each of ``ids`` (None for an order not stored)."""
    if tx.dialect.name == "postgresql":
        return read_by_ids(ids, lambda chunk: (
            (row[0], row[1]) for row in db.read_together(tx, [(ORDER_REQUESTS_PG, {"ids": chunk})])[0]))
    return read_by_ids(ids, lambda chunk: (
        (row[0], row[1]) for row in tx.execute(_ORDER_REQUESTS, {"ids": chunk})))


def lock_events(tx: Connection) -> None:
    """Take the transaction-scoped lock that orders event ids (PostgreSQL)."""
    db.write(tx, _EVENTS_LOCK, [{"key": EVENTS_LOCK_KEY}])


def counter(tx: Connection, name: str) -> int:
    """A counter's value (0 before its first use)."""
    value = tx.execute(select(t.counters.c.value).where(t.counters.c.name == name)).scalar()
    return int(value or 0)


# Master data


def items(tx: Connection, skus: list[str]) -> dict[str, RowMapping | None]:
    """The item row of each of ``skus`` (None for an unknown sku)."""
    return read_by_ids(skus, lambda chunk: (
        (row["sku"], row) for row in tx.execute(
            select(t.items).where(t.items.c.sku.in_(chunk))).mappings()))


def location_exists(tx: Connection, code: str) -> bool:
    return tx.execute(
        select(t.locations.c.code).where(t.locations.c.code == code)).first() is not None


def some_locations(tx: Connection, limit: int) -> list[str]:
    """Up to ``limit`` location codes (any)."""
    return [str(code) for code in tx.execute(select(t.locations.c.code).limit(limit)).scalars()]


def account(tx: Connection, account_id: str) -> tuple[int, str | None] | None:
    """(priority, promise basis) of an account; None for an unknown one."""
    row = tx.execute(select(t.accounts.c.priority, t.accounts.c.promise_basis)
                     .where(t.accounts.c.id == account_id)).first()
    return None if row is None else (int(row[0]), row[1])


def lanes_into(tx: Connection, code: str) -> tuple[tuple[str, int], ...]:
    """(from location, transit days) of every lane into ``code``, by (transit, from)."""
    lanes = t.lanes.c
    rows = tx.execute(
        select(lanes.from_location, lanes.transit_days)
        .where(lanes.to_location == code)
        .order_by(lanes.transit_days, lanes.from_location)
    ).all()
    return tuple((str(origin), int(days)) for origin, days in rows)
