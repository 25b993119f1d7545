"""The batching writer (group commit).

Callers from many threads hand in *jobs* (a function of a unit of work); one
writer thread applies whatever has queued up as one batch, in queue order,
in one transaction, and answers every caller after the commit. While a batch
commits, the next one queues, so batches grow with the load and a hot sku
pays one transaction for hundreds of orders instead of one lock wait each.

- A job that fails its checks returns a refusal and changes nothing; the
  rest of the batch commits (handlers check everything before they change
  state).
- A deadlock or serialization failure (two processes' batches crossing)
  rolls the batch back and applies it again, from the start.
- A database that does not answer (down, restarting, the connection lost,
  a SQLite file locked past its busy timeout) fails the whole batch at once
  with that error (the API answers 503): every job would meet it again, and
  trying them one by one would hold each caller for nothing.
- A job that raises anything else is a bug: the batch is rolled back and
  every job is applied again on its own, so only the faulty one fails.

The outcome is that of serial application in queue order: the jobs of a
batch share one unit of work, so each sees what the ones before it did.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from earmark.service.uow import Store, UnitOfWork
from earmark.store.db import is_unavailable

T = TypeVar("T")
Job = Callable[[UnitOfWork], T]

BATCH_COMMANDS_MAX = 1000
BATCH_WAIT_MS = 2.0
"""How long a small batch waits for company before it is applied."""
BATCH_RETRIES_MAX = 5
QUEUED_JOBS_MAX = 10_000
"""Jobs that may wait for the writer at once. Past it a job is refused
(:class:`WriterBusy`) instead of queued: under an overload the queue, and the
memory it holds, stay bounded and callers hear at once to come back later."""
BUSY_RETRY_AFTER_S = 1


class WriterBusy(Exception):
    """The writer's queue is full; nothing was queued or changed. Retry later."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"{queued} commands are waiting for the writer; retry shortly")
        self.queued = queued
        self.retry_after_s = BUSY_RETRY_AFTER_S


def is_transient(error: DBAPIError) -> bool:
    """A failure that a retry on the new state can resolve (a database that
    does not answer is not one: see :func:`~earmark.store.db.is_unavailable`)."""
    if is_unavailable(error):
        return False
    if isinstance(error, IntegrityError):
        return True
    if getattr(error.orig, "sqlstate", None) in ("40001", "40P01"):
        return True
    return "database is locked" in str(error.orig)


@dataclass
class _Entry(Generic[T]):
    job: Job[T]
    order_ids: tuple[str, ...] = ()
    positions: tuple[tuple[str, str], ...] = ()
    ship_to: tuple[tuple[str, str], ...] = ()
    future: Future[T] = field(default_factory=Future)


class Writer:
    """One writer thread over a store; ``submit`` blocks until the job's batch commits."""

    def __init__(
        self, store: Store, *, batch_max: int = BATCH_COMMANDS_MAX, wait_ms: float = BATCH_WAIT_MS,
        queued_max: int = QUEUED_JOBS_MAX,
    ) -> None:
        self.store = store
        self.batch_max = batch_max
        self.wait_s = wait_ms / 1000
        self.queued_max = queued_max
        # Jobs queued and not yet taken into a batch (guarded by _lock).
        self._queued = 0
        self._queue: queue.SimpleQueue[_Entry[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    def start(self) -> Writer:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="earmark-writer", daemon=True)
                self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def submit(self, job: Job[T], *, order_ids: tuple[str, ...] = (),
               positions: tuple[tuple[str, str], ...] = (),
               ship_to: tuple[tuple[str, str], ...] = ()) -> T:
        """Apply ``job`` in the next batch and return what it returned (or raise what it raised)."""
        return self.enqueue(job, order_ids=order_ids, positions=positions, ship_to=ship_to).result()

    def enqueue(self, job: Job[T], *, order_ids: tuple[str, ...] = (),
                positions: tuple[tuple[str, str], ...] = (),
                ship_to: tuple[tuple[str, str], ...] = ()) -> Future[T]:
        """Queue ``job`` without waiting; jobs are applied in the order they are queued.

        Raises :class:`WriterBusy` (queuing nothing) when ``queued_max`` jobs
        are already waiting.

        Hints make a batch cheaper, never different: ``order_ids`` names the
        orders the job places (a batch checks them all for replays in one
        query) and ``positions`` the (sku, location) it changes (a batch locks
        them in one statement and loads the cold ones together); ``ship_to``
        names the (sku, ship_to) of its lines placed by ship_to, whose
        candidates' positions are expected likewise."""
        if self._thread is None:
            self.start()
        entry: _Entry[T] = _Entry(job, order_ids, positions, ship_to)
        with self._lock:
            if self._queued >= self.queued_max:
                raise WriterBusy(self._queued)
            self._queued += 1
        self._queue.put(entry)
        return entry.future

    @property
    def queued(self) -> int:
        """Jobs waiting for a batch now."""
        return self._queued

    def _taken(self, count: int) -> None:
        with self._lock:
            self._queued -= count

    # The writer thread

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Entry[Any]] = [first]
            stopping = self._gather(batch)
            self._taken(len(batch))
            self._apply(batch)
            if stopping:
                return

    def _gather(self, batch: list[_Entry[Any]]) -> bool:
        """Take what is queued, waiting briefly while the batch is small."""
        waited = False
        while len(batch) < self.batch_max:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                if waited or self.wait_s <= 0:
                    return False
                waited = True
                try:
                    entry = self._queue.get(timeout=self.wait_s)
                except queue.Empty:
                    return False
            if entry is None:
                return True
            batch.append(entry)
        return False

    def _apply(self, batch: list[_Entry[Any]]) -> None:
        for attempt in range(1, BATCH_RETRIES_MAX + 1):
            try:
                results = self._apply_once(batch)
            except Exception as error:  # noqa: BLE001 - a faulty job is isolated below
                if is_unavailable(error):
                    self._fail(batch, error)
                    return
                if (isinstance(error, DBAPIError) and is_transient(error)
                        and attempt < BATCH_RETRIES_MAX):
                    continue
                self._apply_one_by_one(batch)
                return
            self.batches += 1
            self.jobs += len(batch)
            for entry, result in zip(batch, results, strict=True):
                entry.future.set_result(result)
            return

    def _apply_once(self, batch: list[_Entry[Any]]) -> list[Any]:
        with self.store.unit_of_work() as uow:
            uow.defer_commit = True
            uow.expect_orders(order_id for entry in batch for order_id in entry.order_ids)
            uow.expect_positions(key for entry in batch for key in entry.positions)
            uow.expect_ship_to(key for entry in batch for key in entry.ship_to)
            uow.prefetch()
            results = [entry.job(uow) for entry in batch]
            uow.commit_now()
        return results

    @staticmethod
    def _fail(batch: list[_Entry[Any]], error: BaseException) -> None:
        for entry in batch:
            entry.future.set_exception(error)

    def _apply_one_by_one(self, batch: list[_Entry[Any]]) -> None:
        for entry in batch:
            for attempt in range(1, BATCH_RETRIES_MAX + 1):
                try:
                    result = self._apply_once([entry])[0]
                except DBAPIError as error:
                    if is_transient(error) and attempt < BATCH_RETRIES_MAX:
                        continue
                    entry.future.set_exception(error)
                except BaseException as error:  # noqa: BLE001 - handed to the caller
                    entry.future.set_exception(error)
                else:
                    entry.future.set_result(result)
                    self.batches += 1
                    self.jobs += 1
                break
