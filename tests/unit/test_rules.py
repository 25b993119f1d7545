"""Rules 1-9 of DESIGN.md ("Promising semantics"), one scenario at a time.

Today is 2026-01-05 throughout. Every expected peg and date is worked out
by hand from DESIGN.md's text; the comments show the working.
"""

from __future__ import annotations

from datetime import date

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.position import Promise, StrictCheck

from .position_builders import HELD, TODAY, commitment, line, pegs, place, position

FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)
APR = date(2026, 4, 1)
MAY = date(2026, 5, 1)


# ----------------------------------------------------------------------
# Buckets: dates, order, safety stock


def test_bucket_order_on_shared_date_puts_on_hand_first_then_receipts_by_creation() -> None:
    p = position(3)
    # Both receipts are overdue, so both are dated today, like the on-hand
    # bucket. Creation order (seq) decides, not the key, not the expected
    # date and not the order they were loaded in.
    p.add_receipt("R-2", date(2025, 12, 1), 4, seq=2)
    p.add_receipt("R-1", date(2026, 1, 1), 4, seq=1)

    assert [b.key for b in p.ordered_buckets()] == [HELD, "R-1", "R-2"]

    need_today = place(p, line("O-1", 9))
    # On-hand 3, then R-1's 4, then 2 of R-2.
    assert pegs(need_today) == {HELD: 3, "R-1": 4, "R-2": 2}


def test_receipt_with_past_expected_date_is_dated_today() -> None:
    p = position(0)
    p.add_receipt("R-LATE", date(2025, 12, 20), 4, seq=1)

    assert p.bucket_date(p.buckets["R-LATE"]) == TODAY
    overdue = place(p, line("O-1", 4))
    assert p.promises(overdue) == [Promise(4, TODAY, True, "R-LATE")]
    assert p.promised_date(overdue) == TODAY


def test_past_need_date_counts_as_today() -> None:
    p = position(5)
    late = place(p, line("O-1", 5, need=date(2025, 12, 1)))

    # Held from today's bucket; promised max(today, today) and not short,
    # although the bucket's date is after the literal need date.
    assert pegs(late) == {HELD: 5}
    assert p.promised_date(late) == TODAY
    assert p.shortfall(late) == 0
    assert p.check_strict(0, date(2025, 12, 1)) == StrictCheck(True, 0, TODAY)


def test_strict_check_with_past_need_date_is_met_by_todays_stock() -> None:
    p = position(5)
    assert p.check_strict(5, date(2025, 12, 1)) == StrictCheck(True, 0, TODAY)


def test_past_need_dates_tie_at_today_so_rank_decides_consumption_order() -> None:
    p = position(10)
    newer_need = commitment("C-DEC20", 5, need=date(2025, 12, 20), arrival=1)
    older_need = commitment("C-DEC01", 5, need=date(2025, 12, 1), arrival=2)
    p.add_demand(newer_need)
    p.add_demand(older_need)

    # Both need dates count as today, so neither is earlier: the one that
    # arrived first is consumed first.
    result = p.place_line(line("O-1", 5, arrival=3), [older_need, newer_need], BackorderPolicy.allow)
    assert [(c.key.ref, n) for c, n in result.consumed] == [("C-DEC20", 5)]
    assert older_need.quantity == 5


def test_safety_stock_is_kept_from_new_pegs() -> None:
    p = position(10, safety_stock=3)
    # On-hand holds 10 but offers 10 - 3 - 0 held = 7 to new pegs.
    assert p.free(HELD) == 7

    wants_ten = place(p, line("O-1", 10))
    assert pegs(wants_ten) == {HELD: 7}
    assert wants_ten.waiting == 3
    assert p.safety_stock_short == 0


def test_safety_stock_above_on_hand_offers_nothing() -> None:
    p = position(2, safety_stock=5)
    assert p.free(HELD) == 0

    waits = place(p, line("O-1", 1))
    assert pegs(waits) == {}
    assert waits.waiting == 1
    # Nothing is held, so the buffer lacks 5 - 2 = 3 units.
    assert p.safety_stock_short == 3


# Safety stock is a buffer, not a customer (DESIGN.md): the on-hand bucket
# offers on-hand - safety stock - held to new pegs but holds up to on-hand.


def test_raising_safety_stock_takes_no_held_unit_back() -> None:
    p = position(10)
    first = place(p, line("O-1", 4, arrival=1))
    second = place(p, line("O-2", 6, arrival=2))

    p.set_safety_stock(5)
    # Nothing is taken back for the buffer; it is short by 10 held + 5 - 10 = 5.
    assert pegs(first) == {HELD: 4}
    assert pegs(second) == {HELD: 6}
    assert p.safety_stock_short == 5
    assert p.free(HELD) == 0

    # A new line cannot take the buffer either.
    third = place(p, line("O-3", 1, arrival=3))
    assert third.waiting == 1


