"""Suppliers and their slips (API.md "Confidence dates").

A supplier exists from the first receipt that names it. When one of its
receipts is received in full (closing it), the slip, received date − first
expected date in days, is recorded on the receipt; the slip epoch moves in
the same transaction, so that every confidence date computed afterwards
uses it. Transfer receipts record no slip: a transfer's date follows its
source, not a supplier.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from earmark.domain.limits import PAGE_LIMIT_DEFAULT
from earmark.domain.slips import summarize
from earmark.service.pages import Key, Keyset, page
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t

TRANSFER_SOURCE = "transfer"

SUPPLIERS = Keyset.of("suppliers", t.suppliers.c.id)


def ensure_supplier(uow: UnitOfWork, supplier: str) -> None:
    """Create the supplier on first use (a receipt naming it)."""
    s = t.suppliers
    if uow.raw.execute(select(s.c.id).where(s.c.id == supplier)).first() is None:
        uow.raw.execute(s.insert().values(id=supplier, created_at=uow.now))


def record_slip(uow: UnitOfWork, receipt: Any) -> int | None:
    """Record the slip of ``receipt`` (its row before closing), received in full
    today; None (nothing recorded) without a supplier, or for a transfer."""
    if receipt["supplier"] is None or receipt["source"] == TRANSFER_SOURCE:
        return None
    slip: int = (uow.today - receipt["first_expected_date"]).days
    r = t.receipts
    uow.raw.execute(r.update().where(r.c.sku == receipt["sku"], r.c.id == receipt["id"])
                    .values(slip_days=slip))
    uow.slip_recorded()
    return slip


def supplier_out(supplier_id: str, receipts: int, slips: list[int]) -> dict[str, Any]:
    """A supplier with its slip distribution; ``slips`` are its recorded slips.
    ``histogram`` counts receipts per slip in days (for the dashboard)."""
    summary = summarize(slips)
    return {
        "id": supplier_id,
        "receipts": receipts,
        "received": summary.count,
        "slip_days": {"mean": summary.mean, "p50": summary.p50, "p90": summary.p90},
        "on_time_share": summary.on_time_share,
        "histogram": [{"slip_days": days, "receipts": n}
                      for days, n in sorted(Counter(slips).items())],
    }


def _suppliers_out(uow: UnitOfWork, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    r = t.receipts.c
    counts: dict[str, int] = dict(uow.tx.execute(
        select(r.supplier, func.count()).where(r.supplier.in_(ids)).group_by(r.supplier)
    ).all())
    slips: dict[str, list[int]] = {i: [] for i in ids}
    for supplier, slip in uow.tx.execute(
        select(r.supplier, r.slip_days).where(r.supplier.in_(ids), r.slip_days.is_not(None))
    ).all():
        slips[supplier].append(int(slip))
    return [supplier_out(i, int(counts.get(i, 0)), slips[i]) for i in ids]


def get_supplier(uow: UnitOfWork, supplier_id: str) -> dict[str, Any] | None:
    s = t.suppliers.c
    if uow.tx.execute(select(s.id).where(s.id == supplier_id)).first() is None:
        return None
    return _suppliers_out(uow, [supplier_id])[0]


def list_suppliers(uow: UnitOfWork, after: Key | None,
                   limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    rows, cursor = SUPPLIERS.read(uow.tx, select(t.suppliers), after, limit)
    return page(_suppliers_out(uow, [r["id"] for r in rows]), cursor)
