"""What projection and suggestions read of the store: a position's stock,
open receipts, open order units and open commitments, its accounts' orders,
and the tail of its demand history. Reads only; the caller's transaction."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from earmark.forecast.projection import Dated, OpenCommitment, PositionState
from earmark.store import tables as t


def position_state(tx: Connection, sku: str, location: str, today: date) -> PositionState | None:
    """The position as of ``today``; None for an unknown sku (an unknown
    location is the caller's to check). A position never written is empty."""
    item = tx.execute(
        select(t.items.c.safety_stock, t.items.c.lead_time_days).where(t.items.c.sku == sku)
    ).first()
    if item is None:
        return None
    on_hand = tx.execute(
        select(t.positions.c.on_hand).where(t.positions.c.sku == sku,
                                            t.positions.c.location == location)
    ).scalar()
    r = t.receipts
    receipts = tuple(
        Dated(day, int(quantity))
        for day, quantity in tx.execute(
            select(r.c.expected_date, r.c.quantity - r.c.received)
            .where(r.c.sku == sku, r.c.location == location, r.c.status == "open",
                   r.c.quantity > r.c.received)
            .order_by(r.c.expected_date, r.c.seq)
        )
    )
    ol = t.order_lines
    orders = tuple(
        Dated(day, int(quantity))
        for day, quantity in tx.execute(
            select(ol.c.requested_date, ol.c.open)
            .where(ol.c.sku == sku, ol.c.location == location, ol.c.open > 0)
            .order_by(ol.c.requested_date, ol.c.seq, ol.c.idx)
        )
    )
    c = t.commitments
    commitments = tuple(
        OpenCommitment(row.id, row.account, row.kind, row.need_date, row.expires_on,
                       int(row.remaining))
        for row in tx.execute(
            select(c.c.id, c.c.account, c.c.kind, c.c.need_date, c.c.expires_on,
                   (c.c.quantity - c.c.consumed - c.c.released).label("remaining"))
            .where(c.c.sku == sku, c.c.location == location, c.c.status == "open")
            .order_by(c.c.seq)
        )
        if int(row.remaining) > 0
    )
    return PositionState(sku, location, today, int(on_hand or 0), int(item.safety_stock),
                         item.lead_time_days, receipts, orders, commitments)


def ordered_by_account(tx: Connection, sku: str, location: str, first: date, last: date
                       ) -> dict[str, int]:
    """Units of the position each account ordered on the days ``first`` .. ``last``
    (order lines by the day their order was placed)."""
    ol, o = t.order_lines, t.orders
    rows = tx.execute(
        select(ol.c.account, func.sum(ol.c.quantity))
        .join(o, o.c.id == ol.c.order_id)
        .where(ol.c.sku == sku, ol.c.location == location,
               o.c.ordered_on >= first, o.c.ordered_on <= last)
        .group_by(ol.c.account)
    )
    return {account: int(total) for account, total in rows if total}


def history_tail(tx: Connection, sku: str, location: str, last: date, days: int
                 ) -> dict[date, int]:
    """Daily demand of the position over the ``days`` days ending ``last``: the
    imported history plus the units of earmark's own orders by the day they
    were ordered (for the CLI's chart; the forecasting runs read history their own way)."""
    first = last - timedelta(days=days - 1)
    out: dict[date, int] = {first + timedelta(days=i): 0 for i in range(days)}
    h = t.demand_history
    for day, quantity in tx.execute(
        select(h.c.day, h.c.quantity)
        .where(h.c.sku == sku, h.c.location == location, h.c.day >= first, h.c.day <= last)
    ):
        out[day] += int(quantity)
    ol, o = t.order_lines, t.orders
    for day, quantity in tx.execute(
        select(o.c.ordered_on, func.sum(ol.c.quantity))
        .join(o, o.c.id == ol.c.order_id)
        .where(ol.c.sku == sku, ol.c.location == location,
               o.c.ordered_on >= first, o.c.ordered_on <= last)
        .group_by(o.c.ordered_on)
    ):
        out[day] += int(quantity)
    return out
