"""Network promising (DESIGN.md "Network promising"): the locations that can
serve an order line placed by ``ship_to`` (its *candidates*) and how the line
is shared among them (rules N1-N3).

Planning changes nothing: every candidate is tried on a trial position that
the caller hands out fresh for each try (``Position.trial``), and the plan is
a list of *parts*, (location, units) each, that the caller then places at
their positions by rules 1-10 like any line. Because a trial answers exactly
as the whole position would, the parts get there what their trials got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.position import ON_HAND, Demand, DemandKey, Position, Promise, Rank


@dataclass(frozen=True, order=True)
class Candidate:
    """A location that can serve a ship-to line, ``transit_days`` away from
    ``ship_to`` (0 for ``ship_to`` itself). Candidates sort in candidate
    order: by transit days, then code."""

    transit_days: int
    location: str


def delivered(day: date | None, transit_days: int) -> date | None:
    """A date at a part's location as a delivered date at ``ship_to``."""
    return None if day is None else _later(day, transit_days)


def need_date_at(requested_date: date, transit_days: int) -> date:
    """A part's need date at its location: ``transit_days`` before the requested
    date (the position counts a date before today as today)."""
    try:
        return requested_date - timedelta(days=transit_days)
    except OverflowError:
        return date.min


def _later(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max  # beyond the calendar: the latest date there is


def delivered_promises(promises: Iterable[Promise], transit_days: int) -> list[Promise]:
    return [Promise(p.quantity, delivered(p.date, transit_days), p.confirmed, p.receipt)
            for p in promises]


def line_promises(parts: Iterable[tuple[int, list[Promise]]]) -> list[Promise]:
    """A line's promises from its parts' ((transit days, promises) each, in
    candidate order): delivered dates, earliest first. The units that no known
    supply serves, of all parts, are one unconfirmed entry, dated the latest
    of theirs (no date if any has none)."""
    shifted = [delivered_promises(promises, transit) for transit, promises in parts]
    if len(shifted) == 1:
        return shifted[0]
    confirmed = [p for mine in shifted for p in mine if p.confirmed]
    waiting = [p for mine in shifted for p in mine if not p.confirmed]
    if waiting:
        dates = [p.date for p in waiting]
        latest = None if None in dates else max(d for d in dates if d is not None)
        confirmed.append(Promise(sum(p.quantity for p in waiting), latest, False))
    # Stable: on one date confirmed units first, each part's in its own order.
    return sorted(confirmed, key=lambda p: (p.date is None, p.date or date.min, not p.confirmed))


def stocked_or_expected(position: Position) -> bool:
    """Whether a location is a candidate for itself: the item is on hand
    there, or expected (an open receipt, transfer receipts included)."""
    return position.on_hand > 0 or any(not b.is_on_hand for b in position.buckets.values())


def candidates(ship_to: str, serves_itself: bool,
               lanes: Iterable[tuple[str, int]]) -> list[Candidate]:
    """``ship_to`` itself (transit 0) if it ``serves_itself``, and the origin of
    every lane into it, in candidate order. Empty when none: the line then
    waits at ``ship_to`` (see :func:`plan_line`)."""
    found = {Candidate(days, origin) for origin, days in lanes if origin != ship_to}
    if serves_itself:
        found.add(Candidate(0, ship_to))
    return sorted(found)


@dataclass(frozen=True)
class ShipToLine:
    """A line placed by ``ship_to``, as planning sees it."""

    key: DemandKey
    account: str
    rank: Rank
    requested_date: date
    quantity: int
    ship_to: str
    policy: BackorderPolicy = BackorderPolicy.allow
    split: bool = False

    def demand_at(self, candidate: Candidate, quantity: int) -> Demand:
        """The part of ``quantity`` units at ``candidate``: needed there ``transit_days``
        before the requested date (a date before today counts as today)."""
        return Demand(self.key, self.account, self.rank,
                      need_date_at(self.requested_date, candidate.transit_days), quantity,
                      transit_days=candidate.transit_days)


@dataclass(frozen=True)
class Part:
    """``quantity`` units of a line served from ``location``."""

    location: str
    transit_days: int
    quantity: int


@dataclass(frozen=True)
class TrialOutcome:
    """What a trial placement at one candidate got."""

    candidate: Candidate
    unserved: int
    """Units left waiting (``deny``, ``reject``: units not held now)."""
    latest_delivered: date | None
    """The latest delivered date when every unit is served, else None."""


Tryout = Callable[[str], Position]
"""A fresh trial position at a location (the account's commitments in it):
the caller's, each call a new one, so that trying changes nothing."""


def on_shelf(position: Position, account: str) -> int:
    """N2's free on-hand: what on-hand offers to new pegs, and the units held
    there for the account's own commitments (which the line would take over)."""
    return position.free(ON_HAND) + sum(c.held for c in position.commitments_of(account))


def try_at(tryout: Tryout, line: ShipToLine, candidate: Candidate, quantity: int) -> TrialOutcome:
    """Rules 1, 2, 7 and 8 for ``quantity`` units of ``line`` at ``candidate``, on a trial."""
    position = tryout(candidate.location)
    demand = line.demand_at(candidate, quantity)
    position.place_line(demand, position.commitments_of(line.account), line.policy)
    # Under deny and reject only held units count as served (the rest is cancelled).
    served = demand.pegged if line.policy is BackorderPolicy.allow else demand.held
    unserved = quantity - served
    latest = (delivered(position.promised_date(demand), candidate.transit_days)
              if unserved == 0 else None)
    return TrialOutcome(candidate, unserved, latest)


def earliest_possible(line: ShipToLine, candidate: Candidate, today: date) -> date:
    """No unit served from ``candidate`` is delivered before this: its promised
    date there is never before its need date there, nor before today."""
    return _later(max(line.demand_at(candidate, 0).need_date, today), candidate.transit_days)


def choose(line: ShipToLine, among: list[Candidate], quantity_at: Callable[[Candidate], int],
           tryout: Tryout, today: date) -> TrialOutcome:
    """N1, else N3: the trial of the candidate that serves every unit with the
    earliest latest delivered date; if none serves every unit, of the one that
    leaves the fewest waiting. Ties go to candidate order.

    Candidates come in candidate order, so what can be delivered at the
    earliest only grows along them: once a candidate that serves every unit
    delivers by that bound, no later one can beat it, and the rest are not
    tried."""
    whole: TrialOutcome | None = None
    outcomes: list[TrialOutcome] = []
    for candidate in among:
        if whole is not None and whole.latest_delivered is not None \
                and whole.latest_delivered <= earliest_possible(line, candidate, today):
            break
        outcome = try_at(tryout, line, candidate, quantity_at(candidate))
        outcomes.append(outcome)
        if outcome.unserved == 0 and (whole is None or _before(outcome.latest_delivered,
                                                                 whole.latest_delivered)):
            whole = outcome
    if whole is not None:
        return whole
    return min(outcomes, key=lambda o: o.unserved)  # min keeps the first of equals


def _before(a: date | None, b: date | None) -> bool:
    return a is not None and (b is None or a < b)


def plan_line(line: ShipToLine, among: list[Candidate], tryout: Tryout,
              today: date) -> list[Part]:
    """The parts of ``line``, one per location, in candidate order.

    - N1: whole from the candidate that serves every unit with the earliest
      latest delivered date;
    - N2 (``split``): else free on-hand first, candidate by candidate in
      candidate order, and the rest whole by N1 or N3 (a candidate that
      already serves some units from its shelf gets the rest in the same part);
    - N3: else whole to the candidate that leaves the fewest units waiting.

    Without candidates the line waits at ``ship_to``.
    """
    if not among:
        return [Part(line.ship_to, 0, line.quantity)]
    if len(among) == 1:
        return [_whole(among[0], line.quantity)]
    first = choose(line, among, lambda _: line.quantity, tryout, today)
    if first.unserved == 0 or not line.split:
        return [_whole(first.candidate, line.quantity)]
    shelf = _from_shelves(line, among, tryout)
    rest = line.quantity - sum(shelf.values())
    if rest > 0:
        best = choose(line, among, lambda c: shelf.get(c, 0) + rest, tryout, today).candidate
        shelf[best] = shelf.get(best, 0) + rest
    return [Part(c.location, c.transit_days, n) for c, n in sorted(shelf.items())]


def _whole(candidate: Candidate, quantity: int) -> Part:
    return Part(candidate.location, candidate.transit_days, quantity)


def _from_shelves(line: ShipToLine, among: list[Candidate], tryout: Tryout) -> dict[Candidate, int]:
    """N2's first step: free on-hand, candidate by candidate in candidate order."""
    taken: dict[Candidate, int] = {}
    left = line.quantity
    for candidate in among:
        if left == 0:
            break
        n = min(left, on_shelf(tryout(candidate.location), line.account))
        if n > 0:
            taken[candidate] = n
            left -= n
    return taken
