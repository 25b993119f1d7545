"""Network promising under random sequences (issue "network promising",
point 8): orders by ``ship_to`` (whole or split) and by ``location``,
transfers, receipts moving, cancels and ships on a three-location network.
After every step ``earmark check`` finds every invariant intact (a transfer
receipt's open quantity is the transfer's units pegged at its source plus
those in transit; every part's units are counted once), and every line
equals the sum of its parts. Separately, placing ship-to orders one by one
equals placing them in one batch."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.integration.helpers import run, seed
from tests.integration.test_writer import scrub

from earmark.domain.outcomes import Outcome
from earmark.service import commitments as cm
from earmark.service import network, orders, supply, transfers
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.queries import get_order
from earmark.service.uow import Store
from earmark.service.writer import Writer

START = date(2026, 1, 5)
ACCOUNTS = {"key": 10, "acme": 100}
LOCATIONS = ("HUB", "STORE", "WEB")
LANES = (("WEB", "STORE", 2), ("HUB", "STORE", 1), ("WEB", "HUB", 1))


def network_store(url: str = "sqlite://") -> Store:
    store = Store(url, Clock(frozen=START))
    store.upgrade()
    seed(store, location="WEB", accounts=ACCOUNTS, lead_time_days=14)
    for code in LOCATIONS:
        run(store, network_master_location, code)
    for origin, destination, days in LANES:
        assert run(store, network.set_lane, network.SetLane(origin, destination, days)).ok
    return store


def network_master_location(uow: Any, code: str) -> Any:
    from earmark.service import master

    return master.upsert_location(uow, master.UpsertLocation(code, code.title()))


def delivered(line: dict[str, Any]) -> list[tuple[int, str | None]]:
    """A line's promises as (units, delivered date), from its parts."""
    out = []
    for part in line["parts"]:
        for promise in part["promises"]:
            day = promise["date"]
            if day is not None:
                day = (date.fromisoformat(day) + timedelta(days=part["transit_days"])).isoformat()
            out.append((promise["quantity"], day))
    return out


