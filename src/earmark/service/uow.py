"""The unit of work: one transaction, the positions it has loaded, and the
events it appends. Handlers change positions through it and call
``commit()``; leaving the ``with`` block without a commit rolls back.

A unit of work is not tied to one command, so that a batch of commands can
later share one transaction (the batching writer)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from earmark.domain.events import Event
from earmark.domain.position import DemandKey, Position
from earmark.domain.slips import SlipBook
from earmark.service.actor import current_actor
from earmark.service.clock import FROZEN_DAY, Clock
from earmark.service.confidence import SLIP_BOOK, SLIP_EPOCH, read_slip_book
from earmark.service.master_data import MASTER_EPOCH, MasterData, SharedMaster
from earmark.service.queries import QUEUE_PLACES, position_queue_places
from earmark.store import db, work_rows
from earmark.store import tables as t
from earmark.store.repository import (
    NEXT_SEQ_PG,
    LoadedPosition,
    Trials,
    build_positions,
    ensure_and_lock_positions,
    finish_positions,
    load_position,
    load_positions,
    load_statements,
    load_trials,
    lock_statement,
    locked_versions,
    next_seq,
    position_version,
    save_position,
)
from earmark.store.sealing import Sealer

RANK_EPOCH = "rank_epoch"
NUMBERS_PER_BLOCK = 1000
DATED_LINE_EVENTS = frozenset({"order.backordered", "order.promise_changed"})
"""Events that tell a line's date; they also say whether it is ``confirmed``."""


