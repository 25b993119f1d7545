"""Random sequences of every command, through the service layer on SQLite;
after each step ``earmark check`` must find every invariant intact."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from tests.integration.helpers import run, seed

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.outcomes import Outcome
from earmark.domain.position import Demand, DemandKey
from earmark.service import commitments as cm
from earmark.service import orders, supply
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.confidence import Confidence
from earmark.service.queries import availability, get_order, promises_out
from earmark.service.uow import Store

START = date(2026, 1, 5)
ACCOUNTS = {"key": 10, "acme": 100, "bob": 100}


class ServiceMachine(RuleBasedStateMachine):
    @initialize()
    def open_store(self) -> None:
        self.store = Store("sqlite://", Clock(frozen=START))
        self.store.upgrade()
        seed(self.store, on_hand=0, accounts=ACCOUNTS, lead_time_days=14)
        self.n = 0
        self.receipts: list[str] = []
        self.orders: list[str] = []
        self.commitments: list[str] = []

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.dispose()

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def _today(self) -> date:
        with self.store.unit_of_work(write=False) as uow:
            return uow.today

    @rule(quantity=st.integers(-15, 30))
    def adjust(self, quantity: int) -> None:
        result = run(self.store, supply.adjust, supply.Adjust("COAT", "WEB", quantity, "count"))
        if quantity == 0:
            # 0 units change nothing: refused (API.md "Conventions").
            assert result.outcome is Outcome.invalid
        else:
            assert result.ok or result.outcome is Outcome.would_go_negative

    @rule(quantity=st.integers(1, 30), days=st.integers(-3, 60))
    def add_receipt(self, quantity: int, days: int) -> None:
        rid = self._id("PO")
        result = run(self.store, supply.create_receipt, supply.CreateReceipt(
            rid, "COAT", "WEB", quantity, self._today() + timedelta(days=days)))
        if days < 0:
            # A receipt is never created in the past (it becomes late as days pass).
            assert result.outcome is Outcome.invalid
            return
        assert result.outcome is Outcome.created
        self.receipts.append(rid)

    @rule(data=st.data())
    def change_receipt(self, data: st.DataObject) -> None:
        if not self.receipts:
            return
        rid = data.draw(st.sampled_from(self.receipts))
        days = data.draw(st.none() | st.integers(-3, 90))
        quantity = data.draw(st.none() | st.integers(0, 40))
        run(self.store, supply.patch_receipt, supply.PatchReceipt(
            rid, None if days is None else self._today() + timedelta(days=days), quantity))

    @rule(data=st.data())
    def receive(self, data: st.DataObject) -> None:
        if not self.receipts:
            return
        rid = data.draw(st.sampled_from(self.receipts))
        quantity = data.draw(st.none() | st.integers(1, 30))
        result = run(self.store, supply.receive_receipt, supply.ReceiveReceipt(rid, quantity))
        assert result.ok or result.outcome in (Outcome.exceeds_open, Outcome.not_open)

    @rule(data=st.data())
    def cancel_receipt(self, data: st.DataObject) -> None:
        if self.receipts:
            run(self.store, supply.cancel_receipt,
                supply.CancelReceipt(data.draw(st.sampled_from(self.receipts))))

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), quantity=st.integers(1, 20),
          days=st.integers(-5, 40), policy=st.sampled_from([None, "allow", "deny", "reject"]),
          lines=st.integers(1, 2))
    def place_order(self, account: str, quantity: int, days: int, policy: str | None,
                    lines: int) -> None:
        oid = self._id("SO")
        cmd = orders.PlaceOrder(oid, account, [
            orders.LineIn(str(i + 1), "COAT", quantity, "WEB",
                          self._today() + timedelta(days=days), policy)
            for i in range(lines)
        ])
        result = run(self.store, orders.place_order, cmd)
        if result.ok:
            self.orders.append(oid)
        else:
            assert result.outcome is Outcome.rejected_not_available

    @rule(data=st.data())
    def cancel_order(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        oid = data.draw(st.sampled_from(self.orders))
        quantity = data.draw(st.none() | st.integers(0, 10))
        lines = None if quantity is None else [orders.LineQuantity("1", quantity)]
        run(self.store, orders.cancel_order, orders.CancelOrder(oid, lines))

    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        if not self.orders:
            return
        oid = data.draw(st.sampled_from(self.orders))
        quantity = data.draw(st.integers(1, 10))
        run(self.store, orders.ship_order, orders.ShipOrder(oid, [orders.LineQuantity("1", quantity)]))

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), quantity=st.integers(1, 25),
          days=st.integers(-2, 60), mode=st.sampled_from(["strict", "partial"]),
          expires=st.none() | st.integers(1, 30))
    def commit(self, account: str, quantity: int, days: int, mode: str, expires: int | None) -> None:
        today = self._today()
        cid = self._id("C")
        result = run(self.store, cm.create_commitment, cm.CreateCommitment(
            cid, account, "COAT", "WEB", quantity, today + timedelta(days=days),
            None if expires is None else today + timedelta(days=expires), "contract", mode))
        if result.ok:
            self.commitments.append(cid)
        else:
            assert result.outcome is Outcome.insufficient and mode == "strict"

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        if self.commitments:
            cid = data.draw(st.sampled_from(self.commitments))
            run(self.store, cm.release_commitment,
                cm.ReleaseCommitment(cid, data.draw(st.none() | st.integers(1, 10))))

    @rule(days=st.integers(0, 10))
    def advance_clock(self, days: int) -> None:
        result = run(self.store, cm.advance_clock, cm.AdvanceClock(self._today() + timedelta(days=days)))
        assert result.ok

    @invariant()
    def every_invariant_holds(self) -> None:
        if not hasattr(self, "store"):
            return
        _, findings = check_store(self.store)
        assert findings == [], [str(f) for f in findings]

    @invariant()
    def at_rest_no_waiting_unit_beside_a_free_unit(self) -> None:
        if not hasattr(self, "store"):
            return
        with self.store.unit_of_work(write=False) as uow:
            position = uow.position("COAT", "WEB")
            figures = availability(position)
            waiting = sum(d.waiting for d in position.demands.values())
            free = sum(position.free(k) for k in position.buckets)
        assert waiting == 0 or free == 0
        assert figures["available_now"] >= 0

    @invariant()
    def a_quote_from_the_stored_counters_equals_one_on_the_whole_position(self) -> None:
        if not hasattr(self, "store"):
            return
        with self.store.unit_of_work(write=False) as uow:
            whole = uow.position("COAT", "WEB")
            for account in sorted(ACCOUNTS):
                quoted = cm.quote_promise(uow, cm.QuotePromise("COAT", 9, "WEB", account))
                full = whole.clone()
                line = Demand(DemandKey.for_line("Q", "1"), account,
                              (ACCOUNTS[account], 2**62, 0), uow.today, 9)
                full.place_line(line, full.commitments_of(account), BackorderPolicy.allow)
                # No slip is ever recorded here: every likely_by is its date.
                assert quoted.value["promises"] == promises_out(full.promises(line), Confidence())

    @invariant()
    def queue_places_in_memory_equal_those_counted_in_the_database(self) -> None:
        if not hasattr(self, "store"):
            return
        with self.store.unit_of_work(write=False) as uow:
            position = uow.position("COAT", "WEB")
            for demand in position.queue():
                order = get_order(uow.tx, demand.key.ref, uow.today)
                assert order is not None
                line = next(ln for ln in order["lines"] if ln["line"] == demand.key.line)
                assert line["queue_position"] == position.queue_position(demand)


ServiceMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestServiceMachine = ServiceMachine.TestCase