def test_lost_supply_eats_safety_stock_before_promises() -> None:
    p = position(10, safety_stock=4)
    first = place(p, line("O-1", 3, arrival=1))
    second = place(p, line("O-2", 3, arrival=2))
    # Held 6 of on-hand 10; the buffer of 4 is whole.
    assert p.safety_stock_short == 0

    # 3 units are damaged: on-hand 7 still holds the 6 held units, so no
    # promise breaks; the buffer lacks 6 + 4 - 7 = 3.
    assert p.adjust(-3)
    assert pegs(first) == {HELD: 3}
    assert pegs(second) == {HELD: 3}
    assert p.safety_stock_short == 3

    # 2 more are lost: on-hand 5 < 6 held, so rule 4 takes back 1 unit,
    # from the latest arrival, and only what on-hand itself lacks.
    assert p.adjust(-2)
    assert pegs(first) == {HELD: 3}
    assert pegs(second) == {HELD: 2}
    assert second.waiting == 1
    assert p.safety_stock_short == 4


def test_received_units_held_in_full_despite_safety_stock() -> None:
    p = position(0, safety_stock=5)
    p.add_receipt("R-FEB", FEB, 4, seq=1)
    early = place(p, line("O-1", 4, need=FEB))
    assert pegs(early) == {"R-FEB": 4}

    # 4 arrive while on-hand is below the safety stock: all 4 become held
    # (rule 5), leaving on-hand 4 below safety stock 5 + held 4.
    p.receive("R-FEB", 4)
    p.close_receipt("R-FEB")
    assert pegs(early) == {HELD: 4}
    assert p.on_hand == 4
    assert p.safety_stock_short == 5
    assert p.free(HELD) == 0


def test_a_short_buffer_offers_nothing_until_it_is_whole_again() -> None:
    p = position(6, safety_stock=4)
    held = place(p, line("O-1", 2, arrival=1))
    p.set_safety_stock(6)
    # Held 2, on-hand 6, safety stock 6: the buffer lacks 2.
    assert p.safety_stock_short == 2
    waits = place(p, line("O-2", 3, arrival=2))
    assert waits.waiting == 3

    # 4 units come back: on-hand 10 = 6 buffer + 2 held + 2 offered.
    assert p.adjust(4)
    assert p.safety_stock_short == 0
    assert pegs(held) == {HELD: 2}
    assert pegs(waits) == {HELD: 2}
    assert waits.waiting == 1
    assert p.violations() == []


# ----------------------------------------------------------------------
# Rule 1: pegging


def test_rule1_pegs_backward_from_need_date_then_forward() -> None:
    p = position(10)
    p.add_receipt("R-FEB", FEB, 10, seq=1)
    p.add_receipt("R-MAR", MAR, 10, seq=2)
    p.add_receipt("R-MAY", MAY, 10, seq=3)

    mid_march = date(2026, 3, 15)
    first = commitment("C-1", 15, need=mid_march, arrival=1)
    p.add_demand(first)
    # Backward from March 15: March (10) is the latest on or before it,
    # then February (5 of 10).
    assert pegs(first) == {"R-MAR": 10, "R-FEB": 5}

    second = commitment("C-2", 20, need=mid_march, arrival=2)
    p.add_demand(second)
    # Backward: March is full, February's last 5, today's 10; then forward
    # (after March 15): May's 5.
    assert pegs(second) == {"R-FEB": 5, HELD: 10, "R-MAY": 5}


def test_rule1_pegs_forward_in_bucket_order_when_needed_today() -> None:
    p = position(10)
    p.add_receipt("R-MAR", MAR, 10, seq=1)
    p.add_receipt("R-FEB", FEB, 10, seq=2)

    needed_now = place(p, line("O-1", 25))
    # Backward from today: only today's stock; then forward by date.
    assert pegs(needed_now) == {HELD: 10, "R-FEB": 10, "R-MAR": 5}


def test_rule1_commitment_needed_in_april_takes_march_receipt_before_on_hand() -> None:
    p = position(5000)
    p.add_receipt("R-MAR", MAR, 6000, seq=1)

    contract = commitment("C-APR", 6000, need=APR)
    p.add_demand(contract)
    assert pegs(contract) == {"R-MAR": 6000}
    assert p.free(HELD) == 5000

    # Today's stock stayed free for today's orders.
    todays_order = place(p, line("O-1", 5000, account="WALKIN", arrival=2))
    assert pegs(todays_order) == {HELD: 5000}
    assert p.promised_date(todays_order) == TODAY


