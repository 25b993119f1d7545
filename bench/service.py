"""earmark's scenarios at the service layer (no HTTP): a, b, d and e.

Each runs on a store of its own, seeded with bulk inserts (seed.py), and
drives the real handlers: ``orders.place_order`` through the batching
``Writer``, ``supply.create_receipt`` / ``receive_receipt``, and
``commitments.quote_promise``.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy import func, select

from bench import seed
from earmark.service import commitments, orders, supply
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.queries import get_order
from earmark.service.results import Result
from earmark.service.uow import Store
from earmark.service.writer import Writer
from earmark.store import tables as t

CALLERS = 16
HOT_STOCK = 1_000_000_000
"""Large enough never to sell out in a run, like the peers' stock."""
SELL_OUT_STOCK = 100
SELL_OUT_ORDERS_PER_CALLER = 25
SPREAD_SKUS = 10_000
SPREAD_STOCK = 1_000_000
BACKORDERS = 100_000
RECEIPT_UNITS = 50_000
PROMISE_RECEIPTS = 10_000
PROMISE_DEMANDS = 100_000
PROMISE_FREE_UNITS = 5_000
PROMISE_CALLS = 300
QUEUE_SHORT, QUEUE_LONG = 10, 100_000
QUEUE_READS = 200


def open_store(url: str) -> Store:
    store = Store(url, Clock(frozen=seed.TODAY))
    store.upgrade()
    return store


def findings_of(store: Store) -> list[str]:
    return [str(f) for f in check_store(store)[1]]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, round(p / 100 * len(ordered) + 0.5) - 1)
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Throughput:
    orders: int
    seconds: float
    latencies_s: list[float]
    refused: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    batches: int = 0

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else 0.0

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_s, 99) * 1000

    @property
    def jobs_per_batch(self) -> float:
        return self.orders / self.batches if self.batches else 0.0


