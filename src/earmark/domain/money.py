"""Money: decimal strings in, Decimal in arithmetic, two-place strings out.

A float cannot hold 0.10 exactly, so money never becomes one: a cost or price
is kept as the decimal string it was given, read into ``Decimal`` (or, where a
report multiplies thousands of them, into exact integer millionths), and
shown rounded to cents (half up, as a till does) only at the end, so that
totals are rounded once and not summed from rounded parts.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,6})?$"
"""A cost or price as a request gives it: up to 12 digits, up to 6 decimals, ≥ 0."""

_MONEY = re.compile(MONEY_PATTERN)
CENT = Decimal("0.01")


def is_money(text: str) -> bool:
    return _MONEY.match(text) is not None


def money(text: str | None) -> Decimal | None:
    """A stored cost or price, or None where there is none."""
    return None if text is None else Decimal(text)


def money_out(value: Decimal | None) -> str | None:
    """Money as answers show it: a two-place decimal string (null stays null)."""
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


MICROS = 10**6
"""Money in reports is summed in whole millionths: a cost or price has at most
six decimals, so units × millionths is exact integer arithmetic (and fast
enough for a report of 30,000 rows), still never a float."""


def micros(text: str | None) -> int | None:
    """A stored cost or price in millionths (exact: at most six decimals)."""
    return None if text is None else int(Decimal(text) * MICROS)


def micros_out(value: int | None) -> str | None:
    """Millionths as a two-place decimal string, rounded half up (≥ 0)."""
    if value is None:
        return None
    cents = (value + 5_000) // 10_000
    return f"{cents // 100}.{cents % 100:02d}"


def week_of(day: date) -> date:
    """The Monday that names the week of ``day``."""
    return day - timedelta(days=day.weekday())
