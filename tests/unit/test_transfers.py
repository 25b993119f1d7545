"""Transfers in the domain (DESIGN.md, "Network promising"): a transfer is
demand at its source, outside the queue and every customer's figures; its
receipt at the destination is sized and dated by :func:`destination_supply`.

Today is 2026-01-05; every figure is worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from earmark.domain.events import EVENT_TYPES, consequences, view
from earmark.domain.position import Demand, DemandKey, DemandKind, Promise
from earmark.domain.transfers import (
    Rebalance,
    destination_supply,
    rebalance,
    source_need_date,
    transfer_status,
)

from .position_builders import HELD, TODAY, line, pegs, place, position

JAN_10 = date(2026, 1, 10)


def transfer(tid: str, quantity: int, *, need: date = date.min, priority: int = 100,
             arrival: int = 9) -> Demand:
    return Demand(DemandKey.for_transfer(tid), "", (priority, arrival, 0), need, quantity)


def test_a_transfer_key_is_its_own_kind_of_demand() -> None:
    key = DemandKey.for_transfer("T-1")
    assert (key.kind, key.ref, key.line) == (DemandKind.transfer, "T-1", "")
    assert key != DemandKey.for_commitment("T-1")


def test_a_transfer_takes_free_units_but_joins_no_queue() -> None:
    p = position(10)
    out = transfer("T-1", 3)
    p.add_demand(out)
    assert pegs(out) == {HELD: 3}
    assert p.free(HELD) == 7
    assert p.queue() == []
    assert p.commitments_of("") == []
    # Waiting, it is still no one's backorder.
    waiting = transfer("T-2", 9, arrival=10)
    p.add_demand(waiting)
    assert (waiting.pegged, waiting.waiting) == (7, 2)
    assert p.queue() == []
    assert p.violations() == []


def test_a_transfer_ranked_last_loses_its_units_first_to_lost_supply() -> None:
    p = position(5)
    out = transfer("T-1", 3, priority=100, arrival=1)
    p.add_demand(out)
    customer = place(p, line("O-1", 2, priority=10, arrival=2))
    # Rule 4: 2 units damaged; reverse rank order takes them from the transfer
    # although it arrived first, because its priority number is larger.
    p.adjust(-2)
    assert (pegs(customer), pegs(out)) == ({HELD: 2}, {HELD: 1})
    assert p.promises(out) == [Promise(1, TODAY, True), Promise(2, None, False)]


def test_the_need_date_at_the_source_is_need_date_less_transit_and_today_without_one() -> None:
    assert source_need_date(date(2026, 1, 12), 2) == JAN_10
    p = position(0)
    p.add_receipt("PO-1", JAN_10, 5, seq=1)
    without = transfer("T-1", 1, need=source_need_date(None, 2))
    assert p.need(without) == TODAY


def test_the_destination_receipt_holds_pegged_units_dated_latest_promise_plus_transit() -> None:
    p = position(2)
    p.add_receipt("PO-1", JAN_10, 5, seq=1)
    out = transfer("T-1", 4, need=date(2026, 1, 8))
    p.add_demand(out)
    # Rule 1 from 01-08 backward: on-hand 2 (today); then forward: PO-1 2 on 01-10.
    assert pegs(out) == {HELD: 2, "PO-1": 2}
    supply = destination_supply(p, out, 0, None, transit_days=3)
    assert (supply.open, supply.expected_date) == (4, date(2026, 1, 13))


def test_units_in_transit_count_and_arrive_ship_day_plus_transit() -> None:
    p = position(0)
    out = transfer("T-1", 3)
    p.add_demand(out)  # nothing to peg: all 3 wait
    supply = destination_supply(p, out, 2, TODAY, transit_days=3)
    assert (supply.open, supply.expected_date) == (2, date(2026, 1, 8))
    # With units pegged later than the shipment, the latest date is the receipt's.
    p.add_receipt("PO-1", JAN_10, 3, seq=1)
    assert destination_supply(p, out, 2, TODAY, 3).expected_date == date(2026, 1, 13)
    gone = destination_supply(None, None, 0, TODAY, 3)
    assert (gone.open, gone.expected_date) == (0, None)


@pytest.mark.parametrize(("quantity", "shipped", "received", "cancelled", "status"), [
    (3, 0, 0, 0, "open"),
    (3, 1, 0, 0, "in_transit"),
    (3, 1, 1, 0, "open"),
    (3, 3, 3, 0, "received"),
    (3, 1, 0, 2, "in_transit"),
    (3, 1, 1, 2, "received"),
    (3, 0, 0, 3, "cancelled"),
])
def test_a_transfers_status_follows_its_counters(quantity: int, shipped: int, received: int,
                                                 cancelled: int, status: str) -> None:
    assert transfer_status(quantity, shipped, received, cancelled) == status


def test_consequences_tell_a_transfer_nothing() -> None:
    p = position(3)
    out = transfer("T-1", 3)
    p.add_demand(out)
    before = view(p)
    p.adjust(-3)
    assert out.pegged == 0
    assert consequences(p, before, view(p), set()) == []


def test_transfer_events_are_known_event_types() -> None:
    assert {"transfer.created", "transfer.shipped", "transfer.received",
            "transfer.cancelled"} <= set(EVENT_TYPES)


def test_rebalance_counts_only_units_it_would_make_earlier() -> None:
    p = position(0, lead_time_days=7)
    p.add_receipt("PO-1", date(2026, 1, 6), 3, seq=1)
    soon = place(p, line("O-1", 3, arrival=1))
    later = place(p, line("O-2", 4, arrival=2))
    # O-1 has PO-1 on 01-06; O-2 waits, estimated 01-12. Four units on 01-07 go
    # to O-2 (rule 3 serves waiting units first), 5 days earlier each.
    assert rebalance(p, date(2026, 1, 7), 4) == Rebalance(4, 5, ("O-2",))
    # Trying changes nothing.
    assert (pegs(soon), pegs(later), list(p.buckets)) == ({"PO-1": 3}, {}, [HELD, "PO-1"])
    # Arriving after the estimate, it makes no unit earlier.
    assert rebalance(p, date(2026, 1, 13), 4) is None


def test_rebalance_moves_the_latest_pegged_units_and_counts_undated_ones_as_gaining() -> None:
    p = position(0)
    p.add_receipt("PO-LATE", date(2026, 1, 20), 2, seq=1)
    first = place(p, line("O-1", 3, arrival=1))  # 2 on 01-20, 1 waiting undated
    place(p, line("O-2", 1, arrival=2))  # waiting undated
    assert p.promises(first) == [Promise(2, date(2026, 1, 20), True, "PO-LATE"),
                                 Promise(1, None, False)]
    # Two units on 01-07: O-1's waiting unit (undated), then O-2's; none left
    # to move O-1's units of 01-20.
    assert rebalance(p, date(2026, 1, 7), 2) == Rebalance(2, None, ("O-1", "O-2"))
    # Five: both waiting units, then O-1's two of 01-20 move 13 days earlier.
    assert rebalance(p, date(2026, 1, 7), 5) == Rebalance(4, None, ("O-1", "O-2"))
    p.adjust(2)  # the waiting units are held now: only the units of 01-20 can gain
    assert rebalance(p, date(2026, 1, 7), 5) == Rebalance(2, 13, ("O-1",))


def test_a_transfer_pegs_no_transfer_receipt_created_after_its_own() -> None:
    p = position(0)
    p.add_receipt("T-LATER", date(2026, 1, 7), 4, seq=8, transfer=True)
    p.add_receipt("T-EARLIER", date(2026, 1, 9), 1, seq=2, transfer=True)
    out = Demand(DemandKey.for_transfer("T-1"), "", (100, 1, 0), date.min, 3, supplies_seq=5)
    p.add_demand(out)
    p.settle()
    # T-LATER's units are free but may not supply T-1 (its receipt came after
    # T-1's): T-1 takes T-EARLIER's one unit and the rest waits, at rest.
    assert pegs(out) == {"T-EARLIER": 1}
    assert p.violations() == []
    # A line takes them, and a purchase receipt may serve the transfer.
    customer = place(p, line("O-1", 4))
    assert pegs(customer) == {"T-LATER": 4}
    p.add_receipt("PO-1", date(2026, 1, 20), 5, seq=9)
    assert pegs(out) == {"T-EARLIER": 1, "PO-1": 2}
