"""Scenario n: lines placed by ``ship_to`` over five candidates (DESIGN.md
"Network promising"), at the service layer.

The network: the ship-to location STORE has none of the item (it is no
candidate for itself); five locations have lanes to it, 1 to 5 days away.
Only the farthest has stock, so every line is tried at all five (rule N1
finds no nearer one that serves it) before it is placed there.

- ``orders``: one thread places batches of 16 one-unit orders as the writer
  does (``prefetch`` from the batch's hints, ``place_order`` per order, one
  commit): first by ship_to, then by location at the farthest candidate,
  the same position. The line is the ratio of the time per order.
- ``promise``: ``quote_promise`` by ship_to over the five candidates, each
  call in a read-only unit of work of its own, as ``POST /v1/promise`` runs it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sqlalchemy import insert

from bench import seed, service
from earmark.service import commitments, orders
from earmark.store import tables as t

SKU = "NET"
SHIP_TO = "STORE"
CANDIDATES = [f"DC{n}" for n in range(1, 6)]
"""DC1 is 1 day from STORE, ..., DC5 5 days; only DC5 has stock."""
ORDERS_PER_BATCH = 16
BATCHES = 100
WARM_BATCHES = 10
PROMISE_CALLS = 300
PROMISE_WARM_CALLS = 10
"""Quotes before the timed ones: master data and lanes are then read, as in a server that runs."""


def seed_network(store: service.Store) -> None:
    now = seed._now()
    with store.engine.begin() as tx:
        seed.master_data(tx, [SKU], lead_time_days=14)
        codes = [SHIP_TO, *CANDIDATES]
        seed.bulk(tx, t.locations, [{"code": code, "name": code, "created_at": now,
                                     "updated_at": now} for code in codes])
        seed.bulk(tx, t.lanes, [{"from_location": code, "to_location": SHIP_TO,
                                 "transit_days": days, "created_at": now, "updated_at": now}
                                for days, code in enumerate(CANDIDATES, start=1)])
        # Stocked out everywhere but at the farthest candidate.
        seed.bulk(tx, t.positions, [{"sku": SKU, "location": code,
                                     "on_hand": service.HOT_STOCK if code == CANDIDATES[-1] else 0}
                                    for code in codes])
        tx.execute(insert(t.stock_ledger).values(
            sku=SKU, location=CANDIDATES[-1], quantity=service.HOT_STOCK, reason="initial",
            ref=None, note="bench seed", at=now))


def _batch(store: service.Store, prefix: str, *, by_ship_to: bool) -> None:
    def line() -> orders.LineIn:
        if by_ship_to:
            return orders.LineIn("1", SKU, 1, ship_to=SHIP_TO)
        return orders.LineIn("1", SKU, 1, CANDIDATES[-1])

    commands = [orders.PlaceOrder(f"{prefix}-{i}", seed.ACCOUNT, [line()])
                for i in range(ORDERS_PER_BATCH)]
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        # The hints the HTTP layer gives the writer (api/commands.py ``_hints``).
        uow.expect_orders(cmd.id for cmd in commands)
        if by_ship_to:
            uow.expect_ship_to([(SKU, SHIP_TO)])
        else:
            uow.expect_positions([(SKU, CANDIDATES[-1])])
        uow.prefetch()
        for cmd in commands:
            result = orders.place_order(uow, cmd)
            if not result.ok:
                raise RuntimeError(f"order {cmd.id} was refused: {result.detail}")
            if result.value["lines"][0]["parts"][0]["location"] != CANDIDATES[-1]:
                raise RuntimeError(f"order {cmd.id} was not placed at {CANDIDATES[-1]}")
        uow.commit_now()


def _us_per_order(store: service.Store, prefix: str, *, by_ship_to: bool) -> float:
    for n in range(WARM_BATCHES):
        _batch(store, f"{prefix}w{n}", by_ship_to=by_ship_to)
    began = time.perf_counter()
    for n in range(BATCHES):
        _batch(store, f"{prefix}{n}", by_ship_to=by_ship_to)
    return (time.perf_counter() - began) / (BATCHES * ORDERS_PER_BATCH) * 1e6


@dataclass
class NetworkResult:
    ship_to_us: float
    location_us: float
    promise: service.PromiseResult
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.ship_to_us / self.location_us


def network_orders(url: str, promise_budget_s: float) -> NetworkResult:
    store = service.open_store(url)
    try:
        seed_network(store)
        # Alternating, so that neither kind runs alone on a warmer cache.
        ship_to_us = _us_per_order(store, "N", by_ship_to=True)
        location_us = _us_per_order(store, "L", by_ship_to=False)
        ship_to_us = min(ship_to_us, _us_per_order(store, "N2", by_ship_to=True))
        location_us = min(location_us, _us_per_order(store, "L2", by_ship_to=False))
        quotes = promise(store, promise_budget_s)
        problems = list(quotes.problems) + service.findings_of(store)
        return NetworkResult(ship_to_us, location_us, quotes, problems)
    finally:
        store.dispose()


def promise(store: service.Store, budget_s: float, calls: int = PROMISE_CALLS) -> service.PromiseResult:
    rng = random.Random(7)
    latencies: list[float] = []
    problems: list[str] = []
    began = time.perf_counter()
    for n in range(PROMISE_WARM_CALLS + calls):
        cmd = commitments.QuotePromise(SKU, rng.randint(1, 10), account=seed.ACCOUNT,
                                       ship_to=SHIP_TO)
        t0 = time.perf_counter()
        with store.unit_of_work(write=False) as uow:
            result = commitments.quote_promise(uow, cmd)
        if n >= PROMISE_WARM_CALLS:
            latencies.append(time.perf_counter() - t0)
        if not result.ok or result.value["location"] != CANDIDATES[-1] \
                or not result.value["complete"]:
            problems.append(f"quote by ship_to: {result.outcome.value} {result.detail} "
                            f"{result.value}")
            break
        if time.perf_counter() - began > budget_s:
            break
    return service.PromiseResult(latencies, time.perf_counter() - began, problems)