def test_rule1_promised_date_of_a_pegged_unit_is_the_later_of_bucket_and_need_date() -> None:
    p = position(4)
    p.add_receipt("R-FEB", FEB, 4, seq=1)
    later = place(p, line("O-1", 8, need=date(2026, 1, 20)))

    # Held units are promised on the need date (January 20), February's
    # units on February 1.
    assert p.promises(later) == [
        Promise(4, date(2026, 1, 20), True, None),
        Promise(4, FEB, True, "R-FEB"),
    ]


# ----------------------------------------------------------------------
# Rule 2: arrival


def test_rule2_new_demand_never_takes_pegged_units() -> None:
    p = position(10)
    ordinary = place(p, line("O-LOW", 10, account="SMALL", priority=20, arrival=1))
    key_account = place(p, line("O-KEY", 4, account="BIG", priority=0, arrival=2))

    assert pegs(ordinary) == {HELD: 10}
    assert pegs(key_account) == {}
    assert key_account.waiting == 4


def test_rule2_units_that_cannot_be_pegged_wait() -> None:
    p = position(3)
    p.add_receipt("R-FEB", FEB, 2, seq=1)

    big = place(p, line("O-1", 8))
    assert pegs(big) == {HELD: 3, "R-FEB": 2}
    assert big.waiting == 3


# ----------------------------------------------------------------------
# Rule 3: freed supply


def test_rule3_freed_supply_goes_to_waiting_units_in_rank_order() -> None:
    p = position(0)
    first = place(p, line("O-1", 4, arrival=1))
    second = place(p, line("O-2", 4, arrival=2))
    third = place(p, line("O-3", 4, arrival=3))

    assert p.adjust(6)
    assert pegs(first) == {HELD: 4}
    assert pegs(second) == {HELD: 2}
    assert second.waiting == 2
    assert pegs(third) == {}
    assert third.waiting == 4


def test_rule3_key_account_served_first() -> None:
    p = position(0)
    regular = place(p, line("O-REG", 4, account="SMALL", priority=10, arrival=1))
    key_account = place(p, line("O-KEY", 4, account="BIG", priority=0, arrival=2))

    p.add_receipt("R-FEB", FEB, 4, seq=1)
    assert pegs(key_account) == {"R-FEB": 4}
    assert pegs(regular) == {}
    assert regular.waiting == 4


def test_rule3_moves_pegged_units_earlier_when_free_supply_allows() -> None:
    p = position(0)
    p.add_receipt("R-MAR", MAR, 10, seq=1)
    eager = place(p, line("O-1", 6))
    assert pegs(eager) == {"R-MAR": 6}

    # A new February receipt: its 4 units would make 4 March units earlier.
    p.add_receipt("R-FEB", FEB, 4, seq=2)
    assert pegs(eager) == {"R-MAR": 2, "R-FEB": 4}
    assert p.promised_date(eager) == MAR

    # 5 units found in stock: the latest-promised units move first (March's
    # 2), then 3 of February's.
    assert p.adjust(5)
    assert pegs(eager) == {HELD: 5, "R-FEB": 1}
    assert p.promised_date(eager) == FEB


def test_rule3_waiting_units_are_served_before_pegged_units_move_earlier() -> None:
    p = position(0)
    p.add_receipt("R-MAR", MAR, 5, seq=1)
    pegged = place(p, line("O-1", 5, arrival=1))
    waiting = place(p, line("O-2", 3, arrival=2))

    assert p.adjust(3)
    # The waiting line gets today's units, although O-1 ranks first.
    assert pegs(waiting) == {HELD: 3}
    assert pegs(pegged) == {"R-MAR": 5}


def test_rule3_free_unit_that_would_not_make_a_peg_earlier_leaves_it() -> None:
    p = position(0)
    p.add_receipt("R-MAR", MAR, 5, seq=1)
    april = commitment("C-APR", 5, need=APR)
    p.add_demand(april)

    assert p.adjust(5)
    # March and today both promise April 1: no move.
    assert pegs(april) == {"R-MAR": 5}
    assert p.free(HELD) == 5


def test_rule3_receipt_moved_earlier_lets_other_demand_use_its_free_units() -> None:
    p = position(0)
    p.add_receipt("R-APR", APR, 10, seq=1)
    p.add_receipt("R-MAR", MAR, 4, seq=2)
    first = place(p, line("O-1", 4, arrival=1))
    second = place(p, line("O-2", 4, arrival=2))
    assert pegs(first) == {"R-MAR": 4}
    assert pegs(second) == {"R-APR": 4}

    p.change_receipt("R-APR", expected_date=FEB)
    # O-2's pegs follow the receipt to February; its 6 free units then
    # make O-1's March units earlier.
    assert pegs(second) == {"R-APR": 4}
    assert pegs(first) == {"R-APR": 4}
    assert p.free("R-MAR") == 4


