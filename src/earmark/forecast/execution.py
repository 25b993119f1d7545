"""Working a forecast run (:mod:`earmark.forecast.runs`): read the history,
forecast a chunk of positions at a time, store the forecasts and the
progress, end with the summary or the error. Runs in the worker process
(``earmark.forecast.worker``) or the CLI; imports pandas and statsforecast,
which the API's process never needs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import RowMapping

from earmark.extras import require
from earmark.forecast import models
from earmark.forecast.engine import Backend, SeriesForecast, Tally, forecast_frame
from earmark.forecast.history import History, position_of, read_history
from earmark.forecast.runs import (
    ACTIVE,
    LEASE_NAME,
    LEASE_RENEW_SECONDS,
    LEASE_SECONDS,
    RunInterrupted,
    get_run,
    run_row,
)
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.notify.outbox import drop_lease, take_lease
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.store import tables as t

log = logging.getLogger("earmark.forecast")

CHUNK_POSITIONS = {"local": 500, "dask": 2000}
"""Positions forecast between two progress reports (and two commits of
forecasts). Bigger chunks keep more of the cluster busy on Dask."""
SAVE_BATCH_POSITIONS = 100
"""Forecasts stored per transaction: short, so that the API's writer never
waits long for SQLite's write lock."""
ERROR_LENGTH_MAX = 2000


