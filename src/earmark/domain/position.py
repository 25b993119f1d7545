"""A position (one sku at one location): its dated buckets of supply, its
demands, and the pegs between them. Rules 1-9 of DESIGN.md live here.

The position is loaded whole by the service layer, changed by the methods
below, and written back; it never reads a clock (``today`` is given) and
never does I/O.

Vocabulary:

- a *bucket* is dated supply: the on-hand bucket (key :data:`ON_HAND`,
  dated today, sized by on-hand) or an open receipt (keyed by its id,
  dated ``max(expected_date, today)``, sized by its open quantity);
- *safety stock is a buffer, not a customer*: the on-hand bucket *holds* up
  to on-hand but *offers* new pegs only on-hand minus safety stock minus
  what is pegged (rules 2 and 3), so lost supply eats the buffer before it
  breaks a promise (rule 4) and received units are held in full (rule 5);
- a *demand* is an order line or a commitment with open units, a need date
  and a rank;
- a *peg* ties some of a demand's units to a bucket; units pegged to the
  on-hand bucket are *held*; unpegged open units are *waiting*.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from sortedcontainers import SortedList

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.outcomes import InvariantViolation

ON_HAND = ""
"""Bucket key of the on-hand bucket (receipts are keyed by their id)."""


class DemandKind(str, Enum):
    line = "line"
    commitment = "commitment"
    transfer = "transfer"
    """Stock asked for by a transfer out of the position (DESIGN.md, "Network
    promising"): ranked and pegged like any demand, but no one's allocation,
    commitment or backorder; it only takes free units."""


@dataclass(frozen=True, order=True)
class DemandKey:
    """Identity of a demand: an order line (order id, line), a commitment or a transfer."""

    kind: DemandKind
    ref: str
    line: str = ""

    @classmethod
    def for_line(cls, order_id: str, line: str) -> DemandKey:
        return cls(DemandKind.line, order_id, line)

    @classmethod
    def for_commitment(cls, commitment_id: str) -> DemandKey:
        return cls(DemandKind.commitment, commitment_id)

    @classmethod
    def for_transfer(cls, transfer_id: str) -> DemandKey:
        return cls(DemandKind.transfer, transfer_id)


Rank = tuple[int, int, int]
"""(account priority, arrival sequence, line index): lower is served first."""


@dataclass
class Bucket:
    key: str
    expected_date: date
    size: int
    seq: int
    """Creation order among receipts; 0 for the on-hand bucket."""
    transfer: bool = False
    """The receipt of a transfer (stock coming from another location)."""

    @property
    def is_on_hand(self) -> bool:
        return self.key == ON_HAND


@dataclass
class Demand:
    key: DemandKey
    account: str
    rank: Rank
    need_date: date
    quantity: int
    """Open units: for a line quantity - shipped - cancelled, for a
    commitment its remaining units."""
    pegs: dict[str, int] = field(default_factory=dict)
    transit_days: int = 0
    """Days from this position to where the units are delivered: a part of a
    line placed by ``ship_to`` (DESIGN.md "Network promising"); 0 elsewhere.
    Its need date is already the requested date less these days."""
    supplies_seq: int | None = None
    """A transfer's: the creation number of its receipt at the destination.
    It pegs only transfer receipts created before that one, so that no
    transfer is ever supplied by itself through a chain of transfers (a unit
    that would come from nowhere)."""

    @property
    def pegged(self) -> int:
        return sum(self.pegs.values())

    @property
    def waiting(self) -> int:
        return self.quantity - self.pegged

    @property
    def held(self) -> int:
        return self.pegs.get(ON_HAND, 0)


@dataclass(frozen=True)
class Promise:
    """How some units of a demand will be served."""

    quantity: int
    date: date | None
    confirmed: bool
    receipt: str | None = None


@dataclass(frozen=True)
class PlaceResult:
    """What placing a line did besides pegging: commitments consumed, units cancelled."""

    consumed: list[tuple[Demand, int]]
    cancelled: int


@dataclass(frozen=True)
class StrictCheck:
    """What rule 6 found for a strict commitment."""

    confirmable: bool
    shortfall: int
    earliest_date: date | None


class Position:
    """One sku at one location, with everything that is promised from it."""

    def __init__(
        self,
        sku: str,
        location: str,
        today: date,
        on_hand: int,
        safety_stock: int = 0,
        lead_time_days: int | None = None,
    ) -> None:
        self.sku = sku
        self.location = location
        self.today = today
        self.on_hand = on_hand
        self.safety_stock = safety_stock
        self.lead_time_days = lead_time_days
        self.buckets: dict[str, Bucket] = {ON_HAND: Bucket(ON_HAND, today, 0, 0)}
        self.demands: dict[DemandKey, Demand] = {}
        self._pegged: dict[str, int] = {ON_HAND: 0}
        # Indexes that keep a command's work proportional to what it touches:
        # who is pegged to each bucket, and which demands have waiting units.
        self._pegged_by: dict[str, set[DemandKey]] = {ON_HAND: set()}
        self._waiting: set[DemandKey] = set()
        # Waiting demands by rank, for rule 3: serving k of them costs
        # O(k log n). Entries of demands no longer waiting are skipped lazily.
        self._waiting_heap: list[tuple[Rank, DemandKey]] = []
        self._closed: set[DemandKey] = set()
        # The queue (lines with units not held), kept sorted by rank so that a
        # line's place in it is a binary search, not a count.
        # Lines with units not held, by rank: a sorted list with O(log n) removal,
        # as a receipt that serves k of n waiting lines removes k from the front.
        self._queue: SortedList[tuple[Rank, DemandKey]] = SortedList()
        self._queued: set[DemandKey] = set()
        self._commitments_by_account: dict[str, set[DemandKey]] = {}
        self.dirty: set[DemandKey] = set()
        self.dirty_buckets: set[str] = set()
        """Buckets whose pegged units changed since the service layer last saved."""
        """Demands whose pegs or open units changed since the service layer last saved."""
        self.observer: Callable[[Demand], None] | None = None
        """Called with a demand just before anything about it changes (the
        service layer takes its "before" view of the demand there)."""
        self._resize_on_hand()

    # ------------------------------------------------------------------
    # Loading (the service layer rebuilds a position from stored rows)

    def load_receipt(self, key: str, expected_date: date, open_quantity: int, seq: int,
                     *, transfer: bool = False) -> None:
        if key == ON_HAND or key in self.buckets:
            raise InvariantViolation(f"receipt {key!r} loaded twice")
        self.buckets[key] = Bucket(key, expected_date, open_quantity, seq, transfer)
        self._pegged[key] = 0
        self._pegged_by[key] = set()

    def load_demand(self, demand: Demand) -> None:
        if demand.key in self.demands:
            raise InvariantViolation(f"demand {demand.key} loaded twice")
        self.demands[demand.key] = demand
        for bucket_key, n in demand.pegs.items():
            if bucket_key not in self.buckets:
                raise InvariantViolation(f"{demand.key} pegged to unknown bucket {bucket_key!r}")
            self._pegged[bucket_key] += n
            self._pegged_by[bucket_key].add(demand.key)
        self._register(demand)

    def trial(self, keep: list[Demand]) -> Position:
        """A small copy to try a new line on: the buckets that still have free
        units (and those ``keep`` is pegged to), with their pegged counts, and
        copies of ``keep`` only (the account's commitments, for rule 7).

        At rest, a new line can only take free units and the units of the
        demands it consumes, so the trial answers exactly as the whole
        position would, at the cost of what it may touch.
        """
        shadow = Position(self.sku, self.location, self.today, self.on_hand,
                          self.safety_stock, self.lead_time_days)
        wanted = {key for d in keep for key in d.pegs}
        for key, bucket in self.buckets.items():
            if key == ON_HAND:
                continue
            if key in wanted or bucket.size > self._pegged[key]:
                shadow.buckets[key] = Bucket(key, bucket.expected_date, bucket.size, bucket.seq,
                                             bucket.transfer)
                shadow._pegged[key] = 0
                shadow._pegged_by[key] = set()
        for demand in keep:
            shadow.load_demand(copy.deepcopy(demand))
        shadow.set_pegged_counts({key: self._pegged[key] for key in shadow.buckets})
        return shadow

    def set_pegged_counts(self, counts: dict[str, int]) -> None:
        """For a partial position (see ``trial``): how many units are pegged to
        each bucket by all demands, including those not loaded."""
        for key in self.buckets:
            self._pegged[key] = counts[key]

    def clone(self) -> Position:
        """A deep copy to try a command on without changing this one."""
        observer, self.observer = self.observer, None
        try:
            return copy.deepcopy(self)
        finally:
            self.observer = observer

    # ------------------------------------------------------------------
    # Bookkeeping: every change of pegs or open units goes through here

    def _touch(self, demand: Demand) -> None:
        self.dirty.add(demand.key)
        if self.observer is not None and demand.key in self.demands:
            self.observer(demand)

    def _note_waiting(self, demand: Demand) -> None:
        if demand.quantity - demand.pegged > 0:
            if demand.key not in self._waiting:
                self._waiting.add(demand.key)
                heapq.heappush(self._waiting_heap, (demand.rank, demand.key))
        else:
            self._waiting.discard(demand.key)

    def _requeue(self, demand: Demand) -> None:
        if demand.key.kind is not DemandKind.line:
            return
        entry = (demand.rank, demand.key)
        belongs = demand.quantity - demand.held > 0 and demand.key in self.demands
        if belongs and demand.key not in self._queued:
            self._queue.add(entry)
            self._queued.add(demand.key)
        elif not belongs and demand.key in self._queued:
            self._queue.remove(entry)
            self._queued.discard(demand.key)

    def queue_position(self, demand: Demand) -> int | None:
        """1-based place of a line among the lines with units not held; None if all are held."""
        if demand.key not in self._queued:
            return None
        return self._queue.bisect_left((demand.rank, demand.key)) + 1

    def _register(self, demand: Demand) -> None:
        """Index a demand that joins the position."""
        self._note_waiting(demand)
        self._requeue(demand)
        if demand.quantity == 0:
            self._closed.add(demand.key)
        if demand.key.kind is DemandKind.commitment:
            self._commitments_by_account.setdefault(demand.account, set()).add(demand.key)

    def _set_quantity(self, demand: Demand, quantity: int) -> None:
        self._touch(demand)
        demand.quantity = quantity
        self._note_waiting(demand)
        self._requeue(demand)
        if quantity == 0:
            self._closed.add(demand.key)

    def commitments_of(self, account: str) -> list[Demand]:
        """The account's commitments with units remaining (rule 7 consumes them)."""
        keys = self._commitments_by_account.get(account, set())
        return [self.demands[k] for k in sorted(keys) if self.demands[k].quantity > 0]

    def _by_rank(self, keys: set[DemandKey], *, reverse: bool = False) -> list[Demand]:
        demands = [self.demands[k] for k in keys if k in self.demands]
        return sorted(demands, key=lambda d: (d.rank, d.key), reverse=reverse)

    # ------------------------------------------------------------------
    # Reading

    def bucket_date(self, bucket: Bucket) -> date:
        return self.today if bucket.is_on_hand else max(bucket.expected_date, self.today)

    def bucket_order_key(self, bucket: Bucket) -> tuple[date, int, int]:
        """DESIGN.md bucket order: by date; on one date on-hand, then receipts by creation."""
        return (self.bucket_date(bucket), 0 if bucket.is_on_hand else 1, bucket.seq)

    def pegged(self, bucket_key: str) -> int:
        return self._pegged[bucket_key]

    def pegged_by_bucket(self) -> dict[str, int]:
        """Units pegged to each bucket (the counters the service layer stores)."""
        return dict(self._pegged)

    def free(self, bucket_key: str) -> int:
        """Units of a bucket that new pegs may take (rules 2 and 3).

        The on-hand bucket offers on-hand - safety stock - held, never fewer
        than 0: the buffer is kept from new pegs, though held units may sit
        in it (rules 4 and 5 put them there; see ``safety_stock_short``)."""
        if bucket_key == ON_HAND:
            return max(self.offered_on_hand() - self._pegged[ON_HAND], 0)
        return self.buckets[bucket_key].size - self._pegged[bucket_key]

    def offered_on_hand(self) -> int:
        """What on-hand offers to pegs in all (its ATP supply): on-hand - safety stock, not below 0."""
        return max(self.on_hand - self.safety_stock, 0)

    @property
    def safety_stock_short(self) -> int:
        """How many units on-hand lacks to hold both the held units and the safety stock."""
        return max(self._pegged[ON_HAND] + self.safety_stock - self.on_hand, 0)

    def need(self, demand: Demand) -> date:
        """A need date before today counts as today."""
        return max(demand.need_date, self.today)

    def promised(self, demand: Demand, bucket_key: str) -> date:
        return max(self.bucket_date(self.buckets[bucket_key]), self.need(demand))

    def waiting_estimate(self, demand: Demand) -> date | None:
        """A waiting unit's estimate: ``max(today + lead_time_days, need date)``,
        None without a lead time; never before what the customer asked for."""
        if self.lead_time_days is None:
            return None
        try:
            by_lead_time = self.today + timedelta(days=self.lead_time_days)
        except OverflowError:
            return None  # beyond the last calendar day: no date can be given
        return max(by_lead_time, self.need(demand))

    def ordered_buckets(self) -> list[Bucket]:
        return sorted(self.buckets.values(), key=self.bucket_order_key)

    @staticmethod
    def may_peg(demand: Demand, bucket: Bucket) -> bool:
        """A transfer may not peg the receipt of a transfer created after its own
        receipt (see ``Demand.supplies_seq``); every other peg is allowed."""
        return demand.supplies_seq is None or not bucket.transfer or bucket.seq < demand.supplies_seq

    def rule1_order(self, need: date) -> list[Bucket]:
        """Rule 1: buckets dated on or before ``need``, latest date first (on one
        date in bucket order), then buckets dated after it, in bucket order."""
        ordered = self.ordered_buckets()
        backward = [b for b in ordered if self.bucket_date(b) <= need]
        backward.sort(key=lambda b: -self.bucket_date(b).toordinal())  # stable: keeps bucket order on a date
        forward = [b for b in ordered if self.bucket_date(b) > need]
        return backward + forward

    def promises(self, demand: Demand) -> list[Promise]:
        """Every open unit of ``demand``, grouped by how it is served, earliest first."""
        confirmed: list[tuple[tuple[date, int, int], Promise]] = []
        for bucket_key, n in demand.pegs.items():
            if n <= 0:
                continue
            bucket = self.buckets[bucket_key]
            confirmed.append(
                (
                    (self.promised(demand, bucket_key), 0 if bucket.is_on_hand else 1, bucket.seq),
                    Promise(
                        n,
                        self.promised(demand, bucket_key),
                        True,
                        None if bucket.is_on_hand else bucket_key,
                    ),
                )
            )
        confirmed.sort(key=lambda pair: pair[0])
        result = [p for _, p in confirmed]
        if demand.waiting > 0:
            # Earliest first: the estimate for waiting units can fall before a
            # receipt's date; on one date confirmed units come first, and an
            # estimate without a date comes last.
            estimate = Promise(demand.waiting, self.waiting_estimate(demand), False)
            at = len(result)
            if estimate.date is not None:
                at = next((i for i, p in enumerate(result) if p.date and p.date > estimate.date), at)
            result.insert(at, estimate)
        return result

    def promised_date(self, demand: Demand) -> date | None:
        """The latest date of the demand's promises; None if any is None or none is open."""
        if demand.quantity <= 0:
            return None
        latest = self.latest_pegged_date(demand)
        if demand.waiting > 0:
            estimate = self.waiting_estimate(demand)
            if estimate is None:
                return None
            latest = estimate if latest is None else max(latest, estimate)
        return latest

    def shortfall(self, demand: Demand) -> int:
        """Units that are not pegged to a bucket dated on or before the need date."""
        need = self.need(demand)
        on_time = sum(n for key, n in demand.pegs.items() if self.bucket_date(self.buckets[key]) <= need)
        return demand.quantity - on_time

    def latest_pegged_date(self, demand: Demand) -> date | None:
        """The latest promised date of the demand's pegged units; None if none is pegged."""
        return max((self.promised(demand, b) for b, n in demand.pegs.items() if n > 0), default=None)

    def earliest_full_date(self, demand: Demand) -> date | None:
        """When every unit of an already placed demand is met: its latest promise, or None."""
        if demand.waiting > 0 or demand.quantity == 0:
            return None
        return self.promised_date(demand)

    def queue(self) -> list[Demand]:
        """Order lines with units not yet held, in serving (rank) order."""
        return [self.demands[key] for _, key in self._queue]

    # ------------------------------------------------------------------
    # Rule 1 and rule 2: pegging new demand against free units

    def _peg(self, demand: Demand, bucket_key: str, n: int) -> None:
        if n <= 0:
            return
        self._touch(demand)
        demand.pegs[bucket_key] = demand.pegs.get(bucket_key, 0) + n
        self._pegged[bucket_key] += n
        self.dirty_buckets.add(bucket_key)
        self._pegged_by[bucket_key].add(demand.key)
        self._note_waiting(demand)
        if bucket_key == ON_HAND:
            self._requeue(demand)

    def _unpeg(self, demand: Demand, bucket_key: str, n: int) -> None:
        if n <= 0:
            return
        have = demand.pegs.get(bucket_key, 0)
        if n > have:
            raise InvariantViolation(f"unpeg {n} from {bucket_key!r} but {demand.key} has {have}")
        self._touch(demand)
        if have == n:
            del demand.pegs[bucket_key]
            self._pegged_by[bucket_key].discard(demand.key)
        else:
            demand.pegs[bucket_key] = have - n
        self._pegged[bucket_key] -= n
        self.dirty_buckets.add(bucket_key)
        self._note_waiting(demand)
        if bucket_key == ON_HAND:
            self._requeue(demand)

    def _peg_free(self, demand: Demand, n: int, *, held_only: bool = False) -> int:
        """Peg up to ``n`` waiting units of ``demand`` to free units by rule 1."""
        pegged = 0
        buckets = [self.buckets[ON_HAND]] if held_only else self.rule1_order(self.need(demand))
        for bucket in buckets:
            if pegged >= n:
                break
            if not self.may_peg(demand, bucket):
                continue
            take = min(self.free(bucket.key), n - pegged)
            if take > 0:
                self._peg(demand, bucket.key, take)
                pegged += take
        return pegged

    def add_demand(self, demand: Demand, *, held_only: bool = False) -> None:
        """Rule 2: new demand pegs free units only; what it cannot peg waits."""
        if demand.key in self.demands:
            raise InvariantViolation(f"demand {demand.key} added twice")
        if demand.pegs:
            raise InvariantViolation("new demand arrives unpegged")
        self.demands[demand.key] = demand
        self.dirty.add(demand.key)
        self._register(demand)
        self._peg_free(demand, demand.quantity, held_only=held_only)

    def check_strict(self, quantity: int, need_date: date) -> StrictCheck:
        """Rule 6 for a strict commitment, without changing anything."""
        need = max(need_date, self.today)
        on_time = 0
        remaining = quantity
        last: date | None = None
        for bucket in self.rule1_order(need):
            if remaining <= 0:
                break
            take = min(self.free(bucket.key), remaining)
            if take <= 0:
                continue
            remaining -= take
            bdate = self.bucket_date(bucket)
            if bdate <= need:
                on_time += take
            last = max(bdate, need)
        shortfall = quantity - min(on_time, quantity)
        earliest = last if remaining <= 0 else None
        if quantity == 0:
            earliest = need
        return StrictCheck(shortfall == 0, shortfall, earliest)

    # ------------------------------------------------------------------
    # Rules 3 and 4: freed and lost supply

    def settle(self) -> None:
        """Bring the position back to rest after any change of supply or demand.

        Rule 4 first (buckets holding more pegs than units give them up in
        reverse rank order), then rule 3 (free units go to waiting units in
        rank order, then move pegged units earlier). At rest, waiting units
        and free units never exist together, and no free unit would make a
        pegged unit earlier; so settling a position at rest changes nothing,
        which is what lets every command end with it.
        """
        self._fit_buckets()
        self._serve_waiting()
        self._move_earlier()

    def _fit_buckets(self) -> None:
        for bucket in self.ordered_buckets():
            excess = self._pegged[bucket.key] - bucket.size
            if excess <= 0:
                continue
            for demand in self._by_rank(set(self._pegged_by[bucket.key]), reverse=True):
                if excess <= 0:
                    break
                take = min(demand.pegs.get(bucket.key, 0), excess)
                self._unpeg(demand, bucket.key, take)
                excess -= take

    def _free_from(self) -> date | None:
        """The earliest date of a bucket with free units (None: nothing is free)."""
        dates = [self.bucket_date(b) for b in self.buckets.values() if self.free(b.key) > 0]
        return min(dates) if dates else None

    def _serve_waiting(self) -> None:
        if not self._waiting or self._free_from() is None:
            return
        heap = self._waiting_heap
        skipped: list[tuple[Rank, DemandKey]] = []
        while heap:
            rank, key = heap[0]
            demand = self.demands.get(key)
            if key not in self._waiting or demand is None or demand.rank != rank:
                heapq.heappop(heap)
                if demand is not None and key in self._waiting and demand.rank != rank:
                    heapq.heappush(heap, (demand.rank, key))
                continue
            want = demand.waiting
            if self._peg_free(demand, want) < want:
                if demand.supplies_seq is None:
                    break  # no free unit is left for anyone
                # A transfer may be kept from some free units that others may take.
                skipped.append(heapq.heappop(heap))
                continue
            # Fully served: _note_waiting dropped it from the set; its entry goes now.
            heapq.heappop(heap)
        for entry in skipped:
            heapq.heappush(heap, entry)

    def _move_earlier(self) -> None:
        """Only demands pegged to a bucket dated after the earliest free unit
        can be made earlier; the rest are not looked at."""
        moved = True
        while moved:
            moved = False
            free_from = self._free_from()
            if free_from is None:
                return
            candidates: set[DemandKey] = set()
            for bucket in self.buckets.values():
                if self.bucket_date(bucket) > free_from:
                    candidates |= self._pegged_by[bucket.key]
            for demand in self._by_rank(candidates):
                while self._move_one_earlier(demand):
                    moved = True

    def _move_one_earlier(self, demand: Demand) -> bool:
        if not demand.pegs:
            return False
        latest = max(
            demand.pegs,
            key=lambda k: (self.promised(demand, k), self.bucket_order_key(self.buckets[k])),
        )
        latest_date = self.promised(demand, latest)
        if latest_date <= self.need(demand):
            return False
        for bucket in self.rule1_order(self.need(demand)):
            if self.free(bucket.key) <= 0 or not self.may_peg(demand, bucket):
                continue
            if self.promised(demand, bucket.key) >= latest_date:
                return False
            n = min(self.free(bucket.key), demand.pegs[latest])
            self._unpeg(demand, latest, n)
            self._peg(demand, bucket.key, n)
            return True
        return False

    # ------------------------------------------------------------------
    # Commands on supply

    def _resize_on_hand(self) -> None:
        # The on-hand bucket holds up to on-hand; what it offers is ``free``.
        self.buckets[ON_HAND].size = self.on_hand

    def set_safety_stock(self, safety_stock: int) -> None:
        """A larger buffer takes nothing back from held units (it is not a
        customer): it only offers less to new pegs. A smaller one frees supply."""
        self.safety_stock = safety_stock
        self._resize_on_hand()
        self.settle()

    def set_lead_time(self, lead_time_days: int | None) -> None:
        if lead_time_days != self.lead_time_days:
            for key in list(self._waiting):
                self._touch(self.demands[key])
        self.lead_time_days = lead_time_days

    def adjust(self, delta: int) -> bool:
        """A stock adjustment; False (and no change) if on-hand would go below 0."""
        if self.on_hand + delta < 0:
            return False
        self.on_hand += delta
        self._resize_on_hand()
        self.settle()
        return True

    def add_receipt(self, key: str, expected_date: date, quantity: int, seq: int,
                    *, transfer: bool = False) -> None:
        self.load_receipt(key, expected_date, quantity, seq, transfer=transfer)
        self.settle()

    def change_receipt(
        self, key: str, *, expected_date: date | None = None, open_quantity: int | None = None
    ) -> None:
        """Rule 4's last part: a receipt that moves keeps its pegs; one that
        shrinks gives some up. Growing or moving earlier frees supply (rule 3)."""
        bucket = self.buckets[key]
        if expected_date is not None and expected_date != bucket.expected_date:
            # Pegs stay; the promised dates of everyone pegged here move with it.
            for demand_key in list(self._pegged_by[key]):
                self._touch(self.demands[demand_key])
            bucket.expected_date = expected_date
        if open_quantity is not None:
            bucket.size = open_quantity
        self.settle()

    def receive(self, key: str, quantity: int) -> None:
        """Rule 5: arrived units join on-hand, the receipt's pegs become held
        in rank order up to what arrived (in full, even where that leaves
        on-hand below safety stock + held), the rest is freed supply."""
        bucket = self.buckets[key]
        if quantity > bucket.size:
            raise InvariantViolation(f"receive {quantity} of {key!r} with {bucket.size} open")
        bucket.size -= quantity
        self.on_hand += quantity
        self._resize_on_hand()
        left = quantity
        for demand in self._by_rank(set(self._pegged_by[key])):
            if left <= 0:
                break
            n = min(demand.pegs.get(key, 0), left)
            if n > 0:
                self._unpeg(demand, key, n)
                self._peg(demand, ON_HAND, n)
                left -= n
        self.settle()

    def close_receipt(self, key: str) -> None:
        """A receipt cancelled or fully received: its open remainder is gone."""
        self.buckets[key].size = 0
        self.settle()
        if self._pegged[key] != 0:
            raise InvariantViolation(f"closed receipt {key!r} still pegged")
        del self.buckets[key]
        del self._pegged[key]
        del self._pegged_by[key]

    # ------------------------------------------------------------------
    # Commands on demand

    def consume(
        self, line: Demand, commitments: list[Demand], *, held_only: bool
    ) -> list[tuple[Demand, int]]:
        """Rule 7: ``line`` (not yet added) takes over units of its account's open
        commitments, earliest need date first; within one, pegs in bucket order,
        waiting units last. Returns (commitment, units taken) per commitment."""
        taken: list[tuple[Demand, int]] = []
        want = line.quantity
        for commitment in sorted(commitments, key=lambda c: (self.need(c), c.rank, c.key)):
            if want <= 0:
                break
            got = 0
            # Read before taking pegs over: unpegging raises ``waiting`` until
            # the commitment's quantity is reduced below.
            waiting = commitment.waiting
            for bucket in self.ordered_buckets():
                if held_only and not bucket.is_on_hand:
                    continue
                n = min(commitment.pegs.get(bucket.key, 0), want - got)
                if n > 0:
                    self._unpeg(commitment, bucket.key, n)
                    self._peg(line, bucket.key, n)
                    got += n
            if not held_only:
                got += min(waiting, want - got)
            if got > 0:
                self._set_quantity(commitment, commitment.quantity - got)
                want -= got
                taken.append((commitment, got))
        return taken

    def place_line(self, line: Demand, commitments: list[Demand],
                   policy: BackorderPolicy) -> PlaceResult:
        """Rules 7, 2 and 8 for one order line (not yet part of the position).

        The line consumes its account's commitments, then pegs the rest
        against free units. With policy ``deny`` or ``reject`` it takes over
        and pegs held units only, and what is not held is cancelled at once
        (``reject`` callers refuse the whole order before writing anything).
        """
        if line.key in self.demands:
            raise InvariantViolation(f"line {line.key} placed twice")
        held_only = policy != BackorderPolicy.allow
        taken = self.consume(line, commitments, held_only=held_only)
        self.demands[line.key] = line
        self.dirty.add(line.key)
        self._register(line)
        self._peg_free(line, line.waiting, held_only=held_only)
        cancelled = 0
        if held_only:
            cancelled = line.waiting
            self._set_quantity(line, line.quantity - cancelled)
        self.settle()
        return PlaceResult(taken, cancelled)

    def cancel(
        self, demand: Demand, quantity: int, give_back: Sequence[tuple[Demand, int]] = ()
    ) -> list[tuple[Demand, int]]:
        """Rule 9: give up waiting units first, then pegs in reverse bucket order.

        What is given up is freed supply, except that units of a line that
        consumed commitments go back to them: ``give_back`` lists each such
        commitment (already part of the position) with at most how many units
        it takes back, the latest consumption first. The given-up units go
        back in the order they were given up, waiting or with their pegs.
        Returns (commitment, units given back) per commitment that took any.
        """
        if quantity > demand.quantity:
            raise InvariantViolation(f"cancel {quantity} of {demand.key} with {demand.quantity} open")
        given_up: list[tuple[str | None, int]] = []
        waiting = min(demand.waiting, quantity)
        if waiting > 0:
            given_up.append((None, waiting))
        to_unpeg = quantity - waiting
        for bucket in reversed(self.ordered_buckets()):
            if to_unpeg <= 0:
                break
            n = min(demand.pegs.get(bucket.key, 0), to_unpeg)
            if n > 0:
                self._unpeg(demand, bucket.key, n)
                given_up.append((bucket.key, n))
                to_unpeg -= n
        self._set_quantity(demand, demand.quantity - quantity)
        returned = self._give_back(given_up, give_back)
        self.settle()
        return returned

    def _give_back(self, given_up: list[tuple[str | None, int]],
                   commitments: Sequence[tuple[Demand, int]]) -> list[tuple[Demand, int]]:
        """Units a line gave up go back to the commitments it consumed (rule 9)."""
        takers = [commitment for commitment, room in commitments if room > 0]
        rooms = [room for _, room in commitments if room > 0]
        returned: dict[DemandKey, int] = {}
        at = 0
        for bucket_key, n in given_up:
            while n > 0 and at < len(takers):
                commitment, k = takers[at], min(n, rooms[at])
                self._set_quantity(commitment, commitment.quantity + k)
                if bucket_key is not None:
                    self._peg(commitment, bucket_key, k)
                returned[commitment.key] = returned.get(commitment.key, 0) + k
                n -= k
                rooms[at] -= k
                if rooms[at] == 0:
                    at += 1
        return [(commitment, returned[commitment.key]) for commitment, _ in commitments
                if commitment.key in returned]

    def ship(self, demand: Demand, quantity: int) -> bool:
        """Rule 9: only held units ship; on-hand and the allocation fall together."""
        if quantity > demand.held:
            return False
        self._unpeg(demand, ON_HAND, quantity)
        self._set_quantity(demand, demand.quantity - quantity)
        self.on_hand -= quantity
        self._resize_on_hand()
        self.settle()
        return True

    def drop_closed_demands(self) -> list[Demand]:
        """Forget demands with no open units (their rows keep the history)."""
        closed = [self.demands[k] for k in sorted(self._closed) if k in self.demands]
        self._closed.clear()
        for demand in closed:
            if demand.quantity != 0:
                continue
            if demand.pegs:
                raise InvariantViolation(f"closed demand {demand.key} still pegged")
            del self.demands[demand.key]
            self._waiting.discard(demand.key)
            self._requeue(demand)
            self.dirty.add(demand.key)
            if demand.key.kind is DemandKind.commitment:
                self._commitments_by_account.get(demand.account, set()).discard(demand.key)
        return [d for d in closed if d.quantity == 0]

    # ------------------------------------------------------------------
    # Invariants

    def violations(self) -> list[str]:
        """Every invariant of DESIGN.md that this position breaks, in words."""
        problems: list[str] = []
        if self.on_hand < 0:
            problems.append(f"on-hand {self.on_hand} < 0")
        if self.buckets[ON_HAND].size != self.on_hand:
            problems.append("on-hand bucket size differs from on-hand")
        totals: dict[str, int] = {k: 0 for k in self.buckets}
        pegged_by: dict[str, set[DemandKey]] = {k: set() for k in self.buckets}
        for demand in self.demands.values():
            for key, n in demand.pegs.items():
                if key not in self.buckets:
                    problems.append(f"{demand.key} pegged to unknown bucket {key!r}")
                    continue
                if n <= 0:
                    problems.append(f"{demand.key} has a non-positive peg {n} on {key!r}")
                else:
                    pegged_by[key].add(demand.key)
                totals[key] += n
            if demand.waiting < 0:
                problems.append(f"{demand.key} pegs {demand.pegged} units of {demand.quantity} open")
        queue = sorted(
            (d.rank, d.key) for d in self.demands.values()
            if d.key.kind is DemandKind.line and d.quantity - d.held > 0
        )
        if queue != list(self._queue) or {k for _, k in queue} != self._queued:
            problems.append("the queue index is out of date")
        waiting = {d.key for d in self.demands.values() if d.waiting > 0}
        if waiting != self._waiting:
            problems.append("index of demands with waiting units is out of date")
        held = totals.get(ON_HAND, 0)
        if held > self.on_hand:
            problems.append(f"held {held} > on-hand {self.on_hand}")
        # At rest rules 2 and 3 leave no unit waiting while a bucket offers a
        # free one; in particular nothing waits while on-hand offers units
        # beyond the buffer (safety stock is kept from new pegs, not from
        # units received or held: those may sit in it, see safety_stock_short).
        offered = {k: self.free(k) for k in self.buckets if self.free(k) > 0}
        waiting_units = sum(d.waiting for d in self.demands.values() if d.waiting > 0 and any(
            self.may_peg(d, self.buckets[k]) for k in offered))
        if waiting_units and offered:
            problems.append(f"{waiting_units} units wait while buckets offer free units {offered}")
        for key, bucket in self.buckets.items():
            if pegged_by[key] != self._pegged_by[key]:
                problems.append(f"index of demands pegged to {key!r} is out of date")
            if totals[key] != self._pegged[key]:
                problems.append(f"peg counter of {key!r} is {self._pegged[key]}, pegs say {totals[key]}")
            if totals[key] > bucket.size:
                problems.append(f"bucket {key or 'on-hand'!r} pegs {totals[key]} of {bucket.size}")
        return problems