def test_rule3_larger_receipt_serves_waiting_units() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 2, seq=1)
    first = place(p, line("O-1", 3, arrival=1))
    second = place(p, line("O-2", 3, arrival=2))
    assert pegs(first) == {"R-FEB": 2}

    p.change_receipt("R-FEB", open_quantity=5)
    assert pegs(first) == {"R-FEB": 3}
    assert pegs(second) == {"R-FEB": 2}
    assert second.waiting == 1


# ----------------------------------------------------------------------
# Rule 4: lost supply


def test_rule4_lost_supply_unpegs_in_reverse_rank_order() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 10, seq=1)
    # Ranks: (priority, arrival). SMALL's line arrived first but has the
    # lowest priority, so it ranks last.
    early_low = place(p, line("O-3", 3, account="SMALL", priority=20, arrival=1))
    first = place(p, line("O-1", 4, priority=10, arrival=2))
    second = place(p, line("O-2", 3, priority=10, arrival=3))

    p.change_receipt("R-FEB", open_quantity=5)
    # 5 units lost: O-3 gives up 3, then O-2 gives up 2.
    assert pegs(first) == {"R-FEB": 4}
    assert pegs(second) == {"R-FEB": 1}
    assert pegs(early_low) == {}
    assert second.waiting == 2
    assert early_low.waiting == 3


def test_rule4_unpegged_units_are_then_served_in_rank_order() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 10, seq=1)
    p.add_receipt("R-MAR", MAR, 4, seq=2)
    early_low = place(p, line("O-3", 3, account="SMALL", priority=20, arrival=1))
    first = place(p, line("O-1", 4, priority=10, arrival=2))
    second = place(p, line("O-2", 3, priority=10, arrival=3))

    p.change_receipt("R-FEB", open_quantity=5)
    # O-3 (3) and O-2 (2) lose their February units; March's 4 free units
    # go to O-2 first (it ranks before O-3), then 2 to O-3.
    assert pegs(first) == {"R-FEB": 4}
    assert pegs(second) == {"R-FEB": 1, "R-MAR": 2}
    assert pegs(early_low) == {"R-MAR": 2}
    assert early_low.waiting == 1


def test_rule4_moved_receipt_keeps_its_pegs() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    p.add_receipt("R-MAR", MAR, 6, seq=2)
    urgent = place(p, line("O-1", 3, arrival=1))
    contract = commitment("C-APR", 6, need=APR, arrival=2)
    p.add_demand(contract)
    assert pegs(contract) == {"R-MAR": 6}

    p.change_receipt("R-MAR", expected_date=MAY)
    assert pegs(contract) == {"R-MAR": 6}
    assert p.promised_date(contract) == MAY
    assert p.shortfall(contract) == 6
    assert pegs(urgent) == {"R-FEB": 3}


def test_rule4_moved_receipt_pegs_follow_then_move_earlier_to_free_units() -> None:
    p = position(0)
    p.add_receipt("R-MAR", MAR, 6, seq=1)
    p.add_receipt("R-FEB", FEB, 2, seq=2)
    contract = commitment("C-APR", 6, need=APR)
    p.add_demand(contract)
    # Backward from April: March has all 6.
    assert pegs(contract) == {"R-MAR": 6}

    p.change_receipt("R-MAR", expected_date=MAY)
    # 2 free February units make 2 of them on time again.
    assert pegs(contract) == {"R-MAR": 4, "R-FEB": 2}
    assert p.shortfall(contract) == 4


def test_rule4_negative_adjustment_unpegs_held_units_in_reverse_rank_order() -> None:
    p = position(10)
    first = place(p, line("O-1", 4, arrival=1))
    second = place(p, line("O-2", 6, arrival=2))

    assert p.adjust(-7)
    assert p.on_hand == 3
    assert pegs(first) == {HELD: 3}
    assert pegs(second) == {}
    assert second.waiting == 6


def test_adjustment_below_zero_changes_nothing() -> None:
    p = position(3)
    holder = place(p, line("O-1", 3))

    assert not p.adjust(-4)
    assert p.on_hand == 3
    assert pegs(holder) == {HELD: 3}


def test_rule4_closing_a_partly_received_receipt_unpegs_the_rest() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 10, seq=1)
    first = place(p, line("O-1", 6, arrival=1))
    second = place(p, line("O-2", 4, arrival=2))

    p.receive("R-FEB", 5)
    assert pegs(first) == {HELD: 5, "R-FEB": 1}
    assert pegs(second) == {"R-FEB": 4}

    p.close_receipt("R-FEB")
    assert "R-FEB" not in p.buckets
    assert pegs(first) == {HELD: 5}
    assert first.waiting == 1
    assert pegs(second) == {}
    assert second.waiting == 4


