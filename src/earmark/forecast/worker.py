"""Where a forecast run started over HTTP is worked: a process of its own.

statsforecast's models are C++, but the loop around them, pandas and the
pool that spreads them over the cores are Python that holds the GIL: worked
on a thread of the server, a run of 10,000 positions would take the API's
latency with it. So ``POST /v1/forecast-runs`` starts
``python -m earmark.forecast.worker RUN_ID`` (the database URL in
``EARMARK_DATABASE_URL``, never on the command line where ``ps`` shows it), and
the run talks to the server only through the database: its progress, its
forecasts, its end. ``EARMARK_FORECAST_WORKER=thread`` works runs on a thread of
the server instead (an in-memory SQLite database has no other choice).

A run belongs to the server that started it: stopping the server stops its
run (SIGTERM; the run is marked failed, "stopped"), and a new one can be
asked for at once.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from earmark.extras import MissingExtra
from earmark.forecast.runs import RunInterrupted, StartRun, get_run, start_run
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.settings import Settings

log = logging.getLogger("earmark.forecast")
STOP_SECONDS = 30.0
WORKER_NICENESS = 10


def jobs_of(settings: Settings) -> int:
    return settings.forecast_jobs or os.cpu_count() or 1


def work(store: Store, run_id: str, settings: Settings, stop: threading.Event | None = None
         ) -> dict[str, Any]:
    """Work run ``run_id`` with the backend it asked for. On a thread of the
    server (``stop`` given), a local run uses that one thread: forking a pool
    out of a process whose other threads hold locks is not safe."""
    from earmark.forecast.execution import backend_for, execute_run, mark_failed

    with store.unit_of_work(write=False) as uow:
        run = get_run(uow.tx, run_id)
    if run is None:
        raise RunInterrupted(f"no forecast run {run_id!r}")
    jobs = 1 if stop is not None and run["backend"] == "local" else jobs_of(settings)
    try:
        with backend_for(run["backend"], jobs, settings.dask_scheduler) as backend:
            return execute_run(store, run_id, backend, stop=stop)
    except MissingExtra as missing:
        # The run asked for what this install leaves out (earmark[dask]): it fails saying so.
        mark_failed(store, run_id, f"{type(missing).__name__}: {missing}")
        raise


_MAIN_PID = os.getpid()


def _stopped(signum: int, _frame: object) -> None:
    if os.getpid() != _MAIN_PID:
        # A worker forked by statsforecast's pool inherits this handler; its
        # pool ends it with SIGTERM, which should simply end it.
        os._exit(128 + signum)
    raise RunInterrupted(f"stopped ({signal.Signals(signum).name}): the server that started it stopped")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m earmark.forecast.worker RUN_ID  (EARMARK_DATABASE_URL names the "
              "database)", file=sys.stderr)
        return 2
    global _MAIN_PID
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _MAIN_PID = os.getpid()
    signal.signal(signal.SIGTERM, _stopped)
    # Below the server's priority (its pool inherits it): on a machine the two
    # share, the API answers first and the run takes what is left.
    os.nice(WORKER_NICENESS)
    settings = Settings()
    store = Store(settings.database_url, Clock(frozen=settings.today))
    try:
        done = work(store, argv[0], settings)
    except RunInterrupted as error:
        log.info("forecast run %s: %s", argv[0], error)
        return 1
    except Exception:
        return 1
    finally:
        store.dispose()
    log.info("forecast run %s %s: %s", argv[0], done["status"], done["summary"])
    return 0


class RunLauncher:
    """Starts the workers of the runs a server was asked for, and stops them with it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mode = settings.forecast_worker
        self._processes: list[subprocess.Popen[bytes]] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        atexit.register(self.stop)

    def launch(self, store: Store, run_id: str) -> None:
        """Start working ``run_id`` of ``store`` (the store the run was created in)."""
        in_memory = store.dialect == "sqlite" and store.url in ("sqlite://", "sqlite:///:memory:")
        with self._lock:
            if self.mode == "thread" or in_memory:
                thread = threading.Thread(target=self._work_here, args=(store, run_id, self._stop),
                                          name=f"forecast-{run_id}", daemon=True)
                self._threads.append(thread)
                thread.start()
                return
            env = {**os.environ, "EARMARK_DATABASE_URL": store.url,
                   "EARMARK_FORECAST_JOBS": str(self.settings.forecast_jobs),
                   "EARMARK_DASK_SCHEDULER": self.settings.dask_scheduler or ""}
            process = subprocess.Popen([sys.executable, "-m", "earmark.forecast.worker", run_id],
                                       env=env, stdin=subprocess.DEVNULL)
            self._processes.append(process)
            # Reaped when it ends, so that no zombie is left behind.
            threading.Thread(target=process.wait, name=f"reap-{run_id}", daemon=True).start()

    def _work_here(self, store: Store, run_id: str, stop: threading.Event) -> None:
        with contextlib.suppress(Exception):  # recorded on the run by execute_run
            work(store, run_id, self.settings, stop)

    def stop(self) -> None:
        """Stop the runs this server started (they are marked failed)."""
        with self._lock:
            processes, self._processes = self._processes, []
            threads, self._threads = self._threads, []
            stop, self._stop = self._stop, threading.Event()
        stop.set()
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in threads:
            thread.join(timeout=STOP_SECONDS)


def start_in_background(store: Store, launcher: RunLauncher, horizon_days: int | None = None
                        ) -> str | None:
    """Start a run of ``store`` worked by ``launcher`` (the demo's run at start);
    its id, or None while another run is in progress."""
    command = StartRun() if horizon_days is None else StartRun(horizon_days=horizon_days)
    with store.unit_of_work() as uow:
        started = start_run(uow, command)
    if not started.ok:
        return None
    run_id = str(started.value["id"])
    launcher.launch(store, run_id)
    return run_id


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
