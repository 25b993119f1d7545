"""Master data as units of work read it: items, locations, accounts and
lanes, each read once per unit of work, or not at all while the master epoch
stands still (:class:`SharedMaster`, kept by the store)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, RowMapping

from earmark.store import work_rows as rows
from earmark.store.repository import next_seq

MASTER_EPOCH = "master_epoch"
"""Moves whenever an item, location or account changes: master data read in
an earlier unit of work is good while it stands still."""


@dataclass
class SharedMaster:
    """Rows that exist, as read in one master epoch, shared by the units of
    work of a store (the batches of a flash sale read the same item, location
    and account again and again). Absent rows are not shared: a row may be
    added without a handler (a bulk seed), but never changed without one."""

    epoch: int
    items: dict[str, RowMapping] = field(default_factory=dict)
    locations: set[str] = field(default_factory=set)
    priorities: dict[str, int] = field(default_factory=dict)
    bases: dict[str, str | None] = field(default_factory=dict)
    """Each account's ``promise_basis`` (read with its priority)."""
    lanes_to: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)


class MasterData:
    """Items, locations and accounts as this unit of work has read them.

    Each is read once per unit of work, or not at all while the master epoch
    stands still since another unit of work read it (:class:`SharedMaster`).
    The handlers that change master data call :meth:`forget`, which moves
    the epoch (in their transaction) and stops sharing."""

    def __init__(self, raw: Callable[[], Connection]) -> None:
        self._raw = raw
        """The unit of work's connection (its reads need nothing staged written)."""
        self._items: dict[str, RowMapping | None] = {}
        self._locations: dict[str, bool] = {}
        self._priorities: dict[str, int | None] = {}
        self._bases: dict[str, str | None] = {}
        self._only_location: tuple[str | None] | None = None
        self._lanes_to: dict[str, tuple[tuple[str, int], ...]] = {}
        self._expected_skus: set[str] = set()
        self._shared: SharedMaster | None = None

    def share(self, shared: SharedMaster) -> None:
        self._shared = shared

    def expect_skus(self, skus: Iterable[str]) -> None:
        """Skus the unit of work's commands name: the first item read reads them all."""
        self._expected_skus.update(skus)

    def item(self, sku: str) -> RowMapping | None:
        if sku not in self._items:
            if self._shared is not None and sku in self._shared.items:
                return self._shared.items[sku]
            self.items({sku})
        return self._items[sku]

    def items(self, skus: set[str]) -> dict[str, RowMapping | None]:
        """The item rows of ``skus`` (None for an unknown sku), read in one query
        together with the skus expected and not read yet."""
        if not self._expected_skus and all(sku in self._items for sku in skus):
            return {sku: self._items[sku] for sku in skus}
        shared = self._shared.items if self._shared is not None else {}
        self._items.update((sku, shared[sku]) for sku in skus | self._expected_skus if sku in shared)
        wanted = sorted((skus | self._expected_skus).difference(self._items))
        self._expected_skus.clear()
        read = rows.items(self._raw(), wanted) if wanted else {}
        self._items.update(read)
        if self._shared is not None:
            self._shared.items.update((sku, row) for sku, row in read.items() if row is not None)
        return {sku: self._items[sku] for sku in skus}

    def location_exists(self, code: str) -> bool:
        if code not in self._locations:
            if self._shared is not None and code in self._shared.locations:
                return True
            exists = rows.location_exists(self._raw(), code)
            self._locations[code] = exists
            if exists and self._shared is not None:
                self._shared.locations.add(code)
        return self._locations[code]

    def only_location(self) -> str | None:
        """The one location, while exactly one exists."""
        if self._only_location is None:
            codes = rows.some_locations(self._raw(), 2)
            self._only_location = (codes[0] if len(codes) == 1 else None,)
        return self._only_location[0]

    def priority(self, account: str) -> int | None:
        """The account's priority; None for an unknown account."""
        if account not in self._priorities:
            if self._shared is not None and account in self._shared.priorities:
                return self._shared.priorities[account]
            row = rows.account(self._raw(), account)
            self._priorities[account] = None if row is None else row[0]
            self._bases[account] = None if row is None else row[1]
            if row is not None and self._shared is not None:
                self._shared.priorities[account] = row[0]
                self._shared.bases[account] = row[1]
        return self._priorities[account]

    def account_basis(self, account: str) -> str | None:
        """The account's ``promise_basis`` (None: not set, or no such account)."""
        if account not in self._bases:
            if self._shared is not None and account in self._shared.bases:
                return self._shared.bases[account]
            self._priorities.pop(account, None)
            self.priority(account)
        return self._bases.get(account)

    def lanes_to(self, code: str) -> tuple[tuple[str, int], ...]:
        """(from location, transit days) of every lane into ``code``, by (transit, from)."""
        if code not in self._lanes_to:
            if self._shared is not None and code in self._shared.lanes_to:
                return self._shared.lanes_to[code]
            found = rows.lanes_into(self._raw(), code)
            self._lanes_to[code] = found
            if self._shared is not None:
                self._shared.lanes_to[code] = found
        return self._lanes_to[code]

    def lane(self, origin: str, destination: str) -> int | None:
        """Transit days of the lane ``origin`` -> ``destination``; None without one."""
        return next((days for frm, days in self.lanes_to(destination) if frm == origin), None)

    def forget(self) -> None:
        """Master data is about to change: move the epoch, so that no unit of
        work uses what was read before, and read afresh from now on."""
        if self._shared is not None:
            next_seq(self._raw(), MASTER_EPOCH)
            self._shared = None
        self._items.clear()
        self._locations.clear()
        self._priorities.clear()
        self._bases.clear()
        self._lanes_to.clear()
        self._only_location = None