# ----------------------------------------------------------------------
# Rule 5: receiving


def test_rule5_received_units_become_held_in_rank_order() -> None:
    p = position(0)
    p.add_receipt("R-FEB", FEB, 10, seq=1)
    first = place(p, line("O-1", 4, arrival=1))
    second = place(p, line("O-2", 6, arrival=2))

    p.receive("R-FEB", 5)
    assert p.on_hand == 5
    assert pegs(first) == {HELD: 4}
    assert pegs(second) == {HELD: 1, "R-FEB": 5}
    # The open remainder stays a receipt.
    assert p.buckets["R-FEB"].size == 5

    p.receive("R-FEB", 5)
    assert pegs(second) == {HELD: 6}
    assert p.buckets["R-FEB"].size == 0


def test_rule5_units_beyond_pegs_are_freed_supply() -> None:
    p = position(0)
    p.add_receipt("R-MAR", MAR, 10, seq=1)
    p.add_receipt("R-APR", APR, 5, seq=2)
    eager = place(p, line("O-1", 10))
    assert pegs(eager) == {"R-MAR": 10}

    # April's 5 units arrive early and are pegged to nothing: they are
    # free stock today and move 5 of O-1's March units to today.
    p.receive("R-APR", 5)
    assert p.on_hand == 5
    assert pegs(eager) == {HELD: 5, "R-MAR": 5}


# ----------------------------------------------------------------------
# Rule 6: commitments


def test_rule6_strict_commitment_reports_shortfall_and_earliest_date() -> None:
    p = position(10)
    p.add_receipt("R-FEB", FEB, 20, seq=1)
    p.add_receipt("R-MAY", MAY, 30, seq=2)

    # 50 needed March 1: backward February 20 + today 10 = 30 on time;
    # forward May 20 more. Short 20; all 50 could be met May 1.
    assert p.check_strict(50, MAR) == StrictCheck(False, 20, MAY)
    # 25 fit by March 1.
    assert p.check_strict(25, MAR) == StrictCheck(True, 0, MAR)
    # 70 exceed all 60 free units: no date can be given.
    assert p.check_strict(70, MAR) == StrictCheck(False, 40, None)
    # Checking changes nothing.
    assert (p.free(HELD), p.free("R-FEB"), p.free("R-MAY")) == (10, 20, 30)
    assert p.demands == {}


def test_rule6_strict_check_counts_free_units_only() -> None:
    p = position(10)
    p.add_receipt("R-FEB", FEB, 20, seq=1)
    p.add_receipt("R-MAY", MAY, 30, seq=2)
    place(p, line("O-1", 10))

    # Today's 10 are held by O-1: 20 on time from February, 5 from May.
    assert p.check_strict(25, MAR) == StrictCheck(False, 5, MAY)


def test_rule6_confirmed_strict_commitment_pegs_as_checked() -> None:
    p = position(10)
    p.add_receipt("R-FEB", FEB, 20, seq=1)
    assert p.check_strict(25, MAR).confirmable

    contract = commitment("C-1", 25, need=MAR)
    p.add_demand(contract)
    assert pegs(contract) == {"R-FEB": 20, HELD: 5}
    assert p.shortfall(contract) == 0
    assert p.earliest_full_date(contract) == MAR


def test_rule6_partial_commitment_behaves_like_order_line() -> None:
    as_commitment = position(4)
    as_commitment.add_receipt("R-FEB", FEB, 3, seq=1)
    partial = commitment("C-1", 10, need=TODAY)
    as_commitment.add_demand(partial)

    as_line = position(4)
    as_line.add_receipt("R-FEB", FEB, 3, seq=1)
    order_line = place(as_line, line("O-1", 10))

    assert pegs(partial) == pegs(order_line) == {HELD: 4, "R-FEB": 3}
    assert partial.waiting == order_line.waiting == 3

    # Like a line, its waiting units are served when supply is freed.
    assert as_commitment.adjust(3)
    assert pegs(partial) == {HELD: 7, "R-FEB": 3}


def test_rule6_releasing_a_commitment_frees_its_units_for_the_queue() -> None:
    p = position(10)
    contract = commitment("C-1", 10, need=TODAY, arrival=1)
    p.add_demand(contract)
    waiting = place(p, line("O-1", 4, account="OTHER", arrival=2))
    assert waiting.waiting == 4

    p.cancel(contract, 10)  # expiry releases what remains
    assert contract.quantity == 0
    assert pegs(waiting) == {HELD: 4}
    assert p.free(HELD) == 6


# ----------------------------------------------------------------------
# Rule 7: consumption


