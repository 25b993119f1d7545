"""What a CSV import (``earmark import KIND FILE``, :mod:`earmark.cli.imports`)
reads before it plans: the stored figures its rows are compared with, and
whether the same file (by content) was applied before.

The other rows are compared through the API's own reads (an item, a
receipt, an order); these are the ones the API has no read for in the
shape the comparison needs (a commitment's stored columns, every on-hand
figure at once, the stored days of history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.store import tables as t

IMPORTED = "import.applied"
"""The event an import records: ``{kind, mode, sha256, file, rows, changed}``."""


@dataclass(frozen=True)
class Earlier:
    """An earlier import of the same content: its event."""

    event_id: int
    at: datetime
    kind: str


def earlier_import(tx: Connection, sha256: str) -> Earlier | None:
    """The earlier import of the same content, if any."""
    e = t.events.c
    for event_id, at, data in tx.execute(
        select(e.id, e.at, e.data).where(e.type == IMPORTED).order_by(e.id)
    ):
        if isinstance(data, dict) and data.get("sha256") == sha256:
            return Earlier(int(event_id), at, str(data.get("kind")))
    return None


def on_hand_by_position(tx: Connection) -> dict[tuple[str, str], int]:
    """Every position's on-hand, by (sku, location)."""
    p = t.positions.c
    return {(s, loc): int(n) for s, loc, n in tx.execute(select(p.sku, p.location, p.on_hand))}


def stored_commitment(tx: Connection, commitment_id: str) -> dict[str, Any] | None:
    """A commitment's stored columns as they are (dates as dates), or None."""
    c = t.commitments
    row = tx.execute(select(c).where(c.c.id == commitment_id)).mappings().first()
    return None if row is None else dict(row)


def stored_history(tx: Connection, skus: set[str]) -> dict[tuple[str, str, date], int]:
    """The stored days of demand history of the skus, by (sku, location, day)."""
    h = t.demand_history.c
    return {(s, loc, d): int(n) for s, loc, d, n in tx.execute(
        select(h.sku, h.location, h.day, h.quantity).where(h.sku.in_(sorted(skus))))}
