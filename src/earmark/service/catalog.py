"""Read models of master data and receipts: one resource, or a page of them.

Pages are ordered by key (receipts by arrival) so that an offset cursor
walks them without repeats while nothing is deleted (nothing ever is).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from earmark.domain.limits import PAGE_LIMIT_DEFAULT
from earmark.service.master import account_out, item_out, location_out
from earmark.service.queries import narrowed, page, receipt_out
from earmark.store import tables as t


def _one(tx: Connection, table: Table, key: str, value: str) -> Any:
    return tx.execute(select(table).where(table.c[key] == value)).mappings().first()


def get_item(tx: Connection, sku: str) -> dict[str, Any] | None:
    row = _one(tx, t.items, "sku", sku)
    return item_out(row) if row else None


def get_location(tx: Connection, code: str) -> dict[str, Any] | None:
    row = _one(tx, t.locations, "code", code)
    return location_out(row) if row else None


def get_account(tx: Connection, account_id: str) -> dict[str, Any] | None:
    row = _one(tx, t.accounts, "id", account_id)
    return account_out(row) if row else None


def _page_of(tx: Connection, query: Any, out: Any, offset: int, limit: int) -> dict[str, Any]:
    rows = list(tx.execute(query.offset(offset).limit(limit + 1)).mappings())
    return page([out(r) for r in rows[:limit]], offset, limit, len(rows) > limit)


def list_items(tx: Connection, offset: int, limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    return _page_of(tx, select(t.items).order_by(t.items.c.sku), item_out, offset, limit)


def list_locations(tx: Connection, offset: int, limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    query = select(t.locations).order_by(t.locations.c.code)
    return _page_of(tx, query, location_out, offset, limit)


def list_accounts(tx: Connection, offset: int, limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    return _page_of(tx, select(t.accounts).order_by(t.accounts.c.id), account_out, offset, limit)


def list_receipts(
    tx: Connection, sku: str | None, location: str | None, status: str | None,
    offset: int, limit: int = PAGE_LIMIT_DEFAULT,
) -> dict[str, Any]:
    r = t.receipts
    query = narrowed(select(r).order_by(r.c.seq, r.c.id),
                     (r.c.sku, sku), (r.c.location, location), (r.c.status, status))
    return _page_of(tx, query, receipt_out, offset, limit)


def position_locations(tx: Connection, sku: str) -> list[str]:
    """The locations where ``sku`` has a position, in order."""
    return list(
        tx.execute(
            select(t.positions.c.location).where(t.positions.c.sku == sku)
            .order_by(t.positions.c.location)
        ).scalars()
    )


def location_exists(tx: Connection, code: str) -> bool:
    return tx.execute(select(t.locations.c.code).where(t.locations.c.code == code)).first() is not None
