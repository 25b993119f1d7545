"""Random sequences of every Position command, checked after each step.

The machine keeps its own ledger (on-hand moves, receipts' open quantities
and dates, each demand's open units) and checks the position against it and
against DESIGN.md's invariants and rest state:

- ``violations()`` is empty;
- no waiting unit while any bucket has a free unit;
- no pegged unit that a free unit would make earlier;
- on-hand = initial + adjustments + received - shipped;
- settling a position at rest changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from earmark.domain.backorder import ITEM_BACKORDER_POLICIES, BackorderPolicy
from earmark.domain.position import ON_HAND, Demand, DemandKey, DemandKind, Position

START = date(2026, 1, 5)
ACCOUNTS = {"KEY": 0, "MID": 5, "LOW": 10}
POLICIES = tuple(BackorderPolicy)

quantities = st.integers(min_value=1, max_value=15)
days = st.integers(min_value=-10, max_value=90)
picks = st.integers(min_value=0, max_value=10_000)
accounts = st.sampled_from(sorted(ACCOUNTS))


@dataclass
class ReceiptModel:
    expected_date: date
    open_quantity: int
    seq: int


class PositionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.initial_on_hand = 10
        self.p = Position("SKU", "LOC", START, self.initial_on_hand, lead_time_days=14)
        self.adjusted = 0
        self.received = 0
        self.shipped = 0
        self.receipts: dict[str, ReceiptModel] = {}
        self.open_units: dict[DemandKey, int] = {}
        self.receipt_seq = 0
        self.arrival_seq = 0

    # ------------------------------------------------------------------
    # Independent readings (from the machine's ledger, not the position's)

    def bucket_date(self, key: str) -> date:
        if key == ON_HAND:
            return self.p.today
        return max(self.receipts[key].expected_date, self.p.today)

    def bucket_size(self, key: str) -> int:
        """What a bucket holds: on-hand holds up to on-hand (safety stock is a buffer)."""
        if key == ON_HAND:
            return self.p.on_hand
        return self.receipts[key].open_quantity

    def bucket_keys(self) -> list[str]:
        return [ON_HAND, *self.receipts]

    def in_bucket_order(self) -> list[str]:
        """By date; on one date the on-hand bucket, then receipts by creation."""
        return sorted(
            self.bucket_keys(),
            key=lambda k: (
                self.bucket_date(k),
                0 if k == ON_HAND else 1,
                0 if k == ON_HAND else self.receipts[k].seq,
            ),
        )

    def free_units(self) -> dict[str, int]:
        pegged = dict.fromkeys(self.bucket_keys(), 0)
        for demand in self.p.demands.values():
            for key, n in demand.pegs.items():
                pegged[key] += n
        # On-hand offers new pegs only on-hand - safety stock - held.
        return {key: max(self.bucket_size(key) - pegged[key]
                         - (self.p.safety_stock if key == ON_HAND else 0), 0)
                for key in pegged}

    def need(self, need_date: date) -> date:
        return max(need_date, self.p.today)

    def promised(self, demand: Demand, key: str) -> date:
        return max(self.bucket_date(key), self.need(demand.need_date))

    def open_demands(self, kind: DemandKind) -> list[Demand]:
        return [d for k, d in sorted(self.p.demands.items()) if k.kind is kind and d.quantity > 0]

    def commitments_of(self, account: str) -> list[Demand]:
        return [d for d in self.open_demands(DemandKind.commitment) if d.account == account]

    def held_of(self, demands: list[Demand]) -> int:
        return sum(d.pegs.get(ON_HAND, 0) for d in demands)

    def next_arrival(self) -> int:
        self.arrival_seq += 1
        return self.arrival_seq

    def snapshot(self) -> dict[DemandKey, tuple[int, dict[str, int]]]:
        return {k: (d.quantity, dict(d.pegs)) for k, d in self.p.demands.items()}

    # ------------------------------------------------------------------
    # Supply

    @rule(days_ahead=days, quantity=st.integers(min_value=0, max_value=20))
    def add_receipt(self, days_ahead: int, quantity: int) -> None:
        self.receipt_seq += 1
        key = f"R{self.receipt_seq}"
        expected = self.p.today + timedelta(days=days_ahead)
        self.receipts[key] = ReceiptModel(expected, quantity, self.receipt_seq)
        self.p.add_receipt(key, expected, quantity, self.receipt_seq)

    @precondition(lambda self: self.receipts)
    @rule(
        pick=picks,
        days_ahead=st.none() | days,
        quantity=st.none() | st.integers(min_value=0, max_value=25),
    )
    def change_receipt(self, pick: int, days_ahead: int | None, quantity: int | None) -> None:
        key = sorted(self.receipts)[pick % len(self.receipts)]
        expected = None if days_ahead is None else self.p.today + timedelta(days=days_ahead)
        if expected is not None:
            self.receipts[key].expected_date = expected
        if quantity is not None:
            self.receipts[key].open_quantity = quantity
        self.p.change_receipt(key, expected_date=expected, open_quantity=quantity)

    @precondition(lambda self: any(r.open_quantity for r in self.receipts.values()))
    @rule(pick=picks, part=st.integers(min_value=1, max_value=25), whole=st.booleans())
    def receive(self, pick: int, part: int, whole: bool) -> None:
        keys = sorted(k for k, r in self.receipts.items() if r.open_quantity)
        key = keys[pick % len(keys)]
        receipt = self.receipts[key]
        quantity = receipt.open_quantity if whole else min(part, receipt.open_quantity)
        pegged_before = {k: d.pegs.get(key, 0) for k, d in self.p.demands.items()}
        held_before = {k: d.held for k, d in self.p.demands.items()}
        receipt.open_quantity -= quantity
        self.received += quantity
        self.p.receive(key, quantity)
        # Rule 5: what arrived becomes held for the demands pegged to the
        # receipt, in rank order and in full, safety stock or not (rule 3
        # may then add more).
        left = quantity
        for k, demand in sorted(self.p.demands.items(), key=lambda kv: (kv[1].rank, kv[0])):
            became_held = min(pegged_before[k], left)
            left -= became_held
            assert demand.held >= held_before[k] + became_held, k

    @precondition(lambda self: self.receipts)
    @rule(pick=picks)
    def close_receipt(self, pick: int) -> None:
        key = sorted(self.receipts)[pick % len(self.receipts)]
        del self.receipts[key]
        self.p.close_receipt(key)

    @rule(delta=st.integers(min_value=-15, max_value=15))
    def adjust(self, delta: int) -> None:
        allowed = self.p.on_hand + delta >= 0
        held_before = self.held_of(list(self.p.demands.values()))
        assert self.p.adjust(delta) is allowed
        if allowed:
            self.adjusted += delta
            # Lost on-hand eats the buffer first: held units are taken back
            # only beyond on-hand itself.
            held_after = self.held_of(list(self.p.demands.values()))
            assert held_after >= min(held_before, self.p.on_hand)

    @rule(safety_stock=st.integers(min_value=0, max_value=5))
    def set_safety_stock(self, safety_stock: int) -> None:
        snapshot = self.snapshot()
        raised = safety_stock >= self.p.safety_stock
        self.p.set_safety_stock(safety_stock)
        if raised:
            # A larger buffer takes nothing back from anyone.
            assert self.snapshot() == snapshot

    @invariant()
    def the_buffer_short_is_what_on_hand_lacks(self) -> None:
        held = self.held_of(list(self.p.demands.values()))
        assert self.p.safety_stock_short == max(held + self.p.safety_stock - self.p.on_hand, 0)

    # ------------------------------------------------------------------
    # Demand

    @rule(
        account=accounts,
        line_quantities=st.lists(quantities, min_size=1, max_size=3),
        need_in=st.integers(min_value=-5, max_value=90),
        policy=st.sampled_from(POLICIES),
    )
    def place_order(self, account: str, line_quantities: list[int], need_in: int,
            policy: BackorderPolicy) -> None:
        self._place_order(account, line_quantities, need_in, policy)

    @precondition(lambda self: self.open_demands(DemandKind.commitment))
    @rule(
        pick=picks,
        extra=st.integers(min_value=-5, max_value=5),
        need_in=st.integers(min_value=-5, max_value=90),
        policy=st.sampled_from(POLICIES),
    )
    def place_order_against_commitments(self, pick: int, extra: int, need_in: int,
            policy: BackorderPolicy) -> None:
        """Rule 7 needs an account with open commitments; random orders
        rarely meet one, so this rule orders about what is committed."""
        commitments = self.open_demands(DemandKind.commitment)
        account = commitments[pick % len(commitments)].account
        committed = sum(c.quantity for c in self.commitments_of(account))
        self._place_order(account, [max(committed + extra, 1)], need_in, policy)

    def _place_order(self, account: str, line_quantities: list[int], need_in: int,
            policy: BackorderPolicy) -> None:
        arrival = self.next_arrival()
        order_id = f"O{arrival}"
        need_date = self.p.today + timedelta(days=need_in)
        free_on_hand = self.free_units()[ON_HAND]
        commitments = self.commitments_of(account)
        own_held = self.held_of(commitments)
        own_open = sum(c.quantity for c in commitments)

        def make_line(i: int, quantity: int) -> Demand:
            return Demand(
                DemandKey.for_line(order_id, str(i)),
                account,
                (ACCOUNTS[account], arrival, i),
                need_date,
                quantity,
            )

        if policy is BackorderPolicy.reject:
            # Rule 8: the whole order is refused unless every line can be
            # held in full from free on-hand and the account's held units.
            trial = self.p.clone()
            trial_commitments = [trial.demands[c.key] for c in commitments]
            results = [
                trial.place_line(make_line(i, q), trial_commitments, BackorderPolicy.reject)
                for i, q in enumerate(line_quantities, start=1)
            ]
            accepted = all(r.cancelled == 0 for r in results)
            assert accepted == (sum(line_quantities) <= free_on_hand + own_held)
            if not accepted:
                return

        for i, quantity in enumerate(line_quantities, start=1):
            order_line = make_line(i, quantity)
            before = {c.key: (c.quantity, c.pegs.get(ON_HAND, 0)) for c in commitments}
            result = self.p.place_line(order_line, commitments, policy)
            consumed = {c.key: n for c, n in result.consumed}
            # Rule 7: earliest need date first, then rank; held units only
            # for deny and reject.
            want = quantity
            for c in sorted(commitments, key=lambda c: (self.need(c.need_date), c.rank, c.key)):
                available = before[c.key][1] if policy is not BackorderPolicy.allow else before[c.key][0]
                take = min(available, want)
                want -= take
                assert consumed.get(c.key, 0) == take, (c.key, consumed, take)
                assert c.quantity == before[c.key][0] - take
                self.open_units[c.key] -= take
            if policy is BackorderPolicy.allow:
                assert result.cancelled == 0
                assert order_line.quantity == quantity
            else:
                # Rule 8: only held units, the rest cancelled.
                taken_held = quantity - want
                expected = taken_held + min(want, free_on_hand)
                assert order_line.quantity == expected
                assert order_line.pegs == ({ON_HAND: expected} if expected else {})
                assert result.cancelled == quantity - expected
                free_on_hand -= expected - taken_held
            self.open_units[order_line.key] = order_line.quantity
        assert sum(c.quantity for c in commitments) <= own_open

    @rule(
        account=accounts,
        quantity=quantities,
        need_in=st.integers(min_value=-5, max_value=90),
        strict=st.booleans(),
    )
    def commit(self, account: str, quantity: int, need_in: int, strict: bool) -> None:
        arrival = self.next_arrival()
        need_date = self.p.today + timedelta(days=need_in)
        contract = Demand(
            DemandKey.for_commitment(f"C{arrival}"),
            account,
            (ACCOUNTS[account], arrival, 0),
            need_date,
            quantity,
        )
        if strict:
            check = self.p.check_strict(quantity, need_date)
            # Rule 6, worked out from free units by date: units dated on or
            # before the need date are on time; the full quantity is met on
            # the date the free units, taken earliest first, reach it.
            need = self.need(need_date)
            free = self.free_units()
            on_time = sum(n for k, n in free.items() if self.bucket_date(k) <= need)
            assert check.shortfall == max(quantity - on_time, 0)
            assert check.confirmable == (check.shortfall == 0)
            running = 0
            earliest = None
            for k in sorted(free, key=lambda k: max(self.bucket_date(k), need)):
                running += free[k]
                if running >= quantity:
                    earliest = max(self.bucket_date(k), need)
                    break
            assert check.earliest_date == earliest
            if not check.confirmable:
                return
        self.p.add_demand(contract)
        if strict:
            assert self.p.shortfall(contract) == 0
        self.open_units[contract.key] = quantity

    @precondition(lambda self: any(d.quantity for d in self.p.demands.values()))
    @rule(pick=picks, part=quantities)
    def cancel_part(self, pick: int, part: int) -> None:
        demands = [d for _, d in sorted(self.p.demands.items()) if d.quantity]
        demand = demands[pick % len(demands)]
        quantity = min(part, demand.quantity)
        # Rule 9: waiting units go first, then pegs in reverse bucket order.
        expected = dict(demand.pegs)
        to_unpeg = max(quantity - demand.waiting, 0)
        for key in reversed(self.in_bucket_order()):
            given_up = min(expected.get(key, 0), to_unpeg)
            to_unpeg -= given_up
            if given_up:
                expected[key] -= given_up
                if expected[key] == 0:
                    del expected[key]
        self.p.cancel(demand, quantity)
        self.open_units[demand.key] -= quantity
        # What it gave up is later in bucket order than what it kept, so
        # rule 3 cannot make its remaining pegs earlier.
        assert demand.pegs == expected

    @precondition(lambda self: self.open_demands(DemandKind.commitment))
    @rule(pick=picks)
    def release(self, pick: int) -> None:
        commitments = self.open_demands(DemandKind.commitment)
        contract = commitments[pick % len(commitments)]
        self.p.cancel(contract, contract.quantity)
        self.open_units[contract.key] = 0
        assert contract.pegs == {}

    @precondition(lambda self: any(d.held for d in self.p.demands.values() if d.key.kind is DemandKind.line))
    @rule(pick=picks, part=quantities, too_many=st.booleans())
    def ship(self, pick: int, part: int, too_many: bool) -> None:
        lines = [d for d in self.open_demands(DemandKind.line) if d.held]
        order_line = lines[pick % len(lines)]
        if too_many:
            # Rule 9: units that are not held do not ship.
            snapshot = self.snapshot()
            assert not self.p.ship(order_line, order_line.held + 1)
            assert self.snapshot() == snapshot
            return
        quantity = min(part, order_line.held)
        held_before = order_line.held
        assert self.p.ship(order_line, quantity)
        assert order_line.held == held_before - quantity
        self.shipped += quantity
        self.open_units[order_line.key] -= quantity

    @rule(step_days=st.integers(min_value=0, max_value=20))
    def advance_today(self, step_days: int) -> None:
        self.p.today += timedelta(days=step_days)

    @rule()
    def drop_closed_demands(self) -> None:
        for demand in self.p.drop_closed_demands():
            assert self.open_units.pop(demand.key) == 0

    # ------------------------------------------------------------------
    # Checks after every step

    @invariant()
    def no_violations(self) -> None:
        assert self.p.violations() == []

    @invariant()
    def buckets_match_the_ledger(self) -> None:
        assert set(self.p.buckets) == set(self.bucket_keys())
        for key, bucket in self.p.buckets.items():
            assert bucket.size == self.bucket_size(key)
            assert self.p.bucket_date(bucket) == self.bucket_date(key)

    @invariant()
    def demands_match_the_ledger(self) -> None:
        assert {k: d.quantity for k, d in self.p.demands.items()} == self.open_units

    @invariant()
    def on_hand_is_conserved(self) -> None:
        assert self.p.on_hand == (self.initial_on_hand + self.adjusted + self.received - self.shipped)
        assert self.p.on_hand >= 0

    @invariant()
    def no_waiting_unit_while_a_unit_is_free(self) -> None:
        waiting = sum(d.waiting for d in self.p.demands.values())
        free = sum(n for n in self.free_units().values())
        assert waiting == 0 or free == 0, (waiting, self.free_units())

    @invariant()
    def no_free_unit_would_make_a_pegged_unit_earlier(self) -> None:
        free = self.free_units()
        for demand in self.p.demands.values():
            for key, n in demand.pegs.items():
                assert n > 0
                for free_key, free_n in free.items():
                    if free_n > 0:
                        assert self.promised(demand, free_key) >= self.promised(demand, key), (
                            demand.key,
                            key,
                            free_key,
                        )

    @invariant()
    def settling_a_position_at_rest_changes_nothing(self) -> None:
        settled = self.p.clone()
        settled.settle()
        assert {k: (d.quantity, d.pegs) for k, d in settled.demands.items()} == self.snapshot()


    @invariant()
    def promised_date_is_the_latest_promise(self) -> None:
        for demand in self.p.demands.values():
            dates = [p.date for p in self.p.promises(demand)]
            expected = None if not dates or None in dates else max(d for d in dates if d)
            assert self.p.promised_date(demand) == expected

    @invariant()
    def a_trial_answers_as_the_whole_position_would(self) -> None:
        """``Position.trial`` (quotes, reject checks) copies only free buckets
        and the account's commitments; a new line must fare exactly the same."""
        for account in sorted(ACCOUNTS):
            for policy in ITEM_BACKORDER_POLICIES:
                whole = self.p.clone()
                shadow = self.p.trial(self.p.commitments_of(account))
                results = []
                for position in (whole, shadow):
                    line = Demand(DemandKey.for_line("TRIAL", "1"), account, (100, 10**9, 0),
                                  self.p.today + timedelta(days=3), 7)
                    placed = position.place_line(line, position.commitments_of(account), policy)
                    results.append((position.promises(line), placed.cancelled,
                                    [(c.key, n) for c, n in placed.consumed]))
                assert results[0] == results[1]


PositionMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_position_stateful = PositionMachine.TestCase
