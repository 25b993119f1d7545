"""Tracks the positions a command changes, so that everyone else in them
hears of it (``domain.events.consequences``) in the command's transaction."""

from __future__ import annotations

from earmark.domain.events import DemandView, consequences, view_of
from earmark.domain.outcomes import InvariantViolation
from earmark.domain.position import Demand, DemandKey, DemandKind, Position
from earmark.service import transit
from earmark.service.uow import UnitOfWork

CHAIN_ROUNDS_MAX = 32
"""How many times a change may travel on from a transfer's source to its
destination within one command (a transfer into a location that feeds a
transfer further on is one more round). A longer chain is a cycle that does
not settle: a bug, refused rather than run forever."""


class Effects:
    """``cause`` names, for the people told, what changed: ``receipt_delayed``,
    ``harvest_short``, ``stock_damage``, ``supply_arrived``, ``commitment_expired``..."""

    def __init__(self, uow: UnitOfWork, cause: str) -> None:
        self.uow = uow
        self.cause = cause
        self.before: dict[tuple[str, str], dict[DemandKey, DemandView]] = {}
        self.transfers: set[str] = set()
        """Transfers whose receipt must follow them though no demand of theirs
        changed (units shipped, received or cancelled)."""

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
        """Let the transfers touched carry the change to their destinations, then
        emit the consequences for every demand not in ``own``; forget closed demands."""
        self._follow_transfers()
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

    def _follow_transfers(self) -> None:
        """Every transfer whose demand changed at its source, and those named in
        :attr:`transfers`, moves its receipt at the destination; what that
        changes there may move transfers out of the destination in turn."""
        for _ in range(CHAIN_ROUNDS_MAX):
            touched = self.transfers | {key.ref for before in list(self.before.values())
                                        for key in before if key.kind is DemandKind.transfer}
            if not transit.follow(self.uow, self.position, touched):
                return
        raise InvariantViolation(f"a change travelled through more than {CHAIN_ROUNDS_MAX} "
                                 "transfers without settling")
