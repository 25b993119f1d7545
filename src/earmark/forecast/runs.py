"""Forecast runs: one forecast of every position that has demand history.

A run is created ``queued`` (:func:`start_run`, the command behind
``POST /v1/forecast-runs`` and ``earmark forecast run``), then executed
(:func:`earmark.forecast.execution.execute_run`) by a worker: it reads the history, works through the
positions a chunk at a time, stores each chunk's forecasts and counts them in
``positions_done`` (the progress a client polls), and ends ``succeeded`` with
a summary (overall accuracy next to the baseline's, the models chosen) or
``failed`` with the error.

One run at a time per database: a run holds the lease ``forecast_run``
(table ``leases``) from its creation to its end, renewed every
``LEASE_RENEW_SECONDS`` by the process that executes it. Asking for a second
run meanwhile is refused (409, naming the run in progress) rather than
queued: a second run would only redo the first one's work on nearly the same
history. A run whose worker died (killed, its machine gone) stops renewing; once its
lease has lapsed (``LEASE_SECONDS``) it is marked failed and a new run may
start.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.outcomes import Outcome
from earmark.forecast import models
from earmark.notify.outbox import take_lease, utc
from earmark.service.clock import Clock
from earmark.service.pages import Key, Keyset, page
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import Store, UnitOfWork
from earmark.store import tables as t

LEASE_NAME = "forecast_run"
LEASE_SECONDS = 120.0
LEASE_RENEW_SECONDS = 15.0
BACKENDS = ("local", "dask")
ACTIVE = ("queued", "running")
ABANDONED = "interrupted: the process working on it stopped (its lease lapsed)"


@dataclass(frozen=True)
class StartRun:
    backend: str = "local"
    horizon_days: int = models.HORIZON_DAYS_DEFAULT


class RunInterrupted(Exception):
    """The run lost its lease (it was presumed dead) or was told to stop."""


def lease_holder(conn: Connection) -> tuple[str, datetime] | None:
    """The run that holds the lease, and until when."""
    row = conn.execute(select(t.leases.c.owner, t.leases.c.expires_at)
                       .where(t.leases.c.name == LEASE_NAME)).first()
    return (str(row.owner), utc(row.expires_at)) if row is not None else None


def new_run_id() -> str:
    return "fr_" + uuid.uuid4().hex[:20]


def run_out(row: RowMapping) -> dict[str, Any]:
    """A run as the API shows it."""
    total, done = int(row["positions_total"]), int(row["positions_done"])
    return {
        "id": row["id"], "status": row["status"], "backend": row["backend"],
        "horizon_days": row["horizon_days"], "made_on": row["made_on"],
        "positions_total": total, "positions_done": done,
        "progress": round(done / total, 4) if total else (1.0 if row["status"] == "succeeded" else 0.0),
        "summary": row["summary"], "error": row["error"],
        "created_at": utc(row["created_at"]),
        "started_at": utc(row["started_at"]) if row["started_at"] else None,
        "finished_at": utc(row["finished_at"]) if row["finished_at"] else None,
    }


def run_row(conn: Connection, run_id: str) -> RowMapping | None:
    return conn.execute(select(t.forecast_runs).where(t.forecast_runs.c.id == run_id)).mappings().first()


def _fail_abandoned(conn: Connection, now: datetime, keep: str | None = None) -> int:
    """Mark failed the runs left queued or running by a worker that stopped
    renewing the lease (the caller holds it, or saw it lapse)."""
    runs = t.forecast_runs
    query = runs.update().where(runs.c.status.in_(ACTIVE))
    if keep is not None:
        query = query.where(runs.c.id != keep)
    return conn.execute(query.values(status="failed", finished_at=now, error=ABANDONED)).rowcount


def start_run(uow: UnitOfWork, cmd: StartRun) -> Result:
    """Create a queued run, unless one is in progress (``run_in_progress``)."""
    if cmd.backend not in BACKENDS:
        return invalid("backend", f"must be one of {', '.join(BACKENDS)}")
    if not 1 <= cmd.horizon_days <= models.HORIZON_DAYS_MAX:
        return invalid("horizon_days", f"must be a whole number from 1 to {models.HORIZON_DAYS_MAX}")
    run_id = new_run_id()
    tx = uow.tx
    if not take_lease(tx, run_id, LEASE_SECONDS, LEASE_NAME):
        holder = lease_holder(tx)
        owner = holder[0] if holder else "?"
        return fail(Outcome.run_in_progress,
                    f"forecast run {owner} is in progress; one run at a time", run=owner)
    # From here on the command must succeed.
    _fail_abandoned(tx, uow.now, keep=run_id)
    tx.execute(t.forecast_runs.insert().values(
        id=run_id, status="queued", backend=cmd.backend, horizon_days=cmd.horizon_days,
        made_on=uow.today, positions_total=0, positions_done=0, summary=None, error=None,
        created_at=uow.now, started_at=None, finished_at=None))
    uow.commit()
    row = run_row(tx, run_id)
    assert row is not None
    return Result(Outcome.created, run_out(row))


def get_run(conn: Connection, run_id: str) -> dict[str, Any] | None:
    row = run_row(conn, run_id)
    return run_out(row) if row is not None else None


RUNS = Keyset.of("forecast_runs", t.forecast_runs.c.created_at, t.forecast_runs.c.id,
                 descending=True)
"""Newest first."""


def list_runs(conn: Connection, after: Key | None, limit: int) -> dict[str, Any]:
    """Runs, newest first."""
    rows, cursor = RUNS.read(conn, select(t.forecast_runs), after, limit)
    return page([run_out(r) for r in rows], cursor)


def fail_if_abandoned(store: Store, run_id: str) -> None:
    """A run still queued or running whose lease has lapsed, or passed to
    another run, is marked failed (a reader then sees the truth)."""
    with store.unit_of_work(write=False) as uow:
        row = run_row(uow.tx, run_id)
        holder = lease_holder(uow.tx)
    if row is None or row["status"] not in ACTIVE:
        return
    now = Clock.now()
    if holder is not None and holder[0] == run_id and holder[1] >= now:
        return
    with store.unit_of_work() as uow:
        holder = lease_holder(uow.tx)
        if holder is not None and holder[0] == run_id and holder[1] >= now:
            return
        runs = t.forecast_runs
        uow.tx.execute(runs.update().where(runs.c.id == run_id, runs.c.status.in_(ACTIVE))
                       .values(status="failed", finished_at=now, error=ABANDONED))
        uow.commit()
