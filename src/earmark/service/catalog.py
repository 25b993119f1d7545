"""Read models of master data and receipts: one resource, or a page of them.

Pages are ordered by key (receipts by arrival) and continued by keyset
cursors (:mod:`earmark.service.pages`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from earmark.domain.limits import PAGE_LIMIT_DEFAULT
from earmark.service.master import account_out, item_out, location_out
from earmark.service.pages import Key, Keyset, page
from earmark.service.queries import narrowed, receipt_out
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


ITEMS = Keyset.of("items", t.items.c.sku)
LOCATIONS = Keyset.of("locations", t.locations.c.code)
ACCOUNTS = Keyset.of("accounts", t.accounts.c.id)
RECEIPTS = Keyset.of("receipts", t.receipts.c.seq, t.receipts.c.id)


def _page_of(tx: Connection, keyset: Keyset, query: Any, out: Any, after: Key | None,
             limit: int) -> dict[str, Any]:
    rows, cursor = keyset.read(tx, query, after, limit)
    return page([out(r) for r in rows], cursor)


def list_items(tx: Connection, after: Key | None, limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    return _page_of(tx, ITEMS, select(t.items), item_out, after, limit)


def list_locations(tx: Connection, after: Key | None,
                   limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    return _page_of(tx, LOCATIONS, select(t.locations), location_out, after, limit)


def list_accounts(tx: Connection, after: Key | None,
                  limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    return _page_of(tx, ACCOUNTS, select(t.accounts), account_out, after, limit)


def list_receipts(
    tx: Connection, sku: str | None, location: str | None, status: str | None,
    after: Key | None, limit: int = PAGE_LIMIT_DEFAULT,
) -> dict[str, Any]:
    r = t.receipts
    query = narrowed(select(r), (r.c.sku, sku), (r.c.location, location), (r.c.status, status))
    return _page_of(tx, RECEIPTS, query, receipt_out, after, limit)


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
