"""How a route runs a service handler: one transaction for the command and
its ``Idempotency-Key`` record, the outcome translated once into a response.

Routes stay free of business rules and of ``commit()``: they build the
command, hand it to :meth:`Commands.run` and return what it answers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi.responses import JSONResponse

from earmark.api import idempotency
from earmark.api.idempotency import Answer, IdempotentRequest
from earmark.api.problems import PROBLEM_MEDIA_TYPE, ProblemError, result_problem, status_of
from earmark.api.rendering import FastJSONResponse, jsonable
from earmark.api.schemas.common import Out
from earmark.api.schemas.orders import OrderOut
from earmark.domain.outcomes import Outcome
from earmark.service import idempotency as records
from earmark.service.actor import current_actor
from earmark.service.clock import Clock
from earmark.service.database import retry_lost_races
from earmark.service.orders import PlaceOrder
from earmark.service.results import Result
from earmark.service.uow import Store, UnitOfWork
from earmark.service.writer import Writer, WriterBusy

Handler = Callable[[UnitOfWork, Any], Result]

TRANSIENT_ATTEMPTS_MAX = 3
"""A command that lost a race with a concurrent one (a unique key taken, a
deadlock or serialization failure) is run again from the start, on the state
the winner committed: it then answers ``exists``, a 409 or its own success."""

PURGE_INTERVAL = timedelta(hours=1)


AS_IS: frozenset[type[Out]] = frozenset({OrderOut})
"""Models whose handlers' values are already exactly what the API shows:
an order (placed, read, cancelled, shipped) is built field by field in the
model's order (``service.queries.assemble_orders``), so it is encoded as it
is, on the hot path, instead of being validated again
(tests/e2e/test_rendering.py holds the two to the same bytes)."""


def dump(out: type[Out], value: Any) -> Any:
    """A handler's value as the JSON the API shows (fields the service left
    out, such as ``atp`` of a summed position, stay out). A value of an
    :data:`AS_IS` model is returned unchanged (its timestamps still
    ``datetime``: :mod:`earmark.api.rendering` writes them)."""
    if out in AS_IS:
        return value
    return out.model_validate(value).model_dump(mode="json", exclude_unset=True, by_alias=True)


def respond(out: type[Out], value: Any, status: int = 200) -> JSONResponse:
    response = FastJSONResponse if out in AS_IS else JSONResponse
    return response(dump(out, value), status_code=status)


def answer_response(answer: Answer, replayed: bool = False) -> JSONResponse:
    media_type = PROBLEM_MEDIA_TYPE if answer.status >= 400 else "application/json"
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    response = FastJSONResponse if answer.as_is else JSONResponse
    return response(answer.content, status_code=answer.status, media_type=media_type,
                    headers=headers)


def answer_of(result: Result, out: type[Out]) -> Answer:
    if result.ok:
        return Answer(status_of(result.outcome), dump(out, result.value), as_is=out in AS_IS)
    document = result_problem(result)
    return Answer(int(document["status"]), document)


def busy(error: WriterBusy) -> ProblemError:
    """A full writer queue: 503 with ``Retry-After``; nothing was queued or changed."""
    return ProblemError(503, "busy", "Too busy", str(error),
                        headers={"Retry-After": str(error.retry_after_s)})


def _hints(command: Any) -> dict[str, Any]:
    """What a command will touch, so that its batch reads it together (``Writer.enqueue``)."""
    if not isinstance(command, PlaceOrder):
        return {}
    return {"order_ids": (command.id,),
            "positions": tuple((line.sku, line.location) for line in command.lines
                               if line.location is not None),
            "ship_to": tuple((line.sku, line.ship_to) for line in command.lines
                             if line.ship_to is not None and line.location is None)}


class Commands:
    """Runs commands and reads against one store.

    With a :class:`Writer`, commands from concurrent requests are applied
    in batches (one transaction each, DESIGN.md "Writes are batched");
    without one, each command has its own transaction."""

    def __init__(self, store: Store, writer: Writer | None = None) -> None:
        self.store = store
        self.writer = writer
        self._purged_at: datetime | None = None
        self._purge_lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        with self.store.unit_of_work(write=False) as uow:
            yield uow

    def run(self, handler: Handler, command: Any, out: type[Out],
            request: IdempotentRequest | None, *, writes: bool = True) -> JSONResponse:
        answer, replayed = self.answer(handler, command, out, request, writes=writes)
        return answer_response(answer, replayed)

    async def run_async(self, handler: Handler, command: Any, out: type[Out],
                        request: IdempotentRequest | None) -> JSONResponse:
        """``run`` for an async route (the hot ones): with the writer, the request
        waits for its batch on the event loop instead of holding a worker
        thread, whose hand-offs cost more than the order itself."""
        if self.writer is None or (request is not None and self._purge_is_due()):
            return await anyio.to_thread.run_sync(
                partial(self.run, handler, command, out, request))
        actor = current_actor()
        try:
            future = self.writer.enqueue(
                lambda uow: self._answer_in(uow, handler, command, out, request, actor),
                **_hints(command))
        except WriterBusy as error:
            raise busy(error) from error
        answer, replayed = await asyncio.wrap_future(future)
        return answer_response(answer, replayed)

    def answer(self, handler: Handler, command: Any, out: type[Out],
               request: IdempotentRequest | None, *, writes: bool = True
               ) -> tuple[Answer, bool]:
        """The answer to one command, and whether it is a replayed one.

        ``writes=False`` marks a handler that changes nothing (a quote): without
        an Idempotency-Key it runs in a read-only unit of work, locking nothing."""
        if request is not None:
            self._purge_if_due()
        elif not writes:
            with self.reading() as uow:
                return answer_of(handler(uow, command), out), False
        if self.writer is not None:
            actor = current_actor()
            try:
                return self.writer.submit(
                    lambda uow: self._answer_in(uow, handler, command, out, request, actor),
                    **_hints(command))
            except WriterBusy as error:
                raise busy(error) from error
        return retry_lost_races(partial(self._answer_once, handler, command, out, request),
                                TRANSIENT_ATTEMPTS_MAX)

    def _answer_once(self, handler: Handler, command: Any, out: type[Out],
                     request: IdempotentRequest | None) -> tuple[Answer, bool]:
        with self.store.unit_of_work() as uow:
            # The handler's commit() only writes its changes; they are committed
            # below, once the answer exists (and is recorded under its key).
            uow.defer_commit = True
            answer, replayed = self._answer_in(uow, handler, command, out, request,
                                               current_actor())
            # A refusal by a rule changes nothing, but the command ran: its
            # answer is kept under its key (API.md "Conventions").
            if not replayed and (request is not None or answer.status < 400):
                uow.commit_now()
            return answer, replayed

    def answer_many(self, handler: Handler, commands: list[Any], out: type[Out]) -> list[Answer]:
        """Answers to several commands, each on its own, applied in order (a bulk import)."""
        if self.writer is None:
            return [self.answer(handler, command, out, None)[0] for command in commands]
        futures: list[Future[tuple[Answer, bool]]] = []
        for command in commands:
            job = partial(self._answer_in, handler=handler, command=command, out=out, request=None,
                          actor=current_actor())
            while True:
                try:
                    futures.append(self.writer.enqueue(job, **_hints(command)))
                    break
                except WriterBusy:
                    # Some of these commands are queued already: refusing now
                    # would answer 503 for a request that partly ran. Wait for
                    # the queue to drain instead (the caller is a worker thread).
                    if futures:
                        futures[-1].result()
                    else:
                        time.sleep(0.01)
        return [future.result()[0] for future in futures]

    @staticmethod
    def _answer_in(uow: UnitOfWork, handler: Handler, command: Any, out: type[Out],
                   request: IdempotentRequest | None, actor: str) -> tuple[Answer, bool]:
        """One command inside a batch's unit of work (the writer commits); its
        events record ``actor``, the one who asked for it (a batch holds the
        commands of several requests)."""
        uow.actor = actor
        if request is None:
            return answer_of(handler(uow, command), out), False
        stored = idempotency.lookup(uow, request)
        if stored is not None:
            return stored, True
        idempotency.claim(uow, request, uow.now)
        # The claim must outlive a refused command, whose changes must not.
        result = records.run_all_or_nothing(uow, handler, command)
        answer = answer_of(result, out)
        if result.outcome is Outcome.invalid:
            # Refused as invalid before anything ran: the key stays unused.
            idempotency.release(uow, request)
            return answer, False
        idempotency.settle(uow, request, answer)
        return answer, False

    def replay(self, request: IdempotentRequest) -> Answer | None:
        """The stored answer to ``request``, for commands that span several
        transactions (a batch) and record their answer afterwards."""
        self._purge_if_due()
        with self.reading() as uow:
            return idempotency.lookup(uow, request)

    def record(self, request: IdempotentRequest, answer: Answer) -> Answer:
        """Store ``answer``; if a concurrent duplicate stored one first, that one wins."""
        try:
            records.record_apart(self.store, request, answer.status, jsonable(answer.content))
            return answer
        except records.KeyTaken:
            stored = self.replay(request)
            if stored is None:
                raise
            return stored

    def _purge_is_due(self) -> bool:
        return self._purged_at is None or Clock.now() - self._purged_at >= PURGE_INTERVAL

    def _purge_if_due(self) -> None:
        now = Clock.now()
        with self._purge_lock:
            if self._purged_at is not None and now - self._purged_at < PURGE_INTERVAL:
                return
            self._purged_at = now
        records.purge_apart(self.store, now)
