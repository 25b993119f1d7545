"""The four weeks of service before the demo's day: orders placed, filled
or backordered, and shipped (on time or late), so that the service report
and its dashboard page show something real right after the Quick start.

These orders are all closed: every unit shipped before the demo's today.
They are recorded as the engine would have recorded them (an order, its
lines with their first promised date, order day and units held at placing,
and their shipments), without replaying four weeks of calendar: the demo's
events, pegs and ledger stay those of its day. On-hand is not touched
either: the stock of the demo's day is what is left after these shipments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from earmark.domain.outcomes import Outcome
from earmark.service.backfill import record_closed_orders
from earmark.service.results import Result
from earmark.service.uow import UnitOfWork

HISTORY_WEEKS = 4
HISTORY_SEED = 15


@dataclass(frozen=True)
class RecordServiceHistory:
    today: date
    weeks: int = HISTORY_WEEKS
    seed: int = HISTORY_SEED


# (sku, location, account, usual quantity, lead days when it must wait)
SOLD = [
    ("COAT-ASTRID-M", "WEB", "web", 2, 14), ("COAT-ASTRID-S", "WEB", "web", 1, 14),
    ("COAT-ASTRID-M", "WEB", "vip-club", 1, 14), ("SCARF-MERINO", "WEB", "web", 3, 10),
    ("BEAM-W12", "YARD", "smallbuild", 400, 30), ("BOLT-M20", "YARD", "metalworks", 2000, 14),
    ("PLATE-S355-20", "YARD", "metalworks", 40, 20), ("HBM-STACK-24", "FAB-AUS", "cloudco", 48, 30),
    ("PSU-3KW", "FAB-AUS", "labs", 4, 21), ("AVOCADO-HASS", "DC-EAST", "corner", 30, 7),
    ("MANGO-KENT", "DC-EAST", "bistro", 12, 7), ("AVOCADO-HASS", "DC-EAST", "freshmart", 120, 7),
]


def record_service_history(uow: UnitOfWork, cmd: RecordServiceHistory) -> Result:
    """Record the closed orders of the weeks before ``cmd.today``."""
    rng = random.Random(cmd.seed)
    first_day = cmd.today - timedelta(days=7 * cmd.weeks)
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    shipments: list[dict[str, Any]] = []
    number = 0
    for offset in range(7 * cmd.weeks):
        day = first_day + timedelta(days=offset)
        for sku, location, account, usual, lead in SOLD:
            if rng.random() > 0.45:
                continue
            number += 1
            oid = f"HIST-{day:%m%d}-{number:03d}"
            quantity = max(1, round(usual * rng.uniform(0.5, 1.5)))
            # Most lines are served from the shelf; the rest wait for supply,
            # more of them as the season's stock runs down.
            filled = rng.random() < 0.85 - 0.02 * offset / 7
            held = quantity if filled else rng.randint(0, quantity - 1)
            promised = day if held == quantity else day + timedelta(days=rng.randint(3, lead))
            orders.append({"id": oid, "account": account, "status": "closed", "seq": 0,
                           "request": {"history": True}, "created_at": uow.now,
                           "updated_at": uow.now, "ordered_on": day})
            lines.append({"order_id": oid, "line": "1", "sku": sku, "location": location,
                          "idx": 0, "account": account, "seq": 0, "quantity": quantity,
                          "shipped": quantity, "cancelled": 0, "allocated": 0,
                          "requested_date": day, "backorder": "allow", "open": 0,
                          "ship_to": None, "split": False, "transit_days": 0,
                          "unit_price": None, "first_promised_date": promised,
                          "ordered_on": day, "held_at_order": held})
            shipments += _shipments(rng, oid, sku, location, account, day, promised,
                                    quantity, held, cmd.today)
    record_closed_orders(uow, orders, lines, shipments)
    uow.commit()
    return Result(Outcome.created, {"orders": len(orders)})


def _shipments(rng: random.Random, oid: str, sku: str, location: str, account: str,
               day: date, promised: date, quantity: int, held: int,
               today: date) -> list[dict[str, Any]]:
    """What was held mostly ships the day it was ordered (one time in five, the
    next day: a day late); what waited ships around its promised date (one
    time in four, late by up to a week); nothing ships after yesterday."""
    last = today - timedelta(days=1)
    parts = [(held, day + timedelta(days=0 if rng.random() < 0.8 else 1))] if held else []
    if quantity > held:
        slip = rng.randint(1, 7) if rng.random() < 0.25 else -rng.randint(0, 2)
        parts.append((quantity - held, max(day, promised + timedelta(days=slip))))
    return [{"sku": sku, "location": location, "order_id": oid, "line": "1", "account": account,
             "quantity": units, "shipped_on": min(shipped_on, last), "first_promised_date": promised}
            for units, shipped_on in parts]
