"""What projection and suggestions read of the store: a position's stock,
open receipts, open order units and open commitments, and its accounts'
orders. Reads only; the caller's transaction.
Many positions are read together, a query per kind of row."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.engine import Connection

from earmark.domain.slips import SUPPLIER_SLIPS_MIN
from earmark.forecast.projection import Dated, OpenCommitment, PositionState
from earmark.store import tables as t

Key = tuple[str, str]
"""A position: (sku, location)."""


def _scoped(query: Select[Any], sku_col: ColumnElement[str], location_col: ColumnElement[str],
            sku: str | None, location: str | None, forecasted: bool) -> Select[Any]:
    """``query`` kept to the positions asked for: of ``sku`` and ``location``
    when given, and only those with a stored forecast when ``forecasted``."""
    if sku is not None:
        query = query.where(sku_col == sku)
    if location is not None:
        query = query.where(location_col == location)
    if forecasted:
        f = t.forecasts
        query = query.where(
            select(f.c.sku).where(f.c.sku == sku_col, f.c.location == location_col).exists())
    return query


def position_states(tx: Connection, today: date, *, sku: str | None = None,
                    location: str | None = None, forecasted: bool = False,
                    account: str | None = None) -> dict[Key, PositionState]:
    """Positions as of ``today``, by (sku, location), in a fixed number of
    queries (one per kind of row), whatever their number.

    With ``forecasted``, every position with a stored forecast (of ``sku``
    and ``location`` when given) whose item is known. Without, the one
    position ``sku`` at ``location`` (both required), present unless the sku
    is unknown (an unknown location is the caller's to check); a position
    never written is empty. ``account`` keeps only that account's
    commitments (for a caller that reads no other's)."""
    i, p = t.items, t.positions
    heads: list[tuple[str, str, int, int | None, int | None, int | None]]
    if forecasted:
        f = t.forecasts
        heads = [(row.sku, row.location, row.safety_stock, row.lead_time_days, row.on_hand,
                  row.held)
                 for row in tx.execute(_scoped(
                     select(f.c.sku, f.c.location, i.c.safety_stock, i.c.lead_time_days,
                            p.c.on_hand, p.c.held)
                     .select_from(f.join(i, i.c.sku == f.c.sku).outerjoin(
                         p, and_(p.c.sku == f.c.sku, p.c.location == f.c.location))),
                     f.c.sku, f.c.location, sku, location, False))]
    else:
        if sku is None or location is None:
            raise ValueError("a position's sku and location are both required")
        heads = [(sku, location, row.safety_stock, row.lead_time_days, row.on_hand, row.held)
                 for row in tx.execute(
                     select(i.c.safety_stock, i.c.lead_time_days, p.c.on_hand, p.c.held)
                     .select_from(i.outerjoin(p, and_(p.c.sku == i.c.sku,
                                                      p.c.location == location)))
                     .where(i.c.sku == sku))]
    if not heads:
        return {}

    r = t.receipts
    receipts: dict[Key, list[Dated]] = defaultdict(list)
    for row in tx.execute(_scoped(
        select(r.c.sku, r.c.location, r.c.expected_date,
               (r.c.quantity - r.c.received).label("open"))
        .where(r.c.status == "open", r.c.quantity > r.c.received)
        .order_by(r.c.expected_date, r.c.seq),
        r.c.sku, r.c.location, sku, location, forecasted,
    )):
        receipts[(row.sku, row.location)].append(Dated(row.expected_date, int(row.open)))

    ol = t.order_lines
    orders: dict[Key, list[Dated]] = defaultdict(list)
    for row in tx.execute(_scoped(
        select(ol.c.sku, ol.c.location, ol.c.requested_date, ol.c.open)
        .where(ol.c.open > 0)
        .order_by(ol.c.requested_date, ol.c.seq, ol.c.idx),
        ol.c.sku, ol.c.location, sku, location, forecasted,
    )):
        orders[(row.sku, row.location)].append(Dated(row.requested_date, int(row.open)))

    c = t.commitments
    query = (select(c.c.sku, c.c.location, c.c.id, c.c.account, c.c.kind, c.c.need_date,
                    c.c.expires_on,
                    (c.c.quantity - c.c.consumed - c.c.released).label("remaining"))
             .where(c.c.status == "open")
             .order_by(c.c.seq))
    if account is not None:
        query = query.where(c.c.account == account)
    commitments: dict[Key, list[OpenCommitment]] = defaultdict(list)
    for row in tx.execute(_scoped(query, c.c.sku, c.c.location, sku, location, forecasted)):
        if int(row.remaining) > 0:
            commitments[(row.sku, row.location)].append(OpenCommitment(
                row.id, row.account, row.kind, row.need_date, row.expires_on,
                int(row.remaining)))

    slips: dict[Key, list[int]] = defaultdict(list)
    pooled: list[int] = []
    for row in tx.execute(select(r.c.sku, r.c.location, r.c.slip_days)
                          .where(r.c.slip_days.is_not(None)).order_by(r.c.seq)):
        slips[(row.sku, row.location)].append(int(row.slip_days))
        pooled.append(int(row.slip_days))

    def slips_of(key: Key) -> tuple[int, ...]:
        own = slips.get(key, [])
        return tuple(own if len(own) >= SUPPLIER_SLIPS_MIN else pooled)

    return {
        (head_sku, head_location): PositionState(
            head_sku, head_location, today, int(on_hand or 0), int(safety_stock), lead_time_days,
            tuple(receipts.get((head_sku, head_location), ())),
            tuple(orders.get((head_sku, head_location), ())),
            tuple(commitments.get((head_sku, head_location), ())), int(held or 0),
            slips_of((head_sku, head_location)))
        for head_sku, head_location, safety_stock, lead_time_days, on_hand, held in heads
    }


def position_state(tx: Connection, sku: str, location: str, today: date) -> PositionState | None:
    """The position as of ``today``; None for an unknown sku (an unknown
    location is the caller's to check). A position never written is empty."""
    return position_states(tx, today, sku=sku, location=location).get((sku, location))


def ordered_by_accounts(tx: Connection, first: date, last: date, *, sku: str | None = None,
                        location: str | None = None, forecasted: bool = False
                        ) -> dict[Key, dict[str, int]]:
    """Units each account ordered of each position on the days ``first`` ..
    ``last`` (order lines by the day their order was placed), by (sku,
    location), in one query; scoped as :func:`position_states`, every position
    of ``sku`` and ``location`` without ``forecasted``. A position none
    ordered is absent."""
    ol, o = t.order_lines, t.orders
    rows = tx.execute(_scoped(
        select(ol.c.sku, ol.c.location, ol.c.account, func.sum(ol.c.quantity))
        .join(o, o.c.id == ol.c.order_id)
        .where(o.c.ordered_on >= first, o.c.ordered_on <= last)
        .group_by(ol.c.sku, ol.c.location, ol.c.account),
        ol.c.sku, ol.c.location, sku, location, forecasted,
    ))
    out: dict[Key, dict[str, int]] = {}
    for position_sku, position_location, account, total in rows:
        if total:
            out.setdefault((position_sku, position_location), {})[account] = int(total)
    return out