def place_concurrently(store: Store, skus: list[str], seconds: float, prefix: str,
                       *, orders_per_caller: int | None = None) -> Throughput:
    """``CALLERS`` threads submit 1-unit orders (a uniformly random sku of
    ``skus`` each) through one batching writer, for ``seconds`` or until each
    has placed ``orders_per_caller``."""
    writer = Writer(store).start()
    stop = threading.Event()
    start = threading.Barrier(CALLERS + 1)
    lock = threading.Lock()
    outcome = Throughput(0, 0.0, [])

    def caller(n: int) -> None:
        rng = random.Random(n)
        latencies: list[float] = []
        placed = 0
        start.wait()
        i = 0
        while not stop.is_set() and (orders_per_caller is None or i < orders_per_caller):
            cmd = orders.PlaceOrder(f"{prefix}{n}-{i}", seed.ACCOUNT,
                                    [orders.LineIn("1", rng.choice(skus), 1, seed.LOCATION)])
            i += 1
            began = time.perf_counter()
            try:
                result: Result = writer.submit(partial(orders.place_order, cmd=cmd), order_ids=(cmd.id,),
                                              positions=((cmd.lines[0].sku, seed.LOCATION),))
            except Exception as error:  # noqa: BLE001 - counted and shown; the run goes on
                with lock:
                    outcome.errors.append(f"{type(error).__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - began)
            if result.ok:
                placed += 1
            else:
                with lock:
                    name = result.outcome.value
                    outcome.refused[name] = outcome.refused.get(name, 0) + 1
        with lock:
            outcome.orders += placed
            outcome.latencies_s.extend(latencies)

    threads = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    deadline = began + seconds
    try:
        while time.perf_counter() < deadline and any(th.is_alive() for th in threads):
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        outcome.seconds = time.perf_counter() - began
        writer.stop()
    outcome.batches = writer.batches
    return outcome


def allocated_and_ordered(store: Store, sku: str) -> tuple[int, int, int]:
    """(units allocated, units ordered, on-hand) of ``sku`` as stored."""
    with store.engine.connect() as tx:
        allocated, ordered = tx.execute(
            select(func.coalesce(func.sum(t.order_lines.c.allocated), 0),
                   func.coalesce(func.sum(t.order_lines.c.quantity), 0))
            .where(t.order_lines.c.sku == sku)
        ).one()
        on_hand = tx.execute(select(t.positions.c.on_hand).where(t.positions.c.sku == sku)).scalar()
    return int(allocated), int(ordered), int(on_hand or 0)


@dataclass
class HotResult:
    run: Throughput
    oversell: list[str]
    """Broken promises found: empty when allocated == min(stock, ordered) and every invariant holds."""
    sell_out: str


def hot_sku(url: str, seconds: float) -> HotResult:
    """a. One hot sku, 16 concurrent callers of the service layer, 1-unit orders.

    The timed run has stock for every order (as the peers do); a short
    second run on a sku with 100 units and 400 concurrent orders shows that
    none is oversold when it sells out."""
    store = open_store(url)
    try:
        seed.hot_sku(store, "HOT-A", HOT_STOCK)
        run = place_concurrently(store, ["HOT-A"], seconds, "A")
        problems: list[str] = []
        allocated, ordered, _ = allocated_and_ordered(store, "HOT-A")
        if allocated != min(HOT_STOCK, ordered):
            problems.append(f"HOT-A allocated {allocated} of {ordered} ordered")
        with store.engine.begin() as tx:
            seed.items(tx, ["SOLD-OUT"])
            seed.stock(tx, {"SOLD-OUT": SELL_OUT_STOCK})
        place_concurrently(store, ["SOLD-OUT"], 60, "S", orders_per_caller=SELL_OUT_ORDERS_PER_CALLER)
        allocated, ordered, _ = allocated_and_ordered(store, "SOLD-OUT")
        sell_out = f"sell-out: {allocated} of {ordered} held from {SELL_OUT_STOCK}"
        if allocated != min(SELL_OUT_STOCK, ordered):
            problems.append(f"SOLD-OUT allocated {allocated} of {ordered} ordered, stock {SELL_OUT_STOCK}")
        problems.extend(findings_of(store))
        return HotResult(run, problems, sell_out)
    finally:
        store.dispose()


def spread(url: str, seconds: float) -> tuple[Throughput, list[str]]:
    """b. 10,000 skus, each order for a uniformly random one."""
    store = open_store(url)
    try:
        skus = [f"SKU-{n:05d}" for n in range(1, SPREAD_SKUS + 1)]
        seed.spread(store, skus, SPREAD_STOCK)
        run = place_concurrently(store, skus, seconds, "B")
        with store.engine.connect() as tx:
            allocated, ordered = tx.execute(
                select(func.coalesce(func.sum(t.order_lines.c.allocated), 0),
                       func.coalesce(func.sum(t.order_lines.c.quantity), 0))
            ).one()
        problems = [] if allocated == ordered else [f"allocated {allocated} of {ordered} ordered"]
        return run, problems
    finally:
        store.dispose()


@dataclass
class ReceiptResult:
    create_s: float
    receive_s: float
    served: int
    problems: list[str]

    @property
    def total_s(self) -> float:
        return self.create_s + self.receive_s


def big_receipt(url: str) -> ReceiptResult:
    """d. A receipt of 50,000 units arrives for 100,000 waiting one-unit backorders."""
    store = open_store(url)
    try:
        seed.waiting_backorders(store, "BACK-D", BACKORDERS, lead_time_days=14)
        problems: list[str] = []
        began = time.perf_counter()
        with store.unit_of_work() as uow:
            created = supply.create_receipt(uow, supply.CreateReceipt(
                "PO-D", "BACK-D", seed.LOCATION, RECEIPT_UNITS, seed.TODAY + timedelta(days=7)))
        create_s = time.perf_counter() - began
        if not created.ok:
            problems.append(f"create_receipt: {created.outcome.value} {created.detail}")
        began = time.perf_counter()
        with store.unit_of_work() as uow:
            received = supply.receive_receipt(uow, supply.ReceiveReceipt("PO-D"))
        receive_s = time.perf_counter() - began
        if not received.ok:
            problems.append(f"receive_receipt: {received.outcome.value} {received.detail}")
        allocated, _, on_hand = allocated_and_ordered(store, "BACK-D")
        if allocated != RECEIPT_UNITS or on_hand != RECEIPT_UNITS:
            problems.append(f"{allocated} held, on-hand {on_hand}; expected {RECEIPT_UNITS} of each")
        problems.extend(findings_of(store))
        return ReceiptResult(create_s, receive_s, allocated, problems)
    finally:
        store.dispose()


@dataclass
class PromiseResult:
    latencies_s: list[float]
    seconds: float
    problems: list[str]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_s) * 1000 if self.latencies_s else float("nan")

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_s, 99) * 1000


