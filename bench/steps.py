"""Where an order's time goes on the write path, step by step (``make bench`` line "a·steps").

One thread places batches of 16 one-unit orders on a warm hot position, as the
writer does (``prefetch`` from its hints, then ``place_order`` per order, then
one commit). The total is timed without a profiler; cProfile, in a second
run, says what share of it each step takes, and the total is shared out by
those shares. Steps:

- ``start``: the unit of work's first statement (with BEGIN) and master data;
- ``read``: locks, replay check and arrival numbers (``prefetch``);
- ``check``: the order's checks (ids, limits, master data);
- ``domain``: ``Position.place_line`` (rules 7, 2, 8, 3);
- ``events``: ``Effects`` (before/after views, rule 10, event rows);
- ``answer``: the order as the API shows it (``assemble_orders``, promises);
- ``write``: staging rows, then every write and the COMMIT (``commit_now``);
- ``other``: the rest of ``place_order`` and the loop.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from dataclasses import dataclass

from bench import seed, service
from earmark.service import orders

ORDERS_PER_BATCH = 16
BATCHES = 200
STEPS = {
    "start": ("uow.py", "__enter__"),
    "read": ("uow.py", "prefetch"),
    "check": ("orders.py", "check_order"),
    "domain": ("position.py", "place_line"),
    "events": ("effects.py", "finish"),
    "answer": ("queries.py", "assemble_orders"),
    "write": ("uow.py", "commit_now"),
}
"""Step -> (file, function) whose inclusive time (with what it calls) the step is."""


@dataclass
class Steps:
    us_per_order: float
    by_step: dict[str, float]
    """Microseconds per order in each step (they add up to ``us_per_order``)."""


def _batch(store: service.Store, prefix: str) -> None:
    commands = [orders.PlaceOrder(f"{prefix}-{i}", seed.ACCOUNT,
                                  [orders.LineIn("1", "STEPS", 1, seed.LOCATION)])
                for i in range(ORDERS_PER_BATCH)]
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        uow.expect_orders(cmd.id for cmd in commands)
        uow.expect_positions([("STEPS", seed.LOCATION)])
        uow.prefetch()
        for cmd in commands:
            if not orders.place_order(uow, cmd).ok:
                raise RuntimeError(f"order {cmd.id} was refused")
        uow.commit_now()


def _shares(stats: pstats.Stats) -> dict[str, float]:
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in raw.items())
    seconds: dict[str, float] = dict.fromkeys(STEPS, 0.0)
    for (path, _, function), (_, _, _, inclusive, _) in raw.items():
        for step, (file, name) in STEPS.items():
            if path.endswith(file) and function == name:
                seconds[step] += inclusive
    shares = {step: s / total for step, s in seconds.items()}
    shares["other"] = max(0.0, 1.0 - sum(shares.values()))
    return shares


def measure(url: str) -> Steps:
    store = service.open_store(url)
    try:
        seed.hot_sku(store, "STEPS", service.HOT_STOCK)
        for n in range(20):
            _batch(store, f"warm{n}")
        began = time.perf_counter()
        for n in range(BATCHES):
            _batch(store, f"t{n}")
        us_per_order = (time.perf_counter() - began) / (BATCHES * ORDERS_PER_BATCH) * 1e6
        profile = cProfile.Profile()
        profile.enable()
        for n in range(BATCHES // 2):
            _batch(store, f"p{n}")
        profile.disable()
        shares = _shares(pstats.Stats(profile))
        return Steps(us_per_order, {step: share * us_per_order for step, share in shares.items()})
    finally:
        store.dispose()
