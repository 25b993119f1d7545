"""Network promising (DESIGN.md "Network promising"): candidates and rules
N1-N3, one scenario at a time.

Today is 2026-01-05. STORE is the ship-to location; WEB, HUB and FAR have
lanes to it. Every expected part and date is worked out by hand; the
comments show the working.
"""

from __future__ import annotations

from datetime import date, timedelta

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.events import view_of
from earmark.domain.network import (
    Candidate,
    Part,
    ShipToLine,
    candidates,
    delivered,
    plan_line,
    stocked_or_expected,
)
from earmark.domain.position import Demand, DemandKey, Position

from .position_builders import HELD, TODAY, commitment

ACCOUNT = "ACME"


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


class Network:
    """Positions of one sku at several locations, and a tryout over them."""

    def __init__(self, **on_hand: int) -> None:
        self.positions = {loc: Position("COAT", loc, TODAY, n) for loc, n in on_hand.items()}
        self.tries: list[str] = []

    def receipt(self, location: str, rid: str, quantity: int, expected: date, seq: int = 1) -> None:
        self.positions[location].add_receipt(rid, expected, quantity, seq)

    def tryout(self, location: str) -> Position:
        self.tries.append(location)
        whole = self.positions[location]
        return whole.trial(whole.commitments_of(ACCOUNT))

    def plan(self, line: ShipToLine, among: list[Candidate]) -> list[Part]:
        return plan_line(line, among, self.tryout, TODAY)


def ship_to_line(quantity: int, *, requested: date = TODAY, split: bool = False,
                 policy: BackorderPolicy = BackorderPolicy.allow) -> ShipToLine:
    return ShipToLine(DemandKey.for_line("SO-1", "1"), ACCOUNT, (10, 1, 0), requested, quantity,
                      "STORE", policy, split)


WEB2 = Candidate(2, "WEB")
HUB1, HUB3 = Candidate(1, "HUB"), Candidate(3, "HUB")
STORE0 = Candidate(0, "STORE")


# ----------------------------------------------------------------------
# Candidates


def test_candidates_are_ship_to_itself_then_every_lane_origin_by_transit_then_code() -> None:
    lanes = [("WEB", 2), ("HUB", 1), ("ALT", 2)]
    assert candidates("STORE", True, lanes) == [
        Candidate(0, "STORE"), Candidate(1, "HUB"), Candidate(2, "ALT"), Candidate(2, "WEB")]


def test_ship_to_is_a_candidate_for_itself_only_where_stocked_or_expected() -> None:
    assert candidates("STORE", False, [("WEB", 2)]) == [WEB2]
    empty = Position("COAT", "STORE", TODAY, 0)
    assert not stocked_or_expected(empty)
    assert stocked_or_expected(Position("COAT", "STORE", TODAY, 1))
    expected = Position("COAT", "STORE", TODAY, 0)
    expected.add_receipt("PO-1", day(9), 4, 1)
    assert stocked_or_expected(expected)


def test_ship_to_sorts_with_the_lane_origins_by_transit_then_code() -> None:
    # A lane of transit 0 from "ALT" sorts before STORE itself (code order).
    assert candidates("STORE", True, [("ALT", 0), ("ZED", 0)]) == [
        Candidate(0, "ALT"), Candidate(0, "STORE"), Candidate(0, "ZED")]


def test_a_line_without_candidates_waits_at_ship_to() -> None:
    net = Network()
    assert net.plan(ship_to_line(3), []) == [Part("STORE", 0, 3)]


def test_delivered_date_is_the_promised_date_plus_transit() -> None:
    assert delivered(day(3), 2) == day(5)
    assert delivered(None, 2) is None
    assert delivered(date.max - timedelta(days=1), 5) == date.max


# ----------------------------------------------------------------------
# N1: whole from one place


def test_n1_the_coat_ships_whole_from_web_when_the_store_has_none() -> None:
    # STORE has none on hand (not a candidate), WEB is two days away with 5.
    net = Network(STORE=0, WEB=5)
    among = candidates("STORE", stocked_or_expected(net.positions["STORE"]), [("WEB", 2)])
    assert net.plan(ship_to_line(3), among) == [Part("WEB", 2, 3)]


def test_n1_the_candidate_with_the_earliest_latest_delivered_date_wins() -> None:
    # STORE (0 days) has 5 only on a receipt in 6 days: delivered day 6.
    # HUB (1 day) has 5 on hand: delivered day 1. WEB (2 days) on hand: day 2.
    net = Network(STORE=0, HUB=5, WEB=5)
    net.receipt("STORE", "PO-S", 5, day(6))
    assert net.plan(ship_to_line(5), [STORE0, HUB1, WEB2]) == [Part("HUB", 1, 5)]


def test_n1_a_candidate_that_cannot_serve_every_unit_loses_to_a_later_one_that_can() -> None:
    # STORE holds 4 of 5; WEB holds all 5 (delivered day 2).
    net = Network(STORE=4, WEB=5)
    assert net.plan(ship_to_line(5), [STORE0, WEB2]) == [Part("WEB", 2, 5)]


