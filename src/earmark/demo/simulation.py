"""``earmark simulate``: a year of trading, run through the real engine, to
measure how good the dates told to customers are under four quoting policies.

A discrete-event simulation with a day as its step. It drives the same
service commands as the API (place an order, create, move and receive a
receipt, ship, move the clock) on a temporary SQLite database whose frozen
calendar it moves one day at a time. Per supplier there is one item:

- demand: a Poisson number of orders a day, each of 1 + Poisson(extra) units;
- supply: a purchase order every week, sized up to a base stock (what is on
  hand and on order, less what is backordered), due after the lead time;
- slips: each purchase order's delay, drawn from a named distribution, is
  announced a few days before it was due by moving the receipt's expected
  date (a PATCH), and the units arrive on the date announced;
- every day, whatever is allocated ships at once.

The engine runs once; the policies differ only in the date they quote when
an order is placed, so they are compared on the same orders and shipments:

- ``naive-30``: always 30 days (the fixed default of many ERPs);
- ``lead-time``: today when every unit is held from stock, else today + the
  item's lead time;
- ``pegged``: earmark's ``promised_date`` (the date of the supply pegged);
- ``pegged-p90``: earmark's ``customer_date`` for an account with
  ``promise_basis: p90``, i.e. ``promised_date_p90``.

Figures are per unit, as in the service report: a unit is on time when it
ships on or before the date first quoted; its error is |ship date − quoted
date|; the quoted wait is quoted date − order date.
"""

from __future__ import annotations

import csv
import math
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from earmark.domain.slips import nearest_rank
from earmark.service import commitments as cm
from earmark.service import master, orders, supply
from earmark.service.clock import Clock
from earmark.service.queries import availability, get_order, list_events
from earmark.service.uow import Store

POLICIES = ("naive-30", "lead-time", "pegged", "pegged-p90")
NAIVE_QUOTE_DAYS = 30
START = date(2026, 1, 5)
ACCOUNT = "shop"
LOCATION = "DC"


def _punctual(rng: np.random.Generator) -> int:
    return 0


def _sometimes_late(rng: np.random.Generator) -> int:
    """Three purchase orders in ten are late, by 1 + Geometric(0.5) − 1 days (1, 2, 3... with
    halving chances: 2 days on average)."""
    return int(rng.geometric(0.5)) if rng.random() < 0.3 else 0


def _erratic(rng: np.random.Generator) -> int:
    """Anywhere from on time to a week late, every day as likely."""
    return int(rng.integers(0, 8))


SLIP_DISTRIBUTIONS: dict[str, Callable[[np.random.Generator], int]] = {
    "punctual": _punctual,
    "sometimes-late": _sometimes_late,
    "erratic": _erratic,
}
"""Named distributions of a purchase order's slip in days."""


@dataclass(frozen=True)
class Scenario:
    """The parameters of a run (the README states the default's)."""

    days: int = 365
    seed: int = 7
    suppliers: int = 2
    slips: str = "sometimes-late"
    orders_per_day: float = 2.8
    extra_units_mean: float = 1.3
    """Units per order are 1 + Poisson(this): 2.3 on average."""
    lead_time_days: int = 14
    review_days: int = 7
    base_stock: int = 140
    """Weekly orders bring on hand + on order − backordered up to this (about
    (lead time + review) × daily demand + a buffer), so they average the
    weekly demand, about 45 units."""
    announce_days: int = 3
    """A slip is announced this many days before the receipt was due."""
    initial_on_hand: int = 60
    unit_cost: float = 65.0


@dataclass
class PolicyResult:
    policy: str
    on_time_rate: float | None
    error_days_mean: float | None
    error_days_p90: int | None
    quoted_wait_days_mean: float | None
    promise_changes_per_order: float
    fill_rate: float | None
    capital_held_mean: float


@dataclass
class _Line:
    order_id: str
    sku: str
    ordered_on: date
    quantity: int
    held_at_order: int
    quotes: dict[str, date | None]
    shipped: list[tuple[date, int]] = field(default_factory=list)


@dataclass
class _Receipt:
    id: str
    sku: str
    due: date
    slip_days: int
    announced: bool = False

    @property
    def arrives(self) -> date:
        return self.due + timedelta(days=self.slip_days)


Progress = Callable[[int, int], None]


