"""Random sequences of commands over a network of three locations, transfers
among them included, through the service layer on SQLite; after each step
``earmark check`` must find every invariant intact (no unit made or lost,
every transfer's receipt what its source says), and every command either
succeeds or is refused with an outcome of the business, never a bug.

Lanes: HUB -> WEB (1 day), WEB -> STORE (2 days), STORE -> WEB (0 days)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.integration.helpers import run, seed

from earmark.domain.outcomes import Outcome
from earmark.service import commitments as cm
from earmark.service import master, network, orders, supply, transfers
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.uow import Store

START = date(2026, 1, 5)
LOCATIONS = ("HUB", "WEB", "STORE")
LANES = (("HUB", "WEB", 1), ("WEB", "STORE", 2), ("STORE", "WEB", 0))
REFUSALS = {Outcome.insufficient, Outcome.not_open, Outcome.not_held, Outcome.exceeds_open,
            Outcome.would_go_negative, Outcome.invalid, Outcome.below_received,
            Outcome.no_lane}


class NetworkMachine(RuleBasedStateMachine):
    @initialize()
    def open_store(self) -> None:
        self.store = Store("sqlite://", Clock(frozen=START))
        self.store.upgrade()
        seed(self.store, location="HUB", accounts={"acme": 100, "key": 10}, lead_time_days=9)
        for code in LOCATIONS[1:]:
            assert run(self.store, master.upsert_location, master.UpsertLocation(code, code)).ok
        for origin, destination, days in LANES:
            assert run(self.store, network.set_lane, network.SetLane(origin, destination, days)).ok
        self.n = 0
        self.receipts: list[str] = []
        self.orders: list[tuple[str, str]] = []
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

    def _refused_or_ok(self, handler: object, command: object) -> None:
        result = run(self.store, handler, command)
        assert result.ok or result.outcome in REFUSALS, (result.outcome, result.detail)

    @rule(location=st.sampled_from(LOCATIONS), quantity=st.integers(-8, 15).filter(bool))
    def adjust(self, location: str, quantity: int) -> None:
        self._refused_or_ok(supply.adjust, supply.Adjust("COAT", location, quantity, "count"))

    @rule(location=st.sampled_from(LOCATIONS), quantity=st.integers(1, 15),
          days=st.integers(0, 20))
    def add_receipt(self, location: str, quantity: int, days: int) -> None:
        rid = self._id("PO")
        assert run(self.store, supply.create_receipt, supply.CreateReceipt(
            rid, "COAT", location, quantity, self._today() + timedelta(days=days))).ok
        self.receipts.append(rid)

    @rule(data=st.data())
    def change_receipt(self, data: st.DataObject) -> None:
        if self.receipts:
            rid = data.draw(st.sampled_from(self.receipts))
            days = data.draw(st.none() | st.integers(0, 30))
            quantity = data.draw(st.none() | st.integers(1, 20))
            self._refused_or_ok(supply.patch_receipt, supply.PatchReceipt(
                rid, None if days is None else self._today() + timedelta(days=days), quantity))

    @rule(data=st.data())
    def receive_or_cancel_receipt(self, data: st.DataObject) -> None:
        if self.receipts:
            rid = data.draw(st.sampled_from(self.receipts))
            if data.draw(st.booleans()):
                self._refused_or_ok(supply.receive_receipt, supply.ReceiveReceipt(rid))
            else:
                self._refused_or_ok(supply.cancel_receipt, supply.CancelReceipt(rid))

    @rule(location=st.sampled_from(("WEB", "STORE")), account=st.sampled_from(["acme", "key"]),
          quantity=st.integers(1, 10), days=st.integers(0, 15))
    def place_order(self, location: str, account: str, quantity: int, days: int) -> None:
        oid = self._id("SO")
        assert run(self.store, orders.place_order, orders.PlaceOrder(oid, account, [
            orders.LineIn("1", "COAT", quantity, location, self._today() + timedelta(days=days))
        ])).ok
        self.orders.append((oid, location))

    @rule(data=st.data())
    def cancel_or_ship_order(self, data: st.DataObject) -> None:
        if self.orders:
            oid, _ = data.draw(st.sampled_from(self.orders))
            lines = [orders.LineQuantity("1", data.draw(st.integers(1, 5)))]
            if data.draw(st.booleans()):
                run(self.store, orders.cancel_order, orders.CancelOrder(oid, lines))
            else:
                run(self.store, orders.ship_order, orders.ShipOrder(oid, lines))

    @rule(lane=st.sampled_from(LANES), quantity=st.integers(1, 10),
          days=st.none() | st.integers(0, 20), priority=st.none() | st.integers(0, 200))
    def create_transfer(self, lane: tuple[str, str, int], quantity: int, days: int | None,
                        priority: int | None) -> None:
        tid = self._id("T")
        need = None if days is None else self._today() + timedelta(days=days)
        result = run(self.store, transfers.create_transfer, transfers.CreateTransfer(
            tid, "COAT", lane[0], lane[1], quantity, need, priority))
        assert result.ok or result.outcome is Outcome.insufficient, result.detail
        if result.ok:
            self.transfers.append(tid)

    @rule(data=st.data(), step=st.sampled_from(["ship", "receive", "cancel"]))
    def move_transfer(self, data: st.DataObject, step: str) -> None:
        if not self.transfers:
            return
        tid = data.draw(st.sampled_from(self.transfers))
        quantity = data.draw(st.none() | st.integers(1, 6))
        if step == "ship":
            self._refused_or_ok(transfers.ship_transfer, transfers.ShipTransfer(tid, quantity))
        elif step == "receive":
            self._refused_or_ok(transfers.receive_transfer,
                                transfers.ReceiveTransfer(tid, quantity))
        else:
            self._refused_or_ok(transfers.cancel_transfer, transfers.CancelTransfer(tid))

    @rule(days=st.integers(0, 6))
    def advance_clock(self, days: int) -> None:
        assert run(self.store, cm.advance_clock,
                   cm.AdvanceClock(self._today() + timedelta(days=days))).ok

    @invariant()
    def every_invariant_holds(self) -> None:
        if hasattr(self, "store"):
            _, findings = check_store(self.store)
            assert findings == [], [str(f) for f in findings]


NetworkMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestNetworkMachine = NetworkMachine.TestCase
