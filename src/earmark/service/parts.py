"""Where an order line goes, in parts (DESIGN.md "Network promising").

A line placed by ``location`` is one part there. A line placed by
``ship_to`` is planned over its candidates by rules N1-N3
(``domain/network.py``) on trial positions, then each part is placed at its
position with the line's rank, so that rules 1-10 act on it there unchanged.

:class:`Places` are the positions the parts go into, and the fresh trials
planning tries them on: the unit of work's positions (an order placed), or
trial copies of them (an order tried before it is placed, a quote).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from earmark.domain.events import iso
from earmark.domain.network import Candidate, Part, ShipToLine, candidates, delivered, plan_line
from earmark.domain.network import stocked_or_expected as has_stock_or_receipt
from earmark.domain.outcomes import InvariantViolation
from earmark.domain.position import Demand, PlaceResult, Position
from earmark.service.queries import availability
from earmark.service.uow import UnitOfWork


class Places(ABC):
    """The positions of one sku that the lines of one account are placed into."""

    def __init__(self, uow: UnitOfWork, sku: str, account: str) -> None:
        self.uow = uow
        self.sku = sku
        self.account = account

    @abstractmethod
    def at(self, location: str) -> Position:
        """The position a part is placed into."""

    def tryout(self, location: str) -> Position:
        """A fresh trial of the position, for planning: trying changes nothing."""
        position = self.at(location)
        return position.trial(position.commitments_of(self.account))

    @abstractmethod
    def serves_itself(self, location: str) -> bool:
        """Whether ``location`` is a candidate for itself (stocked or expected)."""


class StoredPlaces(Places):
    """The unit of work's own positions; ``watch`` hands out the one a part is
    placed into (``Effects.position``, so that everyone else there hears of it).
    Planning tries positions that are not stored yet as empty ones: only the
    position a part goes into is created."""

    def __init__(self, uow: UnitOfWork, sku: str, account: str,
                 watch: Callable[[str, str], Position] | None = None) -> None:
        super().__init__(uow, sku, account)
        self.watch = watch or uow.position

    def stored(self, location: str) -> Position:
        """The position as stored, or an empty one where none is (nothing is created)."""
        position = self.uow.stored_position(self.sku, location)
        if position is None:
            item = self.uow.master.item(self.sku)
            if item is None:
                raise InvariantViolation(f"unknown sku {self.sku!r} reached placing")
            position = Position(self.sku, location, self.uow.today, 0,
                                safety_stock=int(item["safety_stock"]),
                                lead_time_days=item["lead_time_days"])
        return position

    def at(self, location: str) -> Position:
        return self.watch(self.sku, location)

    def tryout(self, location: str) -> Position:
        position = self.stored(location)
        return position.trial(position.commitments_of(self.account))

    def serves_itself(self, location: str) -> bool:
        return has_stock_or_receipt(self.stored(location))


class TrialPlaces(Places):
    """Trial positions (``source`` makes each one, once): parts placed here
    change nothing stored. Planning tries copies of them, so the lines of one
    order see those placed before them, as they would when placed."""

    def __init__(self, uow: UnitOfWork, sku: str, account: str,
                 source: Callable[[str], Position],
                 serves_itself: Callable[[str], bool]) -> None:
        super().__init__(uow, sku, account)
        self._source = source
        self._serves_itself = serves_itself
        self._trials: dict[str, Position] = {}

    def at(self, location: str) -> Position:
        if location not in self._trials:
            self._trials[location] = self._source(location)
        return self._trials[location]

    def serves_itself(self, location: str) -> bool:
        return self._serves_itself(location)

    @classmethod
    def of(cls, stored: StoredPlaces) -> TrialPlaces:
        """Trials of the unit of work's positions (an order tried before it is placed)."""
        return cls(stored.uow, stored.sku, stored.account, stored.tryout, stored.serves_itself)

    @classmethod
    def quoting(cls, uow: UnitOfWork, sku: str, account: str | None,
                location: str | None, ship_to: str | None) -> TrialPlaces:
        """Trials read from the stored counters, without the positions' demands
        (a quote), of ``location`` or of every candidate of ``ship_to``, together."""
        if location is not None:
            trials = uow.trials(sku, [location], account)
        else:
            ship = ship_to or ""
            codes = [ship] + [origin for origin, _ in uow.master.lanes_to(ship) if origin != ship]
            trials = uow.trials(sku, codes, account, expected_at=[ship])

        def serves_itself(code: str) -> bool:
            return trials.positions[code].on_hand > 0 or code in trials.expected

        return cls(uow, sku, account or "", lambda code: trials.positions[code], serves_itself)


def candidates_of(places: Places, ship_to: str) -> list[Candidate]:
    return candidates(ship_to, places.serves_itself(ship_to), places.uow.master.lanes_to(ship_to))


def candidate_positions(uow: UnitOfWork, sku: str, ship_to: str) -> list[tuple[str, str]]:
    """Every position a line placed by ship_to may plan on: ship_to and each lane origin."""
    return [(sku, ship_to)] + [(sku, origin) for origin, _ in uow.master.lanes_to(ship_to)]


@dataclass(frozen=True)
class PlacedPart:
    part: Part
    position: Position
    demand: Demand
    placed: PlaceResult


def place_line(places: Places, line: ShipToLine, location: str | None) -> list[PlacedPart]:
    """Place ``line``: whole at ``location``, or (None) in the parts that its
    plan over the candidates of ``line.ship_to`` gives, in candidate order."""
    if location is not None:
        parts = [Part(location, 0, line.quantity)]
    else:
        parts = plan_line(line, candidates_of(places, line.ship_to), places.tryout, places.uow.today)
    placed: list[PlacedPart] = []
    for part in parts:
        position = places.at(part.location)
        demand = line.demand_at(Candidate(part.transit_days, part.location), part.quantity)
        result = position.place_line(demand, position.commitments_of(line.account), line.policy)
        placed.append(PlacedPart(part, position, demand, result))
    return placed


def availability_by_ship_to(uow: UnitOfWork, sku: str, ship_to: str) -> dict[str, Any]:
    """What each candidate of a line with ``ship_to`` has, in candidate order:
    free on-hand now and its available-to-promise, dated as delivered dates."""
    among = candidates(ship_to, has_stock_or_receipt(uow.position(sku, ship_to)),
                       uow.master.lanes_to(ship_to))
    found: list[dict[str, Any]] = []
    for candidate in among:
        figures = availability(uow.position(sku, candidate.location))
        found.append({
            "location": candidate.location,
            "transit_days": candidate.transit_days,
            "available_now": figures["available_now"],
            "atp": [{**entry, "date": iso(delivered(date.fromisoformat(entry["date"]),
                                                   candidate.transit_days))}
                    for entry in figures["atp"]],
        })
    return {"sku": sku, "ship_to": ship_to, "today": uow.today.isoformat(), "candidates": found}
