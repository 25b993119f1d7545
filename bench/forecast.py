"""Scenario ``forecast``: a forecast run over 10,000 positions with two years
of daily demand each (generated: trends, weekly and yearly seasons,
promotions, a fifth of the items intermittent), the way ``earmark forecast
run`` works it: the history read from the database, every position's model
chosen by cross-validation, forecasts with intervals stored. No peer does
this, so the line has a time and no ratio.

The history is seeded with bulk inserts (COPY on PostgreSQL); the time
measured is the run's alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bench import seed
from earmark.forecast import synthetic
from earmark.forecast.execution import backend_for, execute_run
from earmark.forecast.runs import StartRun, start_run
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.store import tables as t

POSITIONS = 10_000
HISTORY_DAYS = 730
HORIZON_DAYS = 90
SEED = 11
POSITIONS_PER_COPY = 500


@dataclass
class ForecastResult:
    positions: int
    jobs: int
    seed_s: float
    run_s: float
    summary: dict[str, Any]


def _sku(i: int) -> str:
    return f"FC-{i:05d}"


def seed_history(store: Store, positions: int) -> None:
    """Items, one location and two years of daily demand for each item there
    (days without demand are left out, but for each position's first day)."""
    first = seed.TODAY - timedelta(days=HISTORY_DAYS)
    demand = synthetic.catalogue(positions, np.datetime64(first, "D"), HISTORY_DAYS, seed=SEED)
    now = datetime.now(UTC)
    with store.engine.begin() as tx:
        tx.execute(t.locations.insert(), [{"code": seed.LOCATION, "name": "Warehouse",
                                           "created_at": now, "updated_at": now}])
        seed.bulk(tx, t.items, [{"sku": _sku(i), "name": f"Item {i}", "unit": "each",
                                 "unit_cost": None, "lead_time_days": 14, "backorders": "allow",
                                 "safety_stock": 0, "created_at": now, "updated_at": now}
                                for i in range(positions)])
    days = [(first + timedelta(days=d)).isoformat() for d in range(HISTORY_DAYS)]
    kept = demand > 0
    kept[:, 0] = True
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for start in range(0, positions, POSITIONS_PER_COPY):
            rows, cols = np.nonzero(kept[start: start + POSITIONS_PER_COPY])
            values = demand[start: start + POSITIONS_PER_COPY][rows, cols]
            records = [(_sku(start + int(r)), seed.LOCATION, days[c], int(q))
                       for r, c, q in zip(rows, cols, values, strict=True)]
            if store.dialect == "postgresql":
                with cursor.copy("COPY demand_history (sku, location, day, quantity) FROM STDIN") as copy:
                    copy.write("".join(f"{s}\t{loc}\t{d}\t{q}\n" for s, loc, d, q in records))
            else:
                cursor.executemany("INSERT INTO demand_history (sku, location, day, quantity) "
                                   "VALUES (?, ?, ?, ?)", records)
        raw.commit()
    finally:
        raw.close()


def forecast_run(url: str, positions: int = POSITIONS, jobs: int | None = None) -> ForecastResult:
    jobs = jobs or os.cpu_count() or 1
    store = Store(url, Clock(frozen=seed.TODAY))
    store.upgrade()
    try:
        began = time.perf_counter()
        seed_history(store, positions)
        seeded = time.perf_counter()
        with store.unit_of_work() as uow:
            started = start_run(uow, StartRun("local", HORIZON_DAYS))
        if not started.ok:
            raise RuntimeError(f"could not start the run: {started.detail}")
        with backend_for("local", jobs) as backend:
            done = execute_run(store, started.value["id"], backend)
        ran = time.perf_counter()
    finally:
        store.dispose()
    if done["status"] != "succeeded" or done["positions_done"] != positions:
        raise RuntimeError(f"the run ended {done['status']} with {done['positions_done']} of "
                           f"{positions} positions: {done['error']}")
    return ForecastResult(positions, jobs, seeded - began, ran - seeded, done["summary"])
