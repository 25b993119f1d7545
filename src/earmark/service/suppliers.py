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
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from earmark.domain.limits import PAGE_LIMIT_DEFAULT
from earmark.domain.outcomes import Outcome
from earmark.domain.slips import summarize
from earmark.service.pages import Key, Keyset, page
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.service.validation import check_id, check_quantity, need_item, need_location
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


# ----------------------------------------------------------------------
# History


@dataclass(frozen=True)
class PastReceipt:
    """A receipt received before earmark kept the stock: only its slip matters now."""

    id: str
    sku: str
    location: str
    quantity: int
    supplier: str
    first_expected_date: date
    received_on: date


@dataclass(frozen=True)
class RecordSlipHistory:
    receipts: tuple[PastReceipt, ...]


def record_slip_history(uow: UnitOfWork, cmd: RecordSlipHistory) -> Result:
    """Store suppliers' past receipts, received in full, with their slips, so
    that confidence dates start from what is known (like demand history for
    forecasts). Their units are in on-hand already: nothing joins the stock.

    Refused, changing nothing: a bad or taken id, an unknown sku or location,
    a quantity below 1, a receipt received after today."""
    r = t.receipts
    for past in cmd.receipts:
        if error := check_id("id", past.id) or check_id("supplier", past.supplier):
            return error
        if error := check_quantity("quantity", past.quantity):
            return error
        _, error = need_item(uow, past.sku)
        if error or (error := need_location(uow, past.location)):
            return error
        if past.received_on > uow.today:
            return invalid("received_on", f"{past.received_on.isoformat()} is after today")
        if uow.raw.execute(select(r.c.id).where(r.c.id == past.id)).first() is not None:
            return fail(Outcome.exists_with_different_content, f"receipt {past.id!r} exists")
    # From here on the command must succeed.
    for past in cmd.receipts:
        ensure_supplier(uow, past.supplier)
        uow.raw.execute(r.insert().values(
            id=past.id, sku=past.sku, location=past.location, quantity=past.quantity,
            received=past.quantity, expected_date=past.received_on,
            first_expected_date=past.first_expected_date, source="purchase",
            supplier=past.supplier, status="received", seq=uow.next_number("receipt"),
            slip_days=(past.received_on - past.first_expected_date).days,
            request={"history": True}, created_at=uow.now, updated_at=uow.now,
        ))
    if cmd.receipts:
        uow.slip_recorded()
    uow.commit()
    return Result(Outcome.ok, {"recorded": len(cmd.receipts)})
