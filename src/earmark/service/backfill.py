"""Closed orders recorded as history, as the engine would have recorded them
(an order, its lines with their first promised date, order day and units
held at placing, and their shipments), without replaying the days they
span: the demo's weeks of service before its day
(:mod:`earmark.demo.service_history` makes them up)."""

from __future__ import annotations

from typing import Any

from earmark.service.uow import UnitOfWork
from earmark.store import tables as t


def record_closed_orders(uow: UnitOfWork, orders: list[dict[str, Any]],
                         lines: list[dict[str, Any]], shipments: list[dict[str, Any]]) -> None:
    """Insert the rows as they are (each a row of ``orders``, ``order_lines``
    or ``shipments``); the caller commits."""
    uow.tx.execute(t.orders.insert(), orders)
    uow.tx.execute(t.order_lines.insert(), lines)
    uow.tx.execute(t.shipments.insert(), shipments)