def test_rule7_order_consumes_own_accounts_commitment_earliest_need_first() -> None:
    p = position(10)
    may = commitment("C-MAY", 5, need=MAY, arrival=1)
    march = commitment("C-MAR", 5, need=MAR, arrival=2)
    p.add_demand(may)
    p.add_demand(march)

    order_line = line("O-1", 7, arrival=3)
    result = p.place_line(order_line, [may, march], BackorderPolicy.allow)

    # March's need date is earlier, although May's commitment arrived first.
    assert [(c.key.ref, n) for c, n in result.consumed] == [("C-MAR", 5), ("C-MAY", 2)]
    assert march.quantity == 0
    assert may.quantity == 3
    assert pegs(may) == {HELD: 3}
    # Held units of the commitments became the line's allocated units.
    assert pegs(order_line) == {HELD: 7}
    assert result.cancelled == 0


def test_rule7_takes_commitment_units_in_bucket_order_waiting_units_last() -> None:
    p = position(2)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    p.add_receipt("R-MAR", MAR, 4, seq=2)
    contract = commitment("C-APR", 12, need=APR, arrival=1)
    p.add_demand(contract)
    # Backward from April: March 4, February 3, today 2; 3 wait.
    assert pegs(contract) == {"R-MAR": 4, "R-FEB": 3, HELD: 2}
    assert contract.waiting == 3

    small = line("O-1", 5, arrival=2)
    p.place_line(small, [contract], BackorderPolicy.allow)
    # Bucket order: today's 2, then February's 3.
    assert pegs(small) == {HELD: 2, "R-FEB": 3}
    assert pegs(contract) == {"R-MAR": 4}
    assert contract.waiting == 3

    bigger = line("O-2", 6, arrival=3)
    p.place_line(bigger, [contract], BackorderPolicy.allow)
    # March's 4, then 2 of the waiting units (which stay waiting).
    assert pegs(bigger) == {"R-MAR": 4}
    assert bigger.waiting == 2
    assert contract.quantity == 1
    assert contract.waiting == 1


def test_rule7_taken_over_units_move_earlier_by_rule3() -> None:
    p = position(5)
    p.add_receipt("R-MAR", MAR, 6, seq=1)
    contract = commitment("C-APR", 6, need=APR, arrival=1)
    p.add_demand(contract)
    assert pegs(contract) == {"R-MAR": 6}

    order_line = line("O-1", 4, arrival=2)
    p.place_line(order_line, [contract], BackorderPolicy.allow)
    # It takes 4 March units; needed today, free stock makes them earlier.
    assert pegs(order_line) == {HELD: 4}
    assert pegs(contract) == {"R-MAR": 2}
    assert contract.quantity == 2


def test_rule7_rest_of_line_arrives_by_rule2() -> None:
    p = position(5)
    contract = commitment("C-1", 3, need=TODAY, arrival=1)
    p.add_demand(contract)

    order_line = line("O-1", 6, arrival=2)
    result = p.place_line(order_line, [contract], BackorderPolicy.allow)
    # 3 taken over, 2 free units, 1 waits.
    assert [(c.key.ref, n) for c, n in result.consumed] == [("C-1", 3)]
    assert pegs(order_line) == {HELD: 5}
    assert order_line.waiting == 1


def test_rule7_deny_line_takes_over_only_held_units() -> None:
    p = position(3)
    p.add_receipt("R-FEB", FEB, 4, seq=1)
    contract = commitment("C-FEB", 7, need=FEB, arrival=1)
    p.add_demand(contract)
    assert pegs(contract) == {"R-FEB": 4, HELD: 3}
    assert p.adjust(2)  # 2 free units today

    deny = line("O-1", 10, arrival=2)
    result = p.place_line(deny, [contract], BackorderPolicy.deny)
    # 3 held units taken over, 2 free ones added, the other 5 cancelled.
    assert [(c.key.ref, n) for c, n in result.consumed] == [("C-FEB", 3)]
    assert result.cancelled == 5
    assert deny.quantity == 5
    assert pegs(deny) == {HELD: 5}
    assert contract.quantity == 4
    assert pegs(contract) == {"R-FEB": 4}


# ----------------------------------------------------------------------
# Rule 8: backorder policy


def test_rule8_deny_takes_free_on_hand_and_cancels_rest() -> None:
    p = position(10)
    p.add_receipt("R-FEB", FEB, 20, seq=1)
    place(p, line("O-OTHER", 4, account="OTHER", arrival=1))

    deny = line("O-1", 10, arrival=2)
    result = p.place_line(deny, [], BackorderPolicy.deny)
    assert result.cancelled == 4
    assert deny.quantity == 6
    assert pegs(deny) == {HELD: 6}
    # February's units were not touched.
    assert p.free("R-FEB") == 20