class NetworkMachine(RuleBasedStateMachine):
    @initialize()
    def open_store(self) -> None:
        self.store = network_store()
        self.n = 0
        self.receipts: list[str] = []
        self.orders: list[str] = []
        self.transfers: list[str] = []

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.dispose()

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _today(self) -> date:
        with self.store.unit_of_work(write=False) as uow:
            return uow.today

    @rule(location=st.sampled_from(LOCATIONS), quantity=st.integers(-10, 25))
    def adjust(self, location: str, quantity: int) -> None:
        if quantity == 0:
            return
        result = run(self.store, supply.adjust,
                     supply.Adjust("COAT", location, quantity, "count"))
        assert result.ok or result.outcome is Outcome.would_go_negative

    @rule(location=st.sampled_from(("WEB", "HUB")), quantity=st.integers(1, 25),
          days=st.integers(0, 40))
    def add_receipt(self, location: str, quantity: int, days: int) -> None:
        rid = self._id("PO")
        result = run(self.store, supply.create_receipt, supply.CreateReceipt(
            rid, "COAT", location, quantity, self._today() + timedelta(days=days)))
        assert result.outcome is Outcome.created
        self.receipts.append(rid)

    @rule(data=st.data())
    def move_receipt(self, data: st.DataObject) -> None:
        if not self.receipts:
            return
        rid = data.draw(st.sampled_from(self.receipts))
        days = data.draw(st.none() | st.integers(0, 60))
        quantity = data.draw(st.none() | st.integers(0, 30))
        run(self.store, supply.patch_receipt, supply.PatchReceipt(
            rid, None if days is None else self._today() + timedelta(days=days), quantity))

    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        if self.receipts:
            rid = data.draw(st.sampled_from(self.receipts))
            run(self.store, supply.receive_receipt,
                supply.ReceiveReceipt(rid, data.draw(st.none() | st.integers(1, 20))))

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), quantity=st.integers(1, 15),
          days=st.integers(0, 30), split=st.booleans(),
          where=st.sampled_from(["ship_to", "ship_to", "location"]),
          policy=st.sampled_from([None, None, "deny", "reject"]))
    def place_order(self, account: str, quantity: int, days: int, split: bool, where: str,
                    policy: str | None) -> None:
        oid = self._id("SO")
        requested = self._today() + timedelta(days=days)
        line = (orders.LineIn("1", "COAT", quantity, None, requested, policy,
                              ship_to="STORE", split=split)
                if where == "ship_to"
                else orders.LineIn("1", "COAT", quantity, "WEB", requested, policy))
        result = run(self.store, orders.place_order, orders.PlaceOrder(oid, account, [line]))
        if result.ok:
            self.orders.append(oid)
        else:
            assert result.outcome is Outcome.rejected_not_available, result

    @rule(data=st.data())
    def cancel_order(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        oid = data.draw(st.sampled_from(self.orders))
        quantity = data.draw(st.none() | st.integers(1, 10))
        lines = None if quantity is None else [orders.LineQuantity("1", quantity)]
        run(self.store, orders.cancel_order, orders.CancelOrder(oid, lines))

    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        oid = data.draw(st.sampled_from(self.orders))
        with self.store.unit_of_work(write=False) as uow:
            order = get_order(uow.tx, oid, uow.today)
        assert order is not None
        parts = order["lines"][0]["parts"]
        held = [p for p in parts if p["allocated"] > 0]
        if not held:
            return
        part = data.draw(st.sampled_from(held))
        quantity = data.draw(st.integers(1, part["allocated"]))
        result = run(self.store, orders.ship_order, orders.ShipOrder(
            oid, [orders.LineQuantity("1", quantity, part["location"])]))
        assert result.ok, result

    @rule(route=st.sampled_from([lane[:2] for lane in LANES]), quantity=st.integers(1, 10),
          days=st.none() | st.integers(0, 30))
    def transfer(self, route: tuple[str, str], quantity: int, days: int | None) -> None:
        tid = self._id("TR")
        result = run(self.store, transfers.create_transfer, transfers.CreateTransfer(
            tid, "COAT", route[0], route[1], quantity,
            None if days is None else self._today() + timedelta(days=days)))
        if result.ok:
            self.transfers.append(tid)
        else:
            assert result.outcome is Outcome.insufficient, result

    @rule(data=st.data(), step=st.sampled_from(["ship", "receive", "cancel"]))
    def move_transfer(self, data: st.DataObject, step: str) -> None:
        if not self.transfers:
            return
        tid = data.draw(st.sampled_from(self.transfers))
        quantity = data.draw(st.none() | st.integers(1, 10))
        if step == "ship":
            run(self.store, transfers.ship_transfer, transfers.ShipTransfer(tid, quantity))
        elif step == "receive":
            run(self.store, transfers.receive_transfer, transfers.ReceiveTransfer(tid, quantity))
        else:
            run(self.store, transfers.cancel_transfer, transfers.CancelTransfer(tid))

    @rule(days=st.integers(0, 7))
    def advance_clock(self, days: int) -> None:
        assert run(self.store, cm.advance_clock,
                   cm.AdvanceClock(self._today() + timedelta(days=days))).ok

    @invariant()
    def every_invariant_holds(self) -> None:
        if hasattr(self, "store"):
            _, findings = check_store(self.store)
            assert findings == [], [str(f) for f in findings]

    @invariant()
    def every_line_is_the_sum_of_its_parts(self) -> None:
        if not hasattr(self, "store"):
            return
        with self.store.unit_of_work(write=False) as uow:
            for oid in self.orders:
                order = get_order(uow.tx, oid, uow.today)
                assert order is not None
                for line in order["lines"]:
                    parts = line["parts"]
                    assert len({p["location"] for p in parts}) == len(parts)
                    for name in ("allocated", "backordered", "shipped", "cancelled"):
                        assert line[name] == sum(p[name] for p in parts), (name, line)
                    assert line["quantity"] == sum(p["quantity"] for p in parts)
                    promised = delivered(line)
                    by_day: dict[str | None, int] = {}
                    for units, day in promised:
                        by_day[day] = by_day.get(day, 0) + units
                    told: dict[str | None, int] = {}
                    for promise in line["promises"]:
                        told[promise["date"]] = told.get(promise["date"], 0) + promise["quantity"]
                    assert told == by_day, line
                    days = [d for _, d in promised]
                    latest = None if not days or None in days else max(d for d in days if d)
                    assert line["promised_date"] == latest, line


TestNetworkMachine = NetworkMachine.TestCase
TestNetworkMachine.settings = settings(
    max_examples=15, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


ORDERS = st.lists(
    st.tuples(st.sampled_from(sorted(ACCOUNTS)), st.integers(1, 12), st.integers(0, 20),
              st.booleans(), st.sampled_from([None, None, "deny"])),
    min_size=2, max_size=8,
)
STOCK = st.fixed_dictionaries({code: st.integers(0, 12) for code in LOCATIONS})


def _prepared(url: str, stock: dict[str, int], receipt_days: int) -> Store:
    store = network_store(url)
    for code, units in stock.items():
        if units:
            assert run(store, supply.adjust, supply.Adjust("COAT", code, units, "initial")).ok
    assert run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-W", "COAT", "WEB", 10, START + timedelta(days=receipt_days))).ok
    return store


def _commands(specs: list[tuple[str, int, int, bool, str | None]]) -> list[orders.PlaceOrder]:
    return [
        orders.PlaceOrder(f"B{i}", account, [orders.LineIn(
            "1", "COAT", quantity, None, START + timedelta(days=days), policy,
            ship_to="STORE", split=split)])
        for i, (account, quantity, days, split, policy) in enumerate(specs)
    ]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(stock=STOCK, receipt_days=st.integers(0, 20), specs=ORDERS)
def test_placing_ship_to_lines_one_by_one_equals_placing_them_in_a_batch(
        tmp_path_factory: Any, stock: dict[str, int], receipt_days: int,
        specs: list[tuple[str, int, int, bool, str | None]]) -> None:
    directory = tmp_path_factory.mktemp("net")
    serial_store = _prepared(f"sqlite:///{directory}/serial.db", stock, receipt_days)
    batched_store = _prepared(f"sqlite:///{directory}/batched.db", stock, receipt_days)
    commands = _commands(specs)
    serial = [scrub(run(serial_store, orders.place_order, cmd).value) for cmd in commands]
    writer = Writer(batched_store, wait_ms=50)
    futures = [writer.enqueue(lambda uow, cmd=cmd: orders.place_order(uow, cmd))
               for cmd in commands]
    batched = [scrub(f.result().value) for f in futures]
    writer.stop()
    assert batched == serial
    assert check_store(batched_store)[1] == []
    serial_store.dispose()
    batched_store.dispose()