def test_n1_ties_go_to_candidate_order() -> None:
    # Requested in 10 days: HUB (1 day) and WEB (2 days) both deliver on day 10
    # from on-hand (need dates day 9 and day 8); HUB comes first.
    net = Network(HUB=5, WEB=5)
    assert net.plan(ship_to_line(5, requested=day(10)), [HUB1, WEB2]) == [Part("HUB", 1, 5)]
    # Same transit: code order.
    net = Network(ALT=5, WEB=5)
    assert net.plan(ship_to_line(5), [Candidate(2, "ALT"), WEB2]) == [Part("ALT", 2, 5)]


def test_n1_need_date_at_a_candidate_is_the_requested_date_less_transit() -> None:
    # Requested day 10 at WEB (2 days): needed there day 8. Rule 1 pegs backward
    # from day 8: the receipt of day 7 before today's stock; promised day 8 at
    # WEB, delivered day 10.
    net = Network(WEB=5)
    net.receipt("WEB", "PO-W", 5, day(7))
    line = ship_to_line(3, requested=day(10))
    (part,) = net.plan(line, [WEB2])
    demand = line.demand_at(WEB2, part.quantity)
    assert demand.need_date == day(8) and demand.transit_days == 2
    web = net.positions["WEB"]
    web.place_line(demand, [], BackorderPolicy.allow)
    assert demand.pegs == {"PO-W": 3}
    assert web.promised_date(demand) == day(8)
    assert view_of(web, demand).promised_date == day(10)


def test_n1_need_date_at_a_candidate_is_not_before_today() -> None:
    line = ship_to_line(1, requested=day(1))
    demand = line.demand_at(HUB3, 1)
    position = Position("COAT", "HUB", TODAY, 1)
    position.place_line(demand, [], BackorderPolicy.allow)
    assert position.promised_date(demand) == TODAY  # need day -2 counts as today


def test_n1_consumes_the_accounts_commitments_at_the_candidate() -> None:
    # HUB (3 days) has nothing free, but 5 units held for ACME's commitment:
    # the trial takes them over, delivered day 3. WEB (2 days) has them only
    # on a receipt of day 6: delivered day 8. HUB wins.
    net = Network(HUB=5, WEB=0)
    hub = net.positions["HUB"]
    hub.add_demand(commitment("C-1", 5, need=TODAY))
    net.receipt("WEB", "PO-W", 5, day(6))
    assert hub.free(HELD) == 0
    assert net.plan(ship_to_line(5), [WEB2, HUB3]) == [Part("HUB", 3, 5)]


def test_n1_stops_trying_once_no_farther_candidate_can_deliver_earlier() -> None:
    # HUB (1 day) holds every unit, delivered day 1; WEB (2 days) cannot deliver
    # before day 2: it is not tried.
    net = Network(HUB=5, WEB=5)
    assert net.plan(ship_to_line(5), [HUB1, WEB2]) == [Part("HUB", 1, 5)]
    assert net.tries == ["HUB"]


def test_planning_changes_nothing() -> None:
    net = Network(STORE=2, WEB=1)
    net.receipt("WEB", "PO-W", 3, day(4))
    before = {loc: (p.on_hand, dict(p.pegged_by_bucket()), dict(p.demands))
              for loc, p in net.positions.items()}
    net.plan(ship_to_line(6, split=True), [STORE0, WEB2])
    after = {loc: (p.on_hand, dict(p.pegged_by_bucket()), dict(p.demands))
             for loc, p in net.positions.items()}
    assert after == before


# ----------------------------------------------------------------------
# N2: split when asked


def test_n2_split_takes_free_on_hand_first_then_the_rest_goes_whole_by_n1() -> None:
    # No candidate serves 6: STORE holds 2, WEB 1 + 3 on a receipt of day 4.
    # Shelves: STORE 2, WEB 1; the rest (3) by N1: at STORE 2+3 leaves 3
    # waiting, at WEB 1+3 pegs all -> WEB. Parts: STORE 2, WEB 4.
    net = Network(STORE=2, WEB=1)
    net.receipt("WEB", "PO-W", 3, day(4))
    assert net.plan(ship_to_line(6, split=True), [STORE0, WEB2]) == [
        Part("STORE", 0, 2), Part("WEB", 2, 4)]


def test_n2_the_rest_goes_by_n3_when_no_candidate_can_serve_it() -> None:
    # Shelves: STORE 2, WEB 1; the rest 3: STORE 5 leaves 3 waiting, WEB 4
    # leaves 3, HUB pegs 2 on its receipt and leaves 1 -> HUB.
    net = Network(STORE=2, WEB=1, HUB=0)
    net.receipt("HUB", "PO-H", 2, day(5))
    assert net.plan(ship_to_line(6, split=True), [STORE0, HUB1, WEB2]) == [
        Part("STORE", 0, 2), Part("HUB", 1, 3), Part("WEB", 2, 1)]


