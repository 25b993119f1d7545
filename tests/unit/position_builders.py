"""Small builders for domain tests: positions, order lines and commitments.

Every expected value in the tests is worked out by hand from DESIGN.md;
these helpers only build inputs and read pegs back in plain terms.
"""

from __future__ import annotations

from datetime import date

from earmark.domain.position import ON_HAND, Demand, DemandKey, Position

TODAY = date(2026, 1, 5)
HELD = ON_HAND
"""Pegs on the on-hand bucket are held units; this name says so in tests."""


def position(
    on_hand: int = 0,
    *,
    today: date = TODAY,
    safety_stock: int = 0,
    lead_time_days: int | None = None,
) -> Position:
    return Position(
        "SKU-1",
        "LOC-1",
        today,
        on_hand,
        safety_stock=safety_stock,
        lead_time_days=lead_time_days,
    )


def line(
    order_id: str,
    quantity: int,
    *,
    need: date = TODAY,
    account: str = "ACME",
    priority: int = 10,
    arrival: int = 1,
    line_no: int = 1,
) -> Demand:
    """An order line; ``arrival`` is the order's creation sequence."""
    return Demand(
        DemandKey.for_line(order_id, str(line_no)),
        account,
        (priority, arrival, line_no),
        need,
        quantity,
    )


def commitment(
    commitment_id: str,
    quantity: int,
    *,
    need: date,
    account: str = "ACME",
    priority: int = 10,
    arrival: int = 1,
) -> Demand:
    return Demand(
        DemandKey.for_commitment(commitment_id),
        account,
        (priority, arrival, 0),
        need,
        quantity,
    )


def place(p: Position, demand: Demand, *, commitments: list[Demand] | None = None) -> Demand:
    """Place an order line with backorder ``allow`` and return it."""
    p.place_line(demand, commitments or [], "allow")
    return demand


def pegs(demand: Demand) -> dict[str, int]:
    """The demand's pegs without zero entries, as a plain dict."""
    return {key: n for key, n in demand.pegs.items() if n}
