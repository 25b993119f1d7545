"""The dashboard's own reads: they only choose *which* rows its pages show
(positions to list, the oldest backordered lines, a commitment's
consumptions, what the forms offer). Every figure shown comes from
:mod:`earmark.service.queries`, the functions behind the API
(:mod:`earmark.api.web.views` puts them together)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.store import tables as t


def position_keys(tx: Connection, sku: str | None, location: str | None, account: str | None,
                  limit: int) -> list[tuple[str, str]]:
    """The (sku, location) of up to ``limit`` positions, in that order: of the
    sku and location when given, and with demand of the account (an order
    line or a commitment) when one is given."""
    p = t.positions
    query = select(p.c.sku, p.c.location).order_by(p.c.sku, p.c.location)
    if sku:
        query = query.where(p.c.sku == sku)
    if location:
        query = query.where(p.c.location == location)
    if account:
        ol, c = t.order_lines, t.commitments
        lines = select(ol.c.sku, ol.c.location).where(ol.c.account == account)
        held = select(c.c.sku, c.c.location).where(c.c.account == account)
        wanted = {(r[0], r[1]) for r in tx.execute(lines.union(held)).all()}
        return [(s, loc) for s, loc in tx.execute(query).all() if (s, loc) in wanted][:limit]
    return [(s, loc) for s, loc in tx.execute(query.limit(limit)).all()]


def _names(tx: Connection, column: Any, limit: int) -> list[str]:
    return list(tx.execute(select(column).order_by(column).limit(limit)).scalars())


def skus(tx: Connection, limit: int) -> list[str]:
    """The first ``limit`` item skus, in order."""
    return _names(tx, t.items.c.sku, limit)


def location_codes(tx: Connection, limit: int) -> list[str]:
    """The first ``limit`` location codes, in order."""
    return _names(tx, t.locations.c.code, limit)


def account_ids(tx: Connection, limit: int) -> list[str]:
    """The first ``limit`` account ids, in order."""
    return _names(tx, t.accounts.c.id, limit)


def open_receipt_ids(tx: Connection, limit: int) -> list[str]:
    """The ids of the first ``limit`` open receipts, in the order they were created."""
    r = t.receipts
    return list(tx.execute(
        select(r.c.id).where(r.c.status == "open").order_by(r.c.seq).limit(limit)
    ).scalars())


def oldest_backordered_lines(tx: Connection, account: str | None,
                             limit: int) -> list[tuple[str, str, str, str]]:
    """(order, line, sku, location) of up to ``limit`` lines with backordered
    units (of the account, when given), those placed first first."""
    ol = t.order_lines
    query = (select(ol.c.order_id, ol.c.line, ol.c.sku, ol.c.location)
             .where(ol.c.open > ol.c.allocated).order_by(ol.c.seq, ol.c.idx))
    if account:
        query = query.where(ol.c.account == account)
    return [(r[0], r[1], r[2], r[3]) for r in tx.execute(query.limit(limit)).all()]


def consumptions_of(tx: Connection, ids: list[str],
                    limit: int) -> dict[str, list[dict[str, Any]]]:
    """Up to ``limit`` consumptions of the commitments ``ids`` (the order line
    that consumed each and how much), per commitment, in the order made."""
    if not ids:
        return {}
    c = t.consumptions
    rows = tx.execute(
        select(c.c.commitment_id, c.c.order_id, c.c.line, c.c.quantity)
        .where(c.c.commitment_id.in_(ids)).order_by(c.c.id).limit(limit)
    ).all()
    result: dict[str, list[dict[str, Any]]] = {}
    for commitment, order, line, quantity in rows:
        result.setdefault(commitment, []).append(
            {"order": order, "line": line, "quantity": int(quantity)})
    return result