def test_n2_applies_only_when_no_candidate_serves_every_unit() -> None:
    # WEB serves all 3 (on hand): whole from WEB even though STORE has 1 on hand.
    net = Network(STORE=1, WEB=3)
    assert net.plan(ship_to_line(3, split=True), [STORE0, WEB2]) == [Part("WEB", 2, 3)]


def test_n2_free_on_hand_includes_units_held_for_the_accounts_commitments() -> None:
    # STORE: 2 on hand, both held for ACME's commitment (none free); WEB 1 free.
    # The shelves give STORE 2 (the line would take the held units over) and
    # WEB 1: the line of 3 is served in full.
    net = Network(STORE=2, WEB=1)
    net.positions["STORE"].add_demand(commitment("C-1", 2, need=TODAY))
    assert net.plan(ship_to_line(3, split=True), [STORE0, WEB2]) == [
        Part("STORE", 0, 2), Part("WEB", 2, 1)]


def test_without_split_the_line_is_never_split() -> None:
    net = Network(STORE=2, WEB=1)
    net.receipt("WEB", "PO-W", 3, day(4))
    assert net.plan(ship_to_line(6), [STORE0, WEB2]) == [Part("WEB", 2, 6)]  # N3: 2 wait at WEB


# ----------------------------------------------------------------------
# N3: otherwise it waits where it waits least


def test_n3_the_line_waits_where_fewest_units_wait() -> None:
    # STORE holds 2 of 6 (4 would wait), WEB 4 of 6 (2 would wait) -> WEB.
    net = Network(STORE=2, WEB=4)
    assert net.plan(ship_to_line(6), [STORE0, WEB2]) == [Part("WEB", 2, 6)]


def test_n3_ties_go_to_candidate_order() -> None:
    # Both leave 3 waiting: STORE first.
    net = Network(STORE=3, WEB=3)
    assert net.plan(ship_to_line(6), [STORE0, WEB2]) == [Part("STORE", 0, 6)]
    # Nothing anywhere: the first candidate.
    net = Network(HUB=0, WEB=0)
    assert net.plan(ship_to_line(6), [HUB1, WEB2]) == [Part("HUB", 1, 6)]


# ----------------------------------------------------------------------
# Backorder deny and reject across candidates


def test_under_deny_pegging_every_unit_means_held_in_full_now() -> None:
    # HUB (1 day) pegs 5 on a receipt of tomorrow (delivered day 2), WEB (2
    # days) holds 5 (delivered day 2). Allow: a tie, HUB first. Deny: only
    # WEB holds every unit now.
    net = Network(HUB=0, WEB=5)
    net.receipt("HUB", "PO-H", 5, day(1))
    assert net.plan(ship_to_line(5), [HUB1, WEB2]) == [Part("HUB", 1, 5)]
    for policy in (BackorderPolicy.deny, BackorderPolicy.reject):
        assert net.plan(ship_to_line(5, policy=policy), [HUB1, WEB2]) == [Part("WEB", 2, 5)]


def test_under_deny_waiting_means_not_held() -> None:
    # HUB holds 1 and pegs 4 on a receipt (allow: every unit pegged, HUB wins);
    # under deny HUB leaves 4 not held, WEB holds 3 of 5 and leaves 2 -> WEB.
    net = Network(HUB=1, WEB=3)
    net.receipt("HUB", "PO-H", 4, day(1))
    assert net.plan(ship_to_line(5), [HUB1, WEB2]) == [Part("HUB", 1, 5)]
    assert net.plan(ship_to_line(5, policy=BackorderPolicy.deny), [HUB1, WEB2]) == [
        Part("WEB", 2, 5)]


def test_under_deny_split_holds_what_every_shelf_has() -> None:
    # Shelves STORE 1, WEB 3; the rest 1 cannot be held anywhere: N3 ties,
    # it goes to STORE (first), where deny cancels it.
    net = Network(STORE=1, WEB=3)
    assert net.plan(ship_to_line(5, split=True, policy=BackorderPolicy.deny),
                    [STORE0, WEB2]) == [Part("STORE", 0, 2), Part("WEB", 2, 3)]


# ----------------------------------------------------------------------
# The plan, placed


def test_placing_the_plan_gives_what_its_trial_got() -> None:
    # The part at WEB, placed on the whole position, pegs what the trial pegged.
    net = Network(STORE=2, WEB=1)
    net.receipt("WEB", "PO-W", 3, day(4))
    line = ship_to_line(6, split=True)
    parts = net.plan(line, [STORE0, WEB2])
    placed: dict[str, Demand] = {}
    for part in parts:
        position = net.positions[part.location]
        demand = line.demand_at(Candidate(part.transit_days, part.location), part.quantity)
        position.place_line(demand, position.commitments_of(ACCOUNT), line.policy)
        placed[part.location] = demand
        assert position.violations() == []
    assert placed["STORE"].pegs == {HELD: 2}
    assert placed["WEB"].pegs == {HELD: 1, "PO-W": 3}
    assert view_of(net.positions["WEB"], placed["WEB"]).promised_date == day(6)
