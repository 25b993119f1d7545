"""Confidence dates on the read side: ``likely_by`` on promise entries pegged
to a receipt, ``promised_date_p90`` and ``customer_date`` on order lines and
commitments (API.md "Confidence dates"; the arithmetic is ``domain.slips``).

The slip book (every recorded slip, by supplier) is read once per slip
epoch, a counter moved in the transaction that records a slip, and kept by
the store: answering an order costs one look-up of its receipts' suppliers,
and nothing at all while no slip has been recorded anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.domain.events import iso
from earmark.domain.position import Promise
from earmark.domain.slips import SlipBook, customer_date, likely_by
from earmark.store import tables as t

SLIP_EPOCH = "slip_epoch"
"""Counter moved whenever a slip is recorded: a slip book read in an older
epoch is stale."""

SLIP_BOOK = "earmark.slip_book"
"""Key of a connection's ``info`` under which the unit of work that owns the
connection offers its slip book (``UnitOfWork.slip_book``)."""


def read_slip_book(tx: Connection) -> SlipBook:
    r = t.receipts.c
    return SlipBook.of(
        (str(supplier), int(slip)) for supplier, slip in tx.execute(
            select(r.supplier, r.slip_days)
            .where(r.supplier.is_not(None), r.slip_days.is_not(None))
        ).all()
    )


def slip_book(tx: Connection) -> SlipBook:
    """The slip book as the unit of work owning ``tx`` keeps it (else read now)."""
    offered: Callable[[], SlipBook] | None = tx.info.get(SLIP_BOOK)
    return offered() if offered is not None else read_slip_book(tx)


def receipt_margins(tx: Connection, receipt_ids: Iterable[str], skus: Iterable[str]
                    ) -> dict[str, int]:
    """Days from each receipt's date to its ``likely_by`` (its supplier's P90
    slip, or the pooled one). No read at all while no slip is recorded."""
    ids = sorted(set(receipt_ids))
    if not ids:
        return {}
    book = slip_book(tx)
    if book.empty:
        return dict.fromkeys(ids, 0)
    r = t.receipts.c
    suppliers = dict(tx.execute(
        select(r.id, r.supplier).where(r.sku.in_(sorted(set(skus))), r.id.in_(ids))
    ).all())
    return {rid: book.margin_days(suppliers.get(rid)) for rid in ids}


def receipts_of(promises: Iterable[Promise]) -> set[str]:
    return {p.receipt for p in promises if p.receipt is not None}


@dataclass(frozen=True)
class Confidence:
    """What a read needs to state confidence dates: each receipt's margin in
    days, and the promise basis of the accounts and items concerned."""

    margins: Mapping[str, int] = field(default_factory=dict)
    account_basis: Mapping[str, str | None] = field(default_factory=dict)
    item_basis: Mapping[str, str | None] = field(default_factory=dict)

    def likely_by(self, promise: Promise) -> date | None:
        if promise.receipt is None:
            return promise.date
        return likely_by(promise.date, self.margins.get(promise.receipt, 0))

    def promises_out(self, promises: list[Promise]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for p in promises:
            entry: dict[str, Any] = {"quantity": p.quantity, "date": iso(p.date),
                                     "confirmed": p.confirmed}
            if p.receipt is not None:
                entry["receipt"] = p.receipt
                entry["likely_by"] = iso(self.likely_by(p))
            out.append(entry)
        return out

    def promised_date_p90(self, promises: list[Promise]) -> date | None:
        """The latest ``likely_by`` (the date where an entry has none); None
        when nothing is open or an entry has no date, like ``promised_date``."""
        dates = [self.likely_by(p) for p in promises]
        if not dates or any(d is None for d in dates):
            return None
        return max(d for d in dates if d is not None)

    def dates(self, promises: list[Promise], promised: date | None, account: str | None,
              sku: str) -> dict[str, Any]:
        """``promised_date_p90`` and ``customer_date`` of a line or commitment."""
        p90 = self.promised_date_p90(promises)
        told = customer_date(promised, p90, self.account_basis.get(account or ""),
                             self.item_basis.get(sku))
        return {"promised_date_p90": iso(p90), "customer_date": iso(told)}


def promise_bases(tx: Connection, accounts: Iterable[str], skus: Iterable[str]
                  ) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The ``promise_basis`` of each account and item (None: not set)."""
    a, i = t.accounts.c, t.items.c
    wanted_accounts = sorted(set(accounts) - {""})
    wanted_skus = sorted(set(skus))
    account_basis: dict[str, str | None] = dict(tx.execute(
        select(a.id, a.promise_basis).where(a.id.in_(wanted_accounts))
    ).all()) if wanted_accounts else {}
    item_basis: dict[str, str | None] = dict(tx.execute(
        select(i.sku, i.promise_basis).where(i.sku.in_(wanted_skus))
    ).all()) if wanted_skus else {}
    return account_basis, item_basis


def read_confidence(tx: Connection, promises: Iterable[Promise], accounts: Iterable[str],
                    skus: Iterable[str]) -> Confidence:
    """Everything a read of these promises needs, in at most three queries."""
    skus = set(skus)
    account_basis, item_basis = promise_bases(tx, accounts, skus)
    return Confidence(receipt_margins(tx, receipts_of(promises), skus), account_basis, item_basis)