def test_rule8_reject_counts_held_units_of_own_commitments() -> None:
    p = position(8)
    contract = commitment("C-1", 3, need=TODAY, arrival=1)
    p.add_demand(contract)
    place(p, line("O-OTHER", 3, account="OTHER", arrival=2))
    # Free today: 8 - 3 - 3 = 2; the account's commitment holds 3.

    too_big = p.clone()
    refused = line("O-BIG", 6, arrival=3)
    assert too_big.place_line(refused, [too_big.demands[contract.key]], BackorderPolicy.reject).cancelled == 1

    fits = line("O-FITS", 5, arrival=3)
    result = p.place_line(fits, [contract], BackorderPolicy.reject)
    assert result.cancelled == 0
    assert pegs(fits) == {HELD: 5}
    assert contract.quantity == 0


# ----------------------------------------------------------------------
# Rule 9: shipping and cancelling


def test_rule9_ship_takes_held_units_only() -> None:
    p = position(3)
    p.add_receipt("R-FEB", FEB, 5, seq=1)
    order_line = place(p, line("O-1", 8))
    assert pegs(order_line) == {HELD: 3, "R-FEB": 5}

    assert not p.ship(order_line, 4)
    assert p.on_hand == 3
    assert order_line.quantity == 8

    assert p.ship(order_line, 3)
    assert p.on_hand == 0
    assert order_line.quantity == 5
    assert pegs(order_line) == {"R-FEB": 5}


def test_rule9_cancel_gives_up_waiting_units_first_then_pegs_in_reverse_bucket_order() -> None:
    p = position(5)
    p.add_receipt("R-FEB", FEB, 5, seq=1)
    p.add_receipt("R-MAR", MAR, 5, seq=2)
    big = place(p, line("O-1", 20, arrival=1))
    later = place(p, line("O-2", 4, arrival=2))
    assert pegs(big) == {HELD: 5, "R-FEB": 5, "R-MAR": 5}
    assert big.waiting == 5

    p.cancel(big, 12)
    # 5 waiting units, then March's 5, then 2 of February's.
    assert big.quantity == 8
    assert pegs(big) == {HELD: 5, "R-FEB": 3}
    # What it gave up is freed supply: O-2 pegs February 2, March 2.
    assert pegs(later) == {"R-FEB": 2, "R-MAR": 2}


def test_rule9_cancelling_a_consuming_line_gives_its_units_back_to_the_commitment_with_their_pegs(
) -> None:
    p = position(10)
    contract = commitment("C-1", 5, need=TODAY)
    p.add_demand(contract)
    order_line = place(p, line("O-1", 3, arrival=2), commitments=[contract])
    assert (contract.quantity, pegs(order_line)) == (2, {HELD: 3})

    returned = p.cancel(order_line, 3, [(contract, 3)])
    assert returned == [(contract, 3)]
    assert order_line.quantity == 0
    # The commitment has its 5 held units again; nothing was freed.
    assert (contract.quantity, pegs(contract)) == (5, {HELD: 5})
    assert p.free(HELD) == 5


def test_rule9_waiting_units_go_back_to_the_commitment_waiting() -> None:
    p = position(0)
    contract = commitment("C-1", 4, need=FEB)
    p.add_demand(contract)
    order_line = place(p, line("O-1", 3, arrival=2), commitments=[contract])
    assert (contract.quantity, order_line.waiting) == (1, 3)

    p.cancel(order_line, 2, [(contract, 3)])
    assert (contract.quantity, contract.waiting) == (3, 3)
    assert order_line.quantity == 1


def test_rule9_only_what_the_line_consumed_goes_back_the_rest_is_freed() -> None:
    p = position(10)
    contract = commitment("C-1", 2, need=TODAY)
    p.add_demand(contract)
    order_line = place(p, line("O-1", 5, arrival=2), commitments=[contract])
    assert (contract.quantity, pegs(order_line)) == (0, {HELD: 5})

    p.cancel(order_line, 4, [(contract, 2)])
    # 4 held units given up: 2 go back to the commitment, 2 are freed.
    assert (contract.quantity, pegs(contract)) == (2, {HELD: 2})
    assert pegs(order_line) == {HELD: 1}
    assert p.free(HELD) == 7


def test_rule9_units_go_back_to_the_latest_consumption_first() -> None:
    p = position(10)
    early = commitment("C-EARLY", 2, need=TODAY, arrival=1)
    late = commitment("C-LATE", 2, need=FEB, arrival=2)
    p.add_demand(early)
    p.add_demand(late)
    order_line = place(p, line("O-1", 4, arrival=3), commitments=[early, late])
    # Rule 7 consumed the earliest need date first: C-EARLY, then C-LATE.
    assert (early.quantity, late.quantity) == (0, 0)

    p.cancel(order_line, 3, [(late, 2), (early, 2)])
    assert (late.quantity, early.quantity) == (2, 1)
    assert order_line.quantity == 1


