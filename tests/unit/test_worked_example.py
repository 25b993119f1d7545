"""DESIGN.md's worked example: 10,000 steel beams for a developer.

Position BEAM-W12 at YARD, today 2026-01-05, on-hand 2,000, receipts
5,000 on 2026-02-01 and 6,000 on 2026-03-01.
"""

from __future__ import annotations

from datetime import date

import pytest

from earmark.domain.position import Position, Promise, StrictCheck

from .position_builders import HELD, commitment, line, pegs

TODAY = date(2026, 1, 5)
FEB = date(2026, 2, 1)
MAR = date(2026, 3, 1)
APR = date(2026, 4, 1)
MAY = date(2026, 5, 1)


@pytest.fixture
def yard() -> Position:
    p = Position("BEAM-W12", "YARD", TODAY, 2000)
    p.add_receipt("R-FEB", FEB, 5000, seq=1)
    p.add_receipt("R-MAR", MAR, 6000, seq=2)
    return p


def commit_developer(p: Position) -> Position:
    check = p.check_strict(10_000, APR)
    assert check == StrictCheck(True, 0, APR)
    p.add_demand(commitment("C-DEV", 10_000, need=APR, account="DEVELOPER", arrival=1))
    return p


def test_commitment_of_10000_for_april_pegs_march_6000_then_february_4000(
    yard: Position,
) -> None:
    commit_developer(yard)
    contract = next(iter(yard.demands.values()))

    assert pegs(contract) == {"R-MAR": 6000, "R-FEB": 4000}
    assert contract.waiting == 0
    assert yard.shortfall(contract) == 0
    assert yard.promised_date(contract) == APR


def test_after_the_commitment_2000_are_free_today_and_1000_in_february(
    yard: Position,
) -> None:
    commit_developer(yard)

    assert yard.free(HELD) == 2000
    assert yard.free("R-FEB") == 1000
    assert yard.free("R-MAR") == 0


def test_order_for_3000_today_holds_2000_and_promises_1000_for_february(
    yard: Position,
) -> None:
    commit_developer(yard)
    walk_in = line("O-1", 3000, account="BUILDER", arrival=2)
    result = yard.place_line(walk_in, [], "allow")

    assert result.cancelled == 0
    assert pegs(walk_in) == {HELD: 2000, "R-FEB": 1000}
    assert walk_in.held == 2000
    assert yard.promises(walk_in) == [
        Promise(2000, TODAY, True, None),
        Promise(1000, FEB, True, "R-FEB"),
    ]
    assert yard.promised_date(walk_in) == FEB


def test_march_receipt_slipping_to_may_puts_6000_of_the_commitment_at_risk(
    yard: Position,
) -> None:
    commit_developer(yard)
    walk_in = line("O-1", 3000, account="BUILDER", arrival=2)
    yard.place_line(walk_in, [], "allow")
    contract = yard.demands[next(k for k in yard.demands if k.ref == "C-DEV")]

    yard.change_receipt("R-MAR", expected_date=MAY)

    # The commitment's 6,000 follow the receipt; no free unit can make them
    # earlier (today's and February's units are all pegged).
    assert pegs(contract) == {"R-MAR": 6000, "R-FEB": 4000}
    assert yard.shortfall(contract) == 6000
    assert yard.earliest_full_date(contract) == MAY
    assert yard.promised_date(contract) == MAY
    # The order is untouched.
    assert pegs(walk_in) == {HELD: 2000, "R-FEB": 1000}
    assert yard.promised_date(walk_in) == FEB
    assert yard.violations() == []