def seed_promise_position(url: str) -> Store:
    store = open_store(url)
    seed.pegged_position(store, "PROMISE-E", receipts=PROMISE_RECEIPTS, demands=PROMISE_DEMANDS,
                         free_units=PROMISE_FREE_UNITS, lead_time_days=30)
    return store


def promise(store: Store, budget_s: float, calls: int = PROMISE_CALLS) -> PromiseResult:
    """e. ``quote_promise`` on a position with 10,000 receipts and 100,000
    pegged demands, each call in a read-only unit of work of its own, as
    ``POST /v1/promise`` runs it. Stops early (fewer samples) past ``budget_s``."""
    rng = random.Random(5)
    latencies: list[float] = []
    problems: list[str] = []
    began = time.perf_counter()
    for _ in range(calls):
        cmd = commitments.QuotePromise("PROMISE-E", rng.randint(1, 10), seed.LOCATION)
        t0 = time.perf_counter()
        with store.unit_of_work(write=False) as uow:
            result = commitments.quote_promise(uow, cmd)
        latencies.append(time.perf_counter() - t0)
        if not result.ok:
            problems.append(f"quote_promise: {result.outcome.value} {result.detail}")
            break
        if not result.value["complete"]:
            problems.append(f"quote of {cmd.quantity} not complete: {result.value['promises']}")
            break
        if time.perf_counter() - began > budget_s:
            break
    return PromiseResult(latencies, time.perf_counter() - began, problems)


@dataclass
class QueueReadResult:
    short_p50_ms: float
    long_p50_ms: float
    short_place: int | None
    long_place: int | None


def queue_reads(short_url: str, long_url: str, reads: int = QUEUE_READS) -> QueueReadResult:
    """q. ``GET /v1/orders/{id}`` (``get_order`` in a read-only unit of work) of
    the last line in a queue of 10 and of 100,000 backorders (a database
    each): the place is a binary search in the position's queue index, not a
    count."""

    def timed(url: str, count: int) -> tuple[float, int | None]:
        store = open_store(url)
        try:
            seed.waiting_backorders(store, "QUEUE", count, lead_time_days=14)
            latencies: list[float] = []
            place = None
            for _ in range(reads):
                t0 = time.perf_counter()
                with store.unit_of_work(write=False) as uow:
                    order = get_order(uow.tx, f"D{count:07d}", uow.today)
                latencies.append(time.perf_counter() - t0)
                assert order is not None
                place = order["lines"][0]["queue_position"]
            # The first read of a position loads it once; the median is the steady cost.
            return statistics.median(latencies) * 1000, place
        finally:
            store.dispose()

    short_ms, short_place = timed(short_url, QUEUE_SHORT)
    long_ms, long_place = timed(long_url, QUEUE_LONG)
    return QueueReadResult(short_ms, long_ms, short_place, long_place)
