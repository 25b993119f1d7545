"""Supplier slips and the confidence dates they give (API.md "Confidence dates").

A receipt's *slip* is how many days after its first expected date it was
received in full (negative when early). A promise pegged to a receipt is as
good as the receipt's date, so each such promise also carries ``likely_by``:
its date plus the 90th percentile of the supplier's slips, the date by which
nine receipts in ten of that supplier have arrived.

Percentiles are by nearest rank (the smallest recorded slip that at least
that share of slips does not exceed), so they are whole days and always a
slip that happened, never an interpolation between two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

SUPPLIER_SLIPS_MIN = 10
"""Slips a supplier needs before its own P90 is trusted; with fewer, the P90
of every supplier's slips pooled stands in for it (a prior)."""

CONFIDENCE_PERCENT = 90
"""The share of receipts, in percent, that arrive by ``likely_by``."""


class PromiseBasis(str, Enum):
    """Which date a customer is told: the date of the supply pegged
    (``expected``) or the date nine receipts in ten arrive by (``p90``)."""

    expected = "expected"
    p90 = "p90"


PROMISE_BASES = tuple(b.value for b in PromiseBasis)


def nearest_rank(ordered: list[int], percent: int) -> int:
    """The ``percent``-th percentile of ``ordered`` (sorted, not empty) by nearest rank.

    The rank is ceil(percent/100 · n), computed in integers: 0.9 · 10 is
    9.000000000000002 in floating point, and its ceiling would be 10."""
    if not ordered:
        raise ValueError("no value to take a percentile of")
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


@dataclass(frozen=True)
class SlipSummary:
    """The slip distribution of one supplier (all None without a recorded slip)."""

    count: int
    mean: float | None
    p50: int | None
    p90: int | None
    on_time_share: float | None


def summarize(slips: Iterable[int]) -> SlipSummary:
    ordered = sorted(slips)
    if not ordered:
        return SlipSummary(0, None, None, None, None)
    n = len(ordered)
    return SlipSummary(
        n,
        sum(ordered) / n,
        nearest_rank(ordered, 50),
        nearest_rank(ordered, CONFIDENCE_PERCENT),
        sum(1 for s in ordered if s <= 0) / n,
    )


@dataclass(frozen=True)
class SlipBook:
    """Every recorded slip, by supplier: what the confidence dates are made of.

    Built once per slip epoch (the epoch moves when a slip is recorded), so
    that promising reads a margin per receipt from memory, never per order
    from the database."""

    by_supplier: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    _margins: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, slips: Iterable[tuple[str, int]]) -> SlipBook:
        grouped: dict[str, list[int]] = {}
        for supplier, slip in slips:
            grouped.setdefault(supplier, []).append(slip)
        return cls({s: tuple(sorted(v)) for s, v in grouped.items()})

    @property
    def empty(self) -> bool:
        return not self.by_supplier

    def pooled_p90(self) -> int | None:
        """The P90 of all suppliers' slips together; None when none is recorded."""
        pooled = sorted(s for slips in self.by_supplier.values() for s in slips)
        return nearest_rank(pooled, CONFIDENCE_PERCENT) if pooled else None

    def margin_days(self, supplier: str | None) -> int:
        """Days from a receipt's date to its ``likely_by``: the supplier's P90
        slip with at least :data:`SUPPLIER_SLIPS_MIN` slips, else the pooled
        P90 (also for a receipt without supplier), else 0; never below 0, as
        a confidence date is never earlier than the date itself."""
        key = supplier or ""
        if key not in self._margins:
            own = self.by_supplier.get(supplier, ()) if supplier else ()
            if len(own) >= SUPPLIER_SLIPS_MIN:
                p90: int | None = nearest_rank(list(own), CONFIDENCE_PERCENT)
            else:
                p90 = self.pooled_p90()
            self._margins[key] = max(0, p90 or 0)
        return self._margins[key]


def likely_by(day: date | None, margin_days: int) -> date | None:
    return None if day is None else day + timedelta(days=margin_days)


def customer_date(promised: date | None, promised_p90: date | None,
                  account_basis: str | None, item_basis: str | None) -> date | None:
    """The date the customer is told: the account's basis, else the item's,
    else ``expected``."""
    basis = account_basis or item_basis or PromiseBasis.expected.value
    return promised_p90 if basis == PromiseBasis.p90.value else promised
