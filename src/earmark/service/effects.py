"""Tracks the positions a command changes, so that everyone else in them
hears of it (``domain.events.consequences``) in the command's transaction."""

from __future__ import annotations

from earmark.domain.events import DemandView, consequences, view_of
from earmark.domain.position import Demand, DemandKey, Position
from earmark.service.uow import UnitOfWork


class Effects:
    """``cause`` names, for the people told, what changed: ``receipt_delayed``,
    ``harvest_short``, ``stock_damage``, ``supply_arrived``, ``commitment_expired``..."""

    def __init__(self, uow: UnitOfWork, cause: str) -> None:
        self.uow = uow
        self.cause = cause
        self.before: dict[tuple[str, str], dict[DemandKey, DemandView]] = {}

    def position(self, sku: str, location: str) -> Position:
        """The position, watched: each demand is viewed just before it first changes."""
        position = self.uow.position(sku, location)
        key = (sku, location)
        if key not in self.before:
            before: dict[DemandKey, DemandView] = {}
            self.before[key] = before

            def observe(demand: Demand) -> None:
                if demand.key not in before:
                    before[demand.key] = view_of(position, demand)

            position.observer = observe
        return position

    def finish(self, own: set[DemandKey] | None = None) -> None:
        """Emit the consequences for every demand not in ``own``; forget closed demands."""
        for (sku, location), before in self.before.items():
            position = self.uow.position(sku, location)
            position.observer = None
            after = {
                key: view_of(position, position.demands[key])
                for key in before
                if key in position.demands
            }
            events = consequences(position, before, after, own or set())
            self.uow.emit_all([(kind, {**data, "cause": self.cause}) for kind, data in events])
            position.drop_closed_demands()
        self.before.clear()
