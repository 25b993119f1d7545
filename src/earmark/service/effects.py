"""Tracks the positions a command changes, so that everyone else in them
hears of it (``domain.events.consequences``) in the command's transaction."""

from __future__ import annotations

from earmark.domain.events import DemandView, consequences, view
from earmark.domain.position import DemandKey, Position
from earmark.service.uow import UnitOfWork


class Effects:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.before: dict[tuple[str, str], dict[DemandKey, DemandView]] = {}

    def position(self, sku: str, location: str) -> Position:
        """The position, with a view of it taken the first time this command touches it."""
        position = self.uow.position(sku, location)
        key = (sku, location)
        if key not in self.before:
            self.before[key] = view(position)
        return position

    def finish(self, own: set[DemandKey] | None = None) -> None:
        """Emit the consequences for every demand not in ``own``; forget closed demands."""
        for (sku, location), before in self.before.items():
            position = self.uow.position(sku, location)
            after = view(position)
            self.uow.emit_all(consequences(position, before, after, own or set()))
            position.drop_closed_demands()
        self.before.clear()