class Simulation:
    """One run of a :class:`Scenario` on a store (see the module's docstring)."""

    def __init__(self, scenario: Scenario, store: Store) -> None:
        if scenario.slips not in SLIP_DISTRIBUTIONS:
            raise ValueError(f"unknown slip distribution {scenario.slips!r}")
        self.scenario = scenario
        self.store = store
        self.rng = np.random.default_rng(scenario.seed)
        self.today = START
        self.skus = [f"ITEM-{n + 1}" for n in range(scenario.suppliers)]
        self.suppliers = {sku: f"SUPPLIER-{n + 1}" for n, sku in enumerate(self.skus)}
        self.lines: dict[str, _Line] = {}
        self.receipts: list[_Receipt] = []
        self.capital: list[float] = []
        self._numbers: dict[str, int] = defaultdict(int)
        self._allocated_seen = 0

    def _run(self, handler: Any, command: Any) -> dict[str, Any]:
        with self.store.unit_of_work() as uow:
            result = handler(uow, command)
        if not result.ok:
            raise RuntimeError(f"{handler.__name__} refused {command}: {result}")
        value: dict[str, Any] = result.value
        return value

    def _number(self, kind: str) -> int:
        self._numbers[kind] += 1
        return self._numbers[kind]

    def setup(self) -> None:
        s = self.scenario
        self._run(master.upsert_location, master.UpsertLocation(LOCATION, "Distribution centre"))
        self._run(master.upsert_account, master.UpsertAccount(ACCOUNT, "Shop", 100, "p90"))
        for sku in self.skus:
            self._run(master.upsert_item, master.UpsertItem(
                sku, sku.title(), unit_cost=f"{s.unit_cost:.2f}", lead_time_days=s.lead_time_days))
            self._run(supply.adjust, supply.Adjust(sku, LOCATION, s.initial_on_hand, "initial"))

    def run(self, progress: Progress | None = None) -> list[PolicyResult]:
        self.setup()
        for day in range(self.scenario.days):
            if day:
                self.today += timedelta(days=1)
                self._run(cm.advance_clock, cm.AdvanceClock(self.today))
            self.step(day)
            if progress is not None:
                progress(day + 1, self.scenario.days)
        return self.results()

    def step(self, day: int) -> None:
        """One day: announce slips, receive what arrives, order supply (weekly),
        take the day's orders, ship what is allocated, count the capital."""
        for receipt in self.receipts:
            self._announce(receipt)
        for receipt in self.receipts:
            if receipt.arrives == self.today:
                self._run(supply.receive_receipt, supply.ReceiveReceipt(receipt.id))
        self.receipts = [r for r in self.receipts if r.arrives > self.today]
        if day % self.scenario.review_days == 0:
            for sku in self.skus:
                self._purchase(sku)
        for sku in self.skus:
            for _ in range(int(self.rng.poisson(self.scenario.orders_per_day))):
                self._order(sku, 1 + int(self.rng.poisson(self.scenario.extra_units_mean)))
        self._ship()
        self.capital.append(self._on_hand_units() * self.scenario.unit_cost)

    def _announce(self, receipt: _Receipt) -> None:
        if receipt.announced or receipt.slip_days == 0:
            return
        if (receipt.due - self.today).days <= self.scenario.announce_days:
            self._run(supply.patch_receipt, supply.PatchReceipt(
                receipt.id, expected_date=max(receipt.arrives, self.today)))
            receipt.announced = True

    def _purchase(self, sku: str) -> None:
        figures = self._position(sku)
        inventory = figures["on_hand"] + figures["incoming"] - figures["backordered"] \
            - figures["allocated"]
        quantity = self.scenario.base_stock - inventory
        if quantity <= 0:
            return
        rid = f"PO-{sku}-{self._number('po'):04d}"
        due = self.today + timedelta(days=self.scenario.lead_time_days)
        slip = SLIP_DISTRIBUTIONS[self.scenario.slips](self.rng)
        self._run(supply.create_receipt, supply.CreateReceipt(
            rid, sku, LOCATION, quantity, due, supplier=self.suppliers[sku]))
        self.receipts.append(_Receipt(rid, sku, due, slip))

    def _position(self, sku: str) -> dict[str, Any]:
        with self.store.unit_of_work(write=False) as uow:
            return availability(uow.position(sku, LOCATION))

    def _order(self, sku: str, quantity: int) -> None:
        oid = f"SO-{self._number('order'):06d}"
        placed = self._run(orders.place_order, orders.PlaceOrder(
            oid, ACCOUNT, [orders.LineIn("1", sku, quantity, LOCATION)]))
        line = placed["lines"][0]
        held = int(line["allocated"])
        lead = self.today + timedelta(days=self.scenario.lead_time_days)
        quotes = {
            "naive-30": self.today + timedelta(days=NAIVE_QUOTE_DAYS),
            "lead-time": self.today if held == quantity else lead,
            "pegged": _day(line["promised_date"]),
            "pegged-p90": _day(line["customer_date"]),
        }
        self.lines[oid] = _Line(oid, sku, self.today, quantity, held, quotes)

    def _ship(self) -> None:
        """Ship every unit that became allocated since yesterday: the lines
        named by the ``order.allocated`` events recorded since then."""
        allocated: set[str] = set()
        while True:
            with self.store.unit_of_work(write=False) as uow:
                items = list_events(uow.tx, self._allocated_seen, "order.allocated", 1000)["items"]
            if not items:
                break
            allocated.update(e["data"]["order"] for e in items)
            self._allocated_seen = items[-1]["id"]
        for oid in sorted(allocated):
            with self.store.unit_of_work(write=False) as uow:
                order = get_order(uow.tx, oid, uow.today)
            held = int(order["lines"][0]["allocated"]) if order is not None else 0
            if held > 0:
                self._run(orders.ship_order, orders.ShipOrder(oid, [orders.LineQuantity("1", held)]))
                self.lines[oid].shipped.append((self.today, held))

    def _on_hand_units(self) -> int:
        with self.store.unit_of_work(write=False) as uow:
            return sum(int(uow.position(sku, LOCATION).on_hand) for sku in self.skus)

    def _changes(self) -> dict[str, int]:
        """Per policy, how many times a date told was moved afterwards."""
        moved = {"pegged": 0, "pegged-p90": 0}
        after = 0
        while True:
            with self.store.unit_of_work(write=False) as uow:
                items = list_events(uow.tx, after, "order.promise_changed", 1000)["items"]
            if not items:
                return moved
            for event in items:
                data = event["data"]
                moved["pegged"] += 1
                if data.get("old_customer_date") != data.get("new_customer_date"):
                    moved["pegged-p90"] += 1
            after = items[-1]["id"]

    def results(self) -> list[PolicyResult]:
        changes = self._changes()
        lines = list(self.lines.values())
        ordered = sum(line.quantity for line in lines)
        fill = sum(line.held_at_order for line in lines) / ordered if ordered else None
        capital = sum(self.capital) / len(self.capital) if self.capital else 0.0
        return [_policy_result(policy, lines, changes.get(policy, 0), fill, capital)
                for policy in POLICIES]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _policy_result(policy: str, lines: list[_Line], changes: int, fill: float | None,
                   capital: float) -> PolicyResult:
    on_time = shipped = 0
    errors: list[int] = []
    waits: list[int] = []
    for line in lines:
        quote = line.quotes[policy]
        if quote is not None:
            waits += [(quote - line.ordered_on).days] * line.quantity
        for day, units in line.shipped:
            shipped += units
            if quote is not None:
                on_time += units if day <= quote else 0
                errors += [abs((day - quote).days)] * units
    return PolicyResult(
        policy,
        on_time / shipped if shipped else None,
        sum(errors) / len(errors) if errors else None,
        nearest_rank(sorted(errors), 90) if errors else None,
        sum(waits) / len(waits) if waits else None,
        changes / len(lines) if lines else 0.0,
        fill,
        capital,
    )


def simulate(scenario: Scenario, progress: Progress | None = None) -> list[PolicyResult]:
    """Run ``scenario`` on a temporary SQLite database, thrown away afterwards."""
    with tempfile.TemporaryDirectory(prefix="earmark-sim-") as directory:
        store = Store(f"sqlite:///{directory}/simulation.db", Clock(frozen=START))
        store.upgrade()
        try:
            return Simulation(scenario, store).run(progress)
        finally:
            store.dispose()


def write_csv(path: Path, scenario: Scenario, results: list[PolicyResult]) -> None:
    """One row per policy, with the scenario's parameters beside the figures."""
    rows = [{**asdict(r), **{f"scenario_{k}": v for k, v in asdict(scenario).items()}}
            for r in results]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def rounded(value: float | None, places: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{places}f}"