def test_rule9_release_of_part_of_a_commitment_gives_up_waiting_units_first() -> None:
    p = position(2)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    contract = commitment("C-FEB", 8, need=FEB)
    p.add_demand(contract)
    assert pegs(contract) == {"R-FEB": 3, HELD: 2}

    p.cancel(contract, 4)
    # 3 waiting units, then 1 from the latest bucket (February).
    assert contract.quantity == 4
    assert pegs(contract) == {HELD: 2, "R-FEB": 2}
    assert p.free("R-FEB") == 1


# ----------------------------------------------------------------------
# Promises and the queue


def test_waiting_units_have_no_date_without_lead_time() -> None:
    p = position(2)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    order_line = place(p, line("O-1", 7))

    assert p.promises(order_line) == [
        Promise(2, TODAY, True, None),
        Promise(3, FEB, True, "R-FEB"),
        Promise(2, None, False),
    ]
    assert p.promised_date(order_line) is None


def test_waiting_units_are_estimated_today_plus_lead_time_days() -> None:
    p = position(2, lead_time_days=60)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    order_line = place(p, line("O-1", 7))

    # 2026-01-05 + 60 days = 2026-03-06, the latest of the promises.
    assert p.promises(order_line)[-1] == Promise(2, date(2026, 3, 6), False)
    assert p.promised_date(order_line) == date(2026, 3, 6)

    p.today = date(2026, 1, 10)
    assert p.promised_date(order_line) == date(2026, 3, 11)


def test_a_waiting_estimate_is_never_before_the_need_date() -> None:
    p = position(0, lead_time_days=14)
    june = date(2026, 6, 1)
    asks_for_june = place(p, line("O-1", 2, need=june))
    asks_for_today = place(p, line("O-2", 2, arrival=2))

    # max(2026-01-05 + 14 days, 2026-06-01): June, not January 19th.
    assert p.promises(asks_for_june) == [Promise(2, june, False)]
    assert p.promised_date(asks_for_june) == june
    assert p.promised_date(asks_for_today) == date(2026, 1, 19)

    # Once today + lead time passes the need date, the lead time decides.
    p.today = date(2026, 5, 25)
    assert p.promised_date(asks_for_june) == date(2026, 6, 8)


def test_a_waiting_estimate_is_null_without_a_lead_time_whatever_the_need_date() -> None:
    p = position(0)
    asks_for_june = place(p, line("O-1", 2, need=date(2026, 6, 1)))
    assert p.promises(asks_for_june) == [Promise(2, None, False)]
    assert p.promised_date(asks_for_june) is None


def test_promised_date_is_the_latest_promise_of_a_fully_pegged_line() -> None:
    p = position(2, lead_time_days=60)
    p.add_receipt("R-FEB", FEB, 3, seq=1)
    order_line = place(p, line("O-1", 5))

    assert p.promised_date(order_line) == FEB
    assert p.earliest_full_date(order_line) == FEB


def test_queue_lists_lines_with_backordered_units_in_rank_order() -> None:
    p = position(3)
    p.add_receipt("R-FEB", FEB, 1, seq=1)
    fully_held = place(p, line("O-1", 2, arrival=1))
    partly_held = place(p, line("O-2", 4, arrival=2))
    key_account = place(p, line("O-3", 2, account="BIG", priority=0, arrival=3))
    p.add_demand(commitment("C-1", 5, need=TODAY, account="BIG", priority=0, arrival=4))

    assert pegs(fully_held) == {HELD: 2}
    assert pegs(partly_held) == {HELD: 1, "R-FEB": 1}
    assert key_account.waiting == 2
    # Commitments are not in the queue; the key account's line is first.
    assert p.queue() == [key_account, partly_held]


def test_promises_are_listed_earliest_first_even_when_the_estimate_precedes_a_receipt() -> None:
    from datetime import date as _date

    from earmark.domain.position import Demand, DemandKey, Position, Promise

    position = Position("COAT", "WEB", _date(2026, 1, 5), 1, lead_time_days=7)
    position.add_receipt("PO-FEB", _date(2026, 2, 1), 1, 1)
    line = Demand(DemandKey.for_line("SO-1", "1"), "acme", (100, 1, 0), _date(2026, 1, 5), 3)
    position.place_line(line, [], BackorderPolicy.allow)
    assert position.promises(line) == [
        Promise(1, _date(2026, 1, 5), True),
        Promise(1, _date(2026, 1, 12), False),
        Promise(1, _date(2026, 2, 1), True, "PO-FEB"),
    ]
    assert position.promised_date(line) == _date(2026, 2, 1)