class _Lease:
    """Renews the run's lease on a thread of its own while the run works."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{run_id}", daemon=True)

    def _take(self) -> bool:
        with self.store.unit_of_work() as uow:
            taken = take_lease(uow.tx, self.run_id, LEASE_SECONDS, LEASE_NAME)
            uow.commit()
        return taken

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_RENEW_SECONDS):
            try:
                if not self._take():
                    self.lost = True
                    return
            except Exception:
                # A database that did not answer this time; the lease has
                # LEASE_SECONDS of margin before anyone may take it.
                log.exception("could not renew the lease of forecast run %s", self.run_id)

    def __enter__(self) -> _Lease:
        if not self._take():
            raise RunInterrupted(f"run {self.run_id} no longer holds the lease {LEASE_NAME!r}")
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with self.store.unit_of_work() as uow:
            drop_lease(uow.tx, self.run_id, LEASE_NAME)
            uow.commit()


def _update(store: Store, run_id: str, **values: Any) -> None:
    with store.unit_of_work() as uow:
        uow.tx.execute(t.forecast_runs.update().where(t.forecast_runs.c.id == run_id).values(**values))
        uow.commit()


def position_forecasts(results: Sequence[SeriesForecast], run_id: str, made_on: date
                       ) -> list[PositionForecast]:
    """The engine's results as stored: dated points (from the day after
    ``made_on``), rounded to what a unit count needs."""
    out: list[PositionForecast] = []
    for r in results:
        sku, location = position_of(r.unique_id)
        columns = [np.round(a, 3).tolist() for a in (r.mean, r.lo80, r.hi80, r.lo95, r.hi95)]
        points = tuple(ForecastPoint(made_on + timedelta(days=i + 1), *values)
                       for i, values in enumerate(zip(*columns, strict=True)))
        out.append(PositionForecast(
            sku=sku, location=location, run_id=run_id, made_on=made_on, model=r.model, points=points,
            accuracy=_accuracy(r.errors), baseline_model=models.BASELINE, baseline=_accuracy(r.baseline),
            method_reason=r.method_reason))
    return out


def _accuracy(errors: models.Errors | None) -> Accuracy:
    if errors is None:
        return Accuracy(None, None)
    mase, wape = errors.mase, errors.wape
    return Accuracy(None if mase is None else round(mase, 4), None if wape is None else round(wape, 4))


def chunks(count: int, size: int) -> Iterator[list[int]]:
    for start in range(0, count, size):
        yield list(range(start, min(start + size, count)))


def execute_run(store: Store, run_id: str, backend: Backend,
                on_progress: Callable[[int, int], None] | None = None,
                stop: threading.Event | None = None) -> dict[str, Any]:
    """Work a queued run to its end; returns the run as the API shows it.

    Any error marks the run failed (with the error) and is raised again."""
    began = time.perf_counter()
    try:
        with _Lease(store, run_id) as lease:
            with store.unit_of_work(write=False) as uow:
                row = run_row(uow.tx, run_id)
            if row is None or row["status"] != "queued":
                raise RunInterrupted(f"run {run_id} is not queued")
            _update(store, run_id, status="running", started_at=Clock.now())
            with store.unit_of_work(write=False) as uow:
                history = read_history(uow.tx, row["made_on"])
            _update(store, run_id, positions_total=len(history))
            if on_progress:
                on_progress(0, len(history))
            tally = _work(store, run_id, row, history, backend, lease, on_progress, stop)
            summary = {**tally.summary(), "backend": backend.name,
                       "elapsed_seconds": round(time.perf_counter() - began, 1)}
            _update(store, run_id, status="succeeded", summary=summary, finished_at=Clock.now())
    except BaseException as error:
        message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH_MAX]
        expected = isinstance(error, (RunInterrupted, KeyboardInterrupt))
        log.error("forecast run %s failed: %s", run_id, message, exc_info=None if expected else error)
        mark_failed(store, run_id, message)
        raise
    with store.unit_of_work(write=False) as uow:
        done = get_run(uow.tx, run_id)
    assert done is not None
    return done


def mark_failed(store: Store, run_id: str, message: str) -> None:
    """Record why a run that has not finished failed (best effort: logged if that fails too)."""
    try:
        runs = t.forecast_runs
        with store.unit_of_work() as uow:
            uow.tx.execute(runs.update().where(runs.c.id == run_id, runs.c.status.in_(ACTIVE))
                           .values(status="failed", error=message[:ERROR_LENGTH_MAX],
                                   finished_at=Clock.now()))
            uow.commit()
    except Exception:
        log.exception("could not mark forecast run %s failed", run_id)


def _work(store: Store, run_id: str, row: RowMapping, history: History, backend: Backend,
          lease: _Lease, on_progress: Callable[[int, int], None] | None,
          stop: threading.Event | None) -> Tally:
    tally = Tally()
    done = 0
    size = CHUNK_POSITIONS.get(backend.name, CHUNK_POSITIONS["local"])
    for chunk in chunks(len(history), size):
        if lease.lost:
            raise RunInterrupted(f"run {run_id} lost its lease; another process took over")
        if stop is not None and stop.is_set():
            raise RunInterrupted(f"run {run_id} was stopped")
        results = forecast_frame(history.frame(chunk), row["horizon_days"], backend)
        tally.add(results)
        stored = position_forecasts(results, run_id, row["made_on"])
        for start in range(0, len(stored), SAVE_BATCH_POSITIONS):
            batch = stored[start: start + SAVE_BATCH_POSITIONS]
            with store.unit_of_work() as uow:
                save_forecasts(uow.tx, batch, uow.now)
                done += len(batch)
                uow.tx.execute(t.forecast_runs.update().where(t.forecast_runs.c.id == run_id)
                               .values(positions_done=done))
                uow.commit()
        if on_progress:
            on_progress(done, len(history))
    return tally


@contextmanager
def backend_for(name: str, jobs: int, scheduler: str | None = None) -> Iterator[Backend]:
    """The backend a run asked for: statsforecast's process pool of ``jobs``
    here, or a Dask cluster (the one at ``scheduler``, else a local one of
    ``jobs`` worker processes for the duration of the run)."""
    from earmark.forecast.engine import DaskBackend, LocalBackend

    if name == "local":
        yield LocalBackend(jobs)
        return
    # The extra earmark[dask]: Dask's scheduler client (and fugue's Dask engine,
    # through which statsforecast runs on it).
    distributed = require("distributed", "dask")
    if scheduler:
        with distributed.Client(scheduler) as client:
            yield DaskBackend(client)
        return
    cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield DaskBackend(client)
