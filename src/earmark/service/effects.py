"""Tracks the positions a command changes, so that everyone else in them
hears of it (``domain.events.consequences``) in the command's transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from earmark.domain.events import DemandView, consequences, iso, view_of
from earmark.domain.network import delivered, delivered_promises
from earmark.domain.outcomes import InvariantViolation
from earmark.domain.position import ON_HAND, Demand, DemandKey, DemandKind, Position
from earmark.domain.slips import customer_date
from earmark.service import transit
from earmark.service.confidence import Confidence, receipt_margins
from earmark.service.uow import UnitOfWork

CHAIN_ROUNDS_MAX = 32
"""How many times a change may travel on from a transfer's source to its
destination within one command (a transfer into a location that feeds a
transfer further on is one more round). A longer chain is a cycle that does
not settle: a bug, refused rather than run forever."""


class CustomerDates:
    """The date each order line's customer is told (``customer_date``): its
    promised date, or its P90 date where the account (else the item) asks for
    ``promise_basis: p90``. Events and notices speak of it.

    Receipts' margins are read once per position and command, and not at all
    while no slip has been recorded anywhere (every margin is then 0)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._margins: dict[tuple[str, str], dict[str, int]] = {}
        self._confident: bool | None = None

    def _margins_of(self, position: Position) -> dict[str, int]:
        key = (position.sku, position.location)
        receipts = [b for b in position.buckets if b != ON_HAND]
        known = self._margins.get(key)
        if known is None or any(r not in known for r in receipts):
            known = receipt_margins(self.uow.raw, receipts, {position.sku})
            self._margins[key] = known
        return known

    def _any_slip(self) -> bool:
        if self._confident is None:
            self._confident = not self.uow.slip_book().empty
        return self._confident

    def p90(self, position: Position, demand: Demand) -> date | None:
        """The demand's ``promised_date_p90`` (delivered, for a part of a ship-to line)."""
        if not self._any_slip():
            return delivered(position.promised_date(demand), demand.transit_days)
        promises = delivered_promises(position.promises(demand), demand.transit_days)
        return Confidence(self._margins_of(position)).promised_date_p90(promises)

    def told(self, position: Position, demand: Demand, promised: date | None,
             p90: date | None) -> date | None:
        item = self.uow.master.item(position.sku)
        return customer_date(promised, p90, self.uow.master.account_basis(demand.account),
                             item["promise_basis"] if item is not None else None)

    def now(self, position: Position, demand: Demand) -> date | None:
        """The customer date of ``demand`` as the position stands now."""
        return self.at(position, demand, delivered(position.promised_date(demand), demand.transit_days))

    def at(self, position: Position, demand: Demand, promised: date | None) -> date | None:
        """:meth:`now`, given the demand's (delivered) promised date as it stands now."""
        p90 = self.p90(position, demand) if self._any_slip() else promised
        return self.told(position, demand, promised, p90)


class Effects:
    """``cause`` names, for the people told, what changed: ``receipt_delayed``,
    ``harvest_short``, ``stock_damage``, ``supply_arrived``, ``commitment_expired``..."""

    def __init__(self, uow: UnitOfWork, cause: str, own: frozenset[DemandKey] = frozenset()) -> None:
        self.uow = uow
        self.cause = cause
        self.own = own
        """Demands the command itself places: it answers for them, so they are
        not watched (no one else is told of them)."""
        self.before: dict[tuple[str, str], dict[DemandKey, DemandView]] = {}
        self.told_before: dict[tuple[str, str], dict[DemandKey, date | None]] = {}
        """Each observed line's customer date before the change."""
        self.customer_dates = CustomerDates(uow)
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
            told = self.told_before.setdefault(key, {})
            own = self.own

            def observe(demand: Demand) -> None:
                if demand.key not in before and demand.key not in own:
                    seen = before[demand.key] = view_of(position, demand)
                    if demand.key.kind is DemandKind.line:
                        told[demand.key] = self.customer_dates.at(position, demand, seen.promised_date)

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
            events = consequences(position, before, after, self.own | (own or set()))
            told = self.told_before.get((sku, location), {})
            self.uow.emit_all([(kind, self._with_customer_dates(position, told, after, kind, data))
                               for kind, data in events])
            position.drop_closed_demands()
        self.before.clear()
        self.told_before.clear()

    def _with_customer_dates(self, position: Position, told: dict[DemandKey, date | None],
                             after: dict[DemandKey, DemandView], kind: str, data: dict[str, Any]
                             ) -> dict[str, Any]:
        """The event's data with its cause and, for a line's date, the date
        its customer is told (``customer_date``; before and after for a move)."""
        data = {**data, "cause": self.cause}
        if kind not in ("order.backordered", "order.promise_changed"):
            return data
        key = DemandKey.for_line(data["order"], data["line"])
        demand = position.demands[key]
        # ``consequences`` tells only of demands viewed before and after.
        new = iso(self.customer_dates.at(position, demand, after[key].promised_date))
        if kind == "order.backordered":
            return {**data, "customer_date": new}
        return {**data, "old_customer_date": iso(told.get(key)), "new_customer_date": new}

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