class Store:
    """A database: its engine, its dialect and the calendar it runs on."""

    def __init__(self, url: str, clock: Clock | None = None) -> None:
        self.url = db.normalise_url(url)
        self.dialect = db.dialect_name(url)
        self.engine: Engine = db.make_engine(url)
        self.clock = clock or Clock()
        self._positions: dict[tuple[str, str], LoadedPosition] = {}
        self._positions_lock = threading.Lock()
        self._master = SharedMaster(-1)
        self._slips: tuple[int, SlipBook] = (-1, SlipBook())
        self._sealer: Sealer | None = None

    def slip_book(self, epoch: int, read: Callable[[], SlipBook]) -> SlipBook:
        """The slip book of ``epoch``: the one kept, or ``read`` afresh when it moved."""
        with self._positions_lock:
            kept_epoch, book = self._slips
        if kept_epoch == epoch:
            return book
        book = read()
        with self._positions_lock:
            self._slips = (epoch, book)
        return book

    @property
    def sealer(self) -> Sealer:
        """Seals secrets under the server key (read or made on first use)."""
        if self._sealer is None:
            self._sealer = Sealer.for_database(self.url)
        return self._sealer

    def shared_master(self, epoch: int) -> SharedMaster:
        """The master data read so far in ``epoch`` (a fresh one when it moved)."""
        with self._positions_lock:
            if self._master.epoch != epoch:
                self._master = SharedMaster(epoch)
            return self._master

    # Positions kept between units of work. A writing unit of work takes a
    # position out (so no two ever share one), checks it against the stored
    # version under the position's lock, and puts it back after its commit.
    # What a rolled-back unit of work took is simply not put back.

    def take_position(self, key: tuple[str, str], version: int, epoch: int) -> LoadedPosition | None:
        with self._positions_lock:
            kept = self._positions.pop(key, None)
        if kept is None or kept.version != version or kept.epoch != epoch:
            return None
        return kept

    def keep_positions(self, loaded: list[LoadedPosition]) -> None:
        with self._positions_lock:
            for lp in loaded:
                self._positions[(lp.position.sku, lp.position.location)] = lp

    def queue_places(self, key: tuple[str, str], version: int, epoch: int,
                     lines: list[DemandKey]) -> dict[DemandKey, int | None] | None:
        """The lines' places in the queue of a position kept at exactly
        ``version`` and ``epoch`` (a binary search each), or None when none is
        kept at that version (a writer has it out, or it moved on)."""
        with self._positions_lock:
            kept = self._positions.get(key)
            if kept is None or kept.version != version or kept.epoch != epoch:
                return None
            return position_queue_places(kept.position, lines)

    def offer_position(self, loaded: LoadedPosition) -> None:
        """A position a reader loaded whole: kept only where none is kept yet, so
        it never replaces a writer's (a writer takes it only at its version)."""
        with self._positions_lock:
            self._positions.setdefault((loaded.position.sku, loaded.position.location), loaded)

    def keeps(self, key: tuple[str, str], epoch: int) -> bool:
        """Whether a position is kept for ``key`` in ``epoch`` (at some version)."""
        with self._positions_lock:
            kept = self._positions.get(key)
            return kept is not None and kept.epoch == epoch

    def forget_kept_positions(self) -> None:
        with self._positions_lock:
            self._positions.clear()

    def upgrade(self) -> None:
        db.upgrade(self.engine)

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self, write=write)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    def __init__(self, store: Store, *, write: bool = True) -> None:
        self.store = store
        self.write = write
        self._tx: Connection | None = None
        self._positions: dict[tuple[str, str], LoadedPosition] = {}
        # The positions this unit of work has locked: (on-hand, version) read under the lock.
        self._locked: dict[tuple[str, str], tuple[int, int]] = {}
        # Positions asked for under the locks and not stored (not created):
        # not asked again by this unit of work unless one is to be created.
        self._absent: set[tuple[str, str]] = set()
        self.today: date = date.min
        self.now: datetime = Clock.now()
        self._events: list[dict[str, Any]] = []
        self.actor = current_actor()
        """Recorded on the events emitted from now on; the batching writer
        sets it for each command of a batch."""
        self._epoch: int | None = None
        self._slip_epoch = 0
        self._slips_recorded = False
        self.master = MasterData(lambda: self.raw)
        self.defer_commit = False
        """When set, ``commit()`` only flushes: the caller commits several
        commands at once with ``commit_now()`` (imports, batches)."""
        self._staged_orders: list[dict[str, Any]] = []
        self._staged_lines: list[dict[str, Any]] = []
        self._staged_requests: dict[str, Any] = {}
        self._expected_orders: set[str] = set()
        self._expected_positions: set[tuple[str, str]] = set()
        self._expected_ship_to: set[tuple[str, str]] = set()
        self._preloaded: dict[tuple[str, str], LoadedPosition] = {}
        self._order_requests: dict[str, Any] = {}
        self._pending = False
        self._numbers: dict[str, tuple[int, int]] = {}

    def slip_book(self) -> SlipBook:
        """Every recorded slip, by supplier: kept by the store per slip epoch;
        read afresh once this unit of work has recorded a slip itself."""
        if self._slips_recorded:
            return read_slip_book(self.raw)
        return self.store.slip_book(self._slip_epoch, lambda: read_slip_book(self.raw))

    def slip_recorded(self) -> None:
        """A slip was recorded: move the slip epoch, so no one uses an older book."""
        next_seq(self.raw, SLIP_EPOCH)
        self._slips_recorded = True

    @property
    def raw(self) -> Connection:
        """The connection, without writing what is staged (for code that reads
        nothing a staged write could change: master data, locks, loads)."""
        if self._tx is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._tx

    @property
    def tx(self) -> Connection:
        """The connection, after writing everything staged, so that any read sees it."""
        if self._pending:
            self.sync()
        return self.raw

    def next_number(self, name: str) -> int:
        """The next arrival number (``demand``, ``receipt``). A unit of work
        takes them from the counter a block at a time; since the counter's row
        stays locked until the commit, numbers still follow commit order, and
        those a batch leaves unused are gaps, which rank nothing."""
        next_, last = self._numbers.get(name, (1, 0))
        if next_ > last:
            last = next_seq(self.raw, name, NUMBERS_PER_BLOCK)
            next_ = last - NUMBERS_PER_BLOCK + 1
        self._numbers[name] = (next_ + 1, last)
        return next_

    # Staged writes: placed orders in a batch are written together.

    def stage_order(self, order_row: dict[str, Any], line_rows: list[dict[str, Any]]) -> None:
        """An order and its lines, written at the next sync (the rows may still change)."""
        self._staged_orders.append(order_row)
        self._staged_lines.extend(line_rows)
        self._staged_requests[order_row["id"]] = order_row["request"]
        self._order_requests.pop(order_row["id"], None)

    def staged_request(self, order_id: str) -> Any | None:
        return self._staged_requests.get(order_id)

    def expect_orders(self, order_ids: Iterable[str]) -> None:
        """Order ids that commands of this unit of work will place: the first
        :meth:`stored_order_request` reads them all in one query (a batch)."""
        self._expected_orders.update(order_ids)

    def stored_order_request(self, order_id: str) -> Any | None:
        """The request of the stored order ``order_id``, or None.

        An order another writer stores after this read makes the batch's
        insert fail on the primary key; the writer then applies the batch
        again, and the read sees it."""
        if order_id not in self._order_requests:
            wanted = sorted(self._expected_orders.difference(self._order_requests) | {order_id})
            self._expected_orders.clear()
            self._order_requests.update(work_rows.order_requests(self.raw, wanted))
        return self._order_requests[order_id]

    def stage_commit(self) -> None:
        """``commit()`` for a command whose writes may wait for the batch's next sync."""
        if self.defer_commit:
            self._pending = True
        else:
            self.commit_now()

    def sync(self) -> None:
        """Write the staged rows and the positions' changes (inside the transaction)."""
        with db.pipeline(self.raw):
            self._sync()

    def _sync(self) -> None:
        self._pending = False
        if self._staged_orders:
            for row in self._staged_lines:
                # The line is written with what it holds now: no update after the insert.
                loaded = self._positions.get((row["sku"], row["location"]))
                key = DemandKey.for_line(row["order_id"], row["line"])
                demand = loaded.position.demands.get(key) if loaded else None
                row["allocated"] = demand.held if demand else 0
                if loaded is not None and demand is not None:
                    loaded.saved_held[key] = demand.held
            db.insert_rows(self.raw, t.orders, self._staged_orders)
            db.insert_rows(self.raw, t.order_lines, self._staged_lines)
            self._staged_orders, self._staged_lines = [], []
            self._staged_requests.clear()
        for loaded in self._positions.values():
            save_position(self.raw, loaded)

    @property
    def dialect(self) -> str:
        return self.store.dialect

    def __enter__(self) -> UnitOfWork:
        connection = self.store.engine.connect()
        try:
            if self.write and self.store.dialect == "sqlite":
                connection = connection.execution_options(sqlite_begin="IMMEDIATE")
            if not self.write and self.store.dialect == "postgresql":
                # One consistent snapshot for everything a read shows.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.begin()
            # With the transaction's BEGIN in one round trip (PostgreSQL).
            day, epoch, rank_epoch, slip_epoch = work_rows.start(
                connection, FROZEN_DAY, MASTER_EPOCH, RANK_EPOCH, SLIP_EPOCH)
            self.today = self.store.clock.today_from(day)
            self._epoch = int(rank_epoch or 0)
            self._slip_epoch = int(slip_epoch or 0)
            self.master.share(self.store.shared_master(int(epoch or 0)))
        except BaseException:
            connection.close()
            raise
        self._tx = connection
        connection.info[QUEUE_PLACES] = self.queue_places
        connection.info[SLIP_BOOK] = self.slip_book
        self.now = self.store.clock.moment(self.today)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._tx
        self._tx = None
        if connection is None:
            return
        connection.info.pop(QUEUE_PLACES, None)
        connection.info.pop(SLIP_BOOK, None)
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def flush(self) -> None:
        """Write the loaded positions' changes (still inside the transaction)."""
        self.sync()

    def _write_events(self) -> None:
        """Append the buffered events just before the commit.

        On PostgreSQL a transaction-scoped advisory lock makes event ids
        follow commit order: without it a reader paging with ``after=<id>``
        could pass over an event whose transaction committed later with a
        smaller id. It is taken at the very end of the transaction, so it is
        held only for the insert and the commit.
        """
        if not self._events:
            return
        if self.dialect == "postgresql":
            work_rows.lock_events(self.raw)
        db.insert_rows(self.raw, t.events, self._events)
        self._events.clear()

    def commit(self) -> None:
        if self.defer_commit:
            self.flush()
        else:
            self.commit_now()

    def commit_now(self) -> None:
        loaded = list(self._positions.values()) if self.write else []
        # Every write of the batch and the commit in one round trip (PostgreSQL).
        with db.pipeline(self.raw):
            self.flush()
            finish_positions(self.raw, loaded)
            self._write_events()
            db.commit_in_pipeline(self.raw)
        self.raw.commit()
        # Positions loaded for the batch but not used are unchanged: as good to keep.
        self.store.keep_positions(loaded + list(self._preloaded.values()))
        self._positions.clear()
        self._preloaded.clear()
        self._locked.clear()
        self._absent.clear()

    def rollback(self) -> None:
        self._staged_orders, self._staged_lines = [], []
        self._staged_requests.clear()
        self._order_requests.clear()
        self._pending = False
        self._events.clear()
        self._positions.clear()
        self._preloaded.clear()
        self._locked.clear()
        self._absent.clear()
        self.tx.rollback()
        self.tx.begin()

    # Positions

    def lock(self, keys: list[tuple[str, str]],
             create: Iterable[tuple[str, str]] | None = None) -> None:
        """Lock the positions a command will change or plan on, creating the
        missing ones among ``create`` (default: all of ``keys``). A position
        not created is simply not stored yet: :meth:`stored_position` says None."""
        wanted = set(keys if create is None else create)
        new = [k for k in keys if k not in self._locked and (k not in self._absent or k in wanted)]
        if not new:
            return
        # The positions the rest of the batch expects are locked now too, in the
        # same statement and (sku, location) order; only the command's own are created.
        expected = [k for k in self._expected() if k not in self._locked and k not in self._absent]
        self._expected_positions.clear()
        self._locked.update(ensure_and_lock_positions(self.raw, expected + new, self.dialect,
                                                      create=[k for k in new if k in wanted]))
        self._absent.update(k for k in expected + new if k not in self._locked)
        self._absent.difference_update(self._locked)

    def stored_position(self, sku: str, location: str) -> Position | None:
        """The position if it is stored (locked by this unit of work, or created
        by it), else None; unlike :meth:`position`, it creates nothing."""
        key = (sku, location)
        if key in self._positions or key in self._locked:
            return self.position(sku, location)
        return None

    def position(self, sku: str, location: str) -> Position:
        key = (sku, location)
        loaded = self._positions.get(key)
        if loaded is None:
            if self.write and key not in self._locked:
                self.lock([key])
            loaded = self._load(sku, location)
            self._positions[key] = loaded
        return loaded.position

    def _load(self, sku: str, location: str) -> LoadedPosition:
        key = (sku, location)
        if key in self._preloaded:
            return self._preloaded.pop(key)
        stored = self._locked.get(key) or position_version(self.raw, sku, location)
        if self.write and stored is not None:
            kept = self._kept(key, stored)
            if kept is not None:
                return kept
        if self.write:
            self._preload(key)
            return self._preloaded.pop(key)
        loaded = load_position(self.raw, sku, location, self.today, stored, self.master.item(sku))
        loaded.epoch = self.epoch
        return loaded

    def _kept(self, key: tuple[str, str], stored: tuple[int, int]) -> LoadedPosition | None:
        kept = self.store.take_position(key, stored[1], self.epoch)
        if kept is not None:
            kept.position.today = self.today
            kept.position.observer = None
        return kept

    def _preload(self, key: tuple[str, str]) -> None:
        """Load ``key`` with every other position this unit of work has locked
        and not loaded yet (the batch's), the cold ones in one set of queries."""
        cold = [key]
        for other, stored in self._locked.items():
            if other == key or other in self._positions or other in self._preloaded:
                continue
            kept = self._kept(other, stored)
            if kept is not None:
                self._preloaded[other] = kept
            else:
                cold.append(other)
        items = self.master.items({sku for sku, _ in cold})
        cold = [k for k in cold if items.get(k[0]) is not None]
        epoch = self.epoch
        for other, loaded in load_positions(self.raw, cold, self.today, self._locked, items).items():
            loaded.epoch = epoch
            self._preloaded[other] = loaded

    def prefetch(self) -> None:
        """Ask together what a batch's commands would ask one by one: lock the
        expected positions (stored ones; new ones are created by the command
        that names them), load those the store does not keep, read the
        expected orders for replays, and take a block of arrival numbers. On
        PostgreSQL that is one round trip (and one more when items are read
        for the first time in the master epoch); elsewhere the questions stay
        lazy, asked when first needed (SQLite's are local)."""
        if self.dialect != "postgresql" or not self.write:
            return
        keys = sorted(k for k in self._expected() if k not in self._locked and k not in self._absent)
        items = self.master.items({sku for sku, _ in keys}) if keys else {}
        epoch = self.epoch
        cold = [k for k in keys if items.get(k[0]) is not None and not self.store.keeps(k, epoch)]
        orders = sorted(self._expected_orders.difference(self._order_requests))[:work_rows.IDS_PER_READ]
        numbers = bool(orders) and "demand" not in self._numbers
        reads: list[tuple[Any, dict[str, Any]]] = []
        loads = load_statements(cold) if cold else []
        if keys:
            reads.append(lock_statement(keys, self.dialect))
        if orders:
            reads.append((work_rows.ORDER_REQUESTS_PG, {"ids": orders}))
        if numbers:
            reads.append((NEXT_SEQ_PG, {"name": "demand", "step": NUMBERS_PER_BLOCK}))
        if cold:
            reads.extend((statement, {}) for statement in loads)
        if not reads:
            return
        answers = iter(db.read_together(self.raw, reads))
        if keys:
            self._locked.update(locked_versions(next(answers)))
            self._absent.update(k for k in keys if k not in self._locked)
        if orders:
            found = dict(next(answers))
            self._order_requests.update({order_id: found.get(order_id) for order_id in orders})
            self._expected_orders.difference_update(orders)
        if numbers:
            last = int(next(answers)[0][0])
            self._numbers["demand"] = (last - NUMBERS_PER_BLOCK + 1, last)
        if cold:
            # Only positions that exist: a new one is created, then loaded, by its command.
            stored = [k for k in cold if k in self._locked]
            rows = [list(next(answers)) for _ in loads]
            built = build_positions(cold, self.today, self._locked, items, rows)
            for key in stored:
                built[key].epoch = epoch
                self._preloaded[key] = built[key]

    def expect_positions(self, keys: Iterable[tuple[str, str]]) -> None:
        """Positions that commands of this unit of work will change: the first
        lock takes them all, and the first load reads the cold ones together."""
        keys = set(keys)
        self._expected_positions.update(keys)
        self.master.expect_skus(sku for sku, _ in keys)

    def expect_ship_to(self, keys: Iterable[tuple[str, str]]) -> None:
        """(sku, ship_to) of lines placed by ship_to: their candidates' positions
        (ship_to and every lane origin) are expected like :meth:`expect_positions`'."""
        keys = set(keys)
        self._expected_ship_to.update(keys)
        self.master.expect_skus(sku for sku, _ in keys)

    def _expected(self) -> set[tuple[str, str]]:
        """The positions expected, with the candidates of the ship-to lines expected."""
        for sku, ship_to in sorted(self._expected_ship_to):
            self._expected_positions.add((sku, ship_to))
            self._expected_positions.update(
                (sku, origin) for origin, _ in self.master.lanes_to(ship_to))
        self._expected_ship_to.clear()
        return self._expected_positions

    def forget_epoch(self) -> None:
        self._epoch = None

    @property
    def epoch(self) -> int:
        """The rank epoch: it moves whenever an account's priority changes."""
        if self._epoch is None:
            self._epoch = work_rows.counter(self.raw, RANK_EPOCH)
        return self._epoch

    def trial(self, sku: str, location: str, account: str | None) -> Position:
        """A small position to try a new line of ``account`` on (quotes): see :meth:`trials`."""
        return self.trials(sku, [location], account).positions[location]

    def trials(self, sku: str, locations: list[str], account: str | None,
               expected_at: list[str] | None = None) -> Trials:
        """Small positions to try a new line of ``account`` on (quotes), and
        which of ``expected_at`` expect a receipt.

        A position this unit of work has already changed is tried from
        memory; the others are read from the stored counters, without their
        demands, together."""
        item = self.master.item(sku)
        priority = (self.master.priority(account) or 0) if account is not None else 0
        expected_at = expected_at or []
        cold = [code for code in locations if (sku, code) not in self._positions]
        trials = Trials({}, set())
        if cold:
            trials = load_trials(self.raw, sku, cold, self.today, account, priority, item,
                                 [code for code in expected_at if code in cold])
        for code in locations:
            loaded = self._positions.get((sku, code))
            if loaded is not None:
                whole = loaded.position
                trials.positions[code] = whole.trial(
                    whole.commitments_of(account) if account is not None else [])
                if code in expected_at and any(not b.is_on_hand for b in whole.buckets.values()):
                    trials.expected.add(code)
        return trials

    def queue_places(self, sku: str, location: str,
                     lines: list[DemandKey]) -> dict[DemandKey, int | None]:
        """The lines' places in the position's queue, as this transaction sees it.

        From the position if this unit of work has it, else from the one the
        store keeps at the stored version; else the position is loaded once
        and, by a reader, offered to the store, so the next read of a long
        queue is a binary search again instead of a count."""
        key = (sku, location)
        loaded = self._positions.get(key)
        if loaded is None:
            stored = position_version(self.raw, sku, location)
            if stored is None:
                return dict.fromkeys(lines)
            places = self.store.queue_places(key, stored[1], self.epoch, lines)
            if places is not None:
                return places
            loaded = load_position(self.raw, sku, location, self.today, stored, self.master.item(sku))
            loaded.epoch = self.epoch
            if not self.write:
                self.store.offer_position(loaded)
        return position_queue_places(loaded.position, lines)

    def forget_positions(self) -> None:
        """Forget every loaded position and lock (after a rollback to a savepoint:
        what was written before it is in the database, the rest is gone)."""
        if self._pending:
            self.sync()
        self._positions.clear()
        self._preloaded.clear()
        self._locked.clear()
        self._absent.clear()

    # Events

    def emit(self, event_type: str, data: dict[str, Any]) -> None:
        """Record an event; it is written with the commit, or not at all."""
        if event_type in DATED_LINE_EVENTS:
            data = {**data, "confirmed": self._date_confirmed(data)}
        # ``day`` is earmark's calendar (frozen or not), ``at`` the wall clock's
        # moment: reports count events by the day they happened on the calendar.
        self._events.append({"type": event_type, "at": self.now, "data": data, "day": self.today,
                             "actor": self.actor})

    def _date_confirmed(self, data: dict[str, Any]) -> bool:
        """Whether the date a line's event tells is confirmed: every open unit
        of the line (the part at the event's location) pegged to supply, none
        waiting on an estimate. Read from the position as the change left it,
        because a notice made later must tell the date as it was told then.
        (The events of DESIGN.md's rules carry dates only; this is the one
        place that sees both the event and the position.)"""
        if data.get("promised_date", data.get("new_date")) is None:
            return False
        loaded = self._positions.get((data["sku"], data["location"]))
        demand = loaded.position.demands.get(DemandKey.for_line(data["order"], data["line"])) \
            if loaded is not None else None
        return demand is not None and demand.quantity > 0 and demand.waiting == 0

    @property
    def pending_events(self) -> int:
        return len(self._events)

    def emit_all(self, events: list[Event]) -> None:
        for event_type, data in events:
            self.emit(event_type, data)
